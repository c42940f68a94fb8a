"""`opsys today [--json]` (the founder's page in the terminal) and `opsys ack ID [--note]`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, acting_person, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

NowOpt = Annotated[datetime | None, typer.Option("--now", help="As of this time (ISO; UTC unless it says "
                                                 "otherwise): replays and tests walk a clock with it.")]


def register(app: typer.Typer) -> None:
    app.command("today")(today)
    app.command("ack")(ack)


def _when(now: datetime | None) -> datetime | None:
    return now.replace(tzinfo=now.tzinfo or UTC) if now else None


def today(now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Only what needs the founder: escalations, decisions, anomalies, ranked; and what was handled."""
    from opsys.founder.page import refresh
    from opsys.views.today_page import render_today_text

    when = _when(now)
    app = open_app_or_exit(clock=(lambda: when) if when else None)
    page = refresh(app, app.clock())
    if as_json:
        print_json(page.as_dict())
        return
    for line in render_today_text(page, app.map):
        typer.echo(clean(line))


def ack(ident: Annotated[str, typer.Argument(help="The item's id from `opsys today` (or its key).")],
        note: Annotated[str, typer.Option("--note", help="What you decided or did (kept in the audit log).")] = "",
        by: Annotated[str | None, typer.Option("--by", help="Who (default: $OPSYS_USER, else your login).")] = None,
        now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Take an item off the founder's page; it comes back only if it changes."""
    from opsys.founder.page import UnknownItem, acknowledge

    when = _when(now)
    app = open_app_or_exit(clock=(lambda: when) if when else None)
    try:
        r = acknowledge(app, ident, app.clock(), by=acting_person(by),
                        note=note)
    except UnknownItem as e:
        fail(str(e))
    if as_json:
        print_json(r.as_dict())
        return
    typer.echo(clean(f"acknowledged [{r.id}] {r.item.title}; it returns only if it changes"))
