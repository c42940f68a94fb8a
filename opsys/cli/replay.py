"""`opsys replay --routing PATH [--since DATE] [--markdown OUT]`: a proposed routing.yml against the history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opsys.cli.output import JsonOpt, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

if TYPE_CHECKING:
    from opsys.work.replay import ReplayReport


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


def replay(
    routing: Annotated[Path, typer.Option("--routing", help="The proposed routing.yml (e.g. from a branch).")],
    since: Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d"],
                                                   help="Only report decisions from this day on.")] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Also write the report as Markdown "
                                                  "(a pull-request comment) to this file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Route the stored history again with a proposed routing.yml: every task that would have gone to
    someone else or got another action, with both reasons. Nothing is changed."""
    from opsys.config.problems import ConfigError
    from opsys.work.replay import load_proposed, render_text
    from opsys.work.replay import replay as run

    app = open_app_or_exit()
    try:
        proposed = load_proposed(app.ws.system_map, routing)
    except ConfigError as e:
        for p in e.problems:
            typer.secho(clean(str(p)), fg=typer.colors.RED, err=True)
        fail(f"{routing} is not a valid routing.yml for this workspace; nothing was replayed", 2)
    report = run(app.db, app.map, proposed, routing, since.date() if since else None)
    tz = app.map.team.firm.timezone
    if markdown is not None:
        markdown.write_text(render_markdown(report, tz), encoding="utf-8")
    if as_json:
        print_json(report.as_dict())
        return
    for line in render_text(report, tz):
        typer.echo(clean(line))
    if markdown is not None:
        typer.echo(clean(f"Markdown written to {markdown}"))


def render_markdown(r: "ReplayReport", tz: str) -> str:
    """A pull-request comment: the summary, who would get more or less work, and every change."""
    from zoneinfo import ZoneInfo

    from opsys.views.escape import md_cell
    from opsys.work.replay import summary

    out = [f"### Routing replay: `{md_cell(r.proposed.name)}`\n", md_cell(summary(r), 400) + "\n"]
    people = sorted(set(r.owners_now) | set(r.owners_proposed))
    moved = [p for p in people if r.owners_now[p] != r.owners_proposed[p]]
    if moved:
        out += ["| person | now | proposed |", "|---|---|---|"]
        out += [f"| {md_cell(p)} | {r.owners_now[p]} | {r.owners_proposed[p]} |" for p in moved] + [""]
    if not r.differences:
        out.append("No decision would change.\n")
        return "\n".join(out)
    out += ["| item | when | change | reason now | reason proposed |", "|---|---|---|---|---|"]
    for d in r.differences:
        out.append(f"| {md_cell(d.ref)}: {md_cell(d.title, 60)} | {d.at.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} | "
                   f"{md_cell(d.what)} | {md_cell(d.current.reason, 300)} | {md_cell(d.proposed.reason, 300)} |")
    return "\n".join(out) + "\n"
