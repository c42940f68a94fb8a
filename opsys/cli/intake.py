"""`opsys ingest`, `opsys watch`, `opsys leads`, `opsys log`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, clean, fail, print_json
from opsys.cli.workspace import expand_paths, open_app_or_exit


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("watch")(watch)
    app.command("leads")(leads)
    app.command("log")(log_cmd)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.eml .json .txt .md .csv).")],
    as_json: JsonOpt = False,
) -> None:
    """Consume files now. Drops inside var/inbox/ are moved to the archive; other files are copied."""
    app = open_app_or_exit()
    files = expand_paths(paths)
    report = app.intake.consume(files)
    after = app.jobs.after_intake()
    if as_json:
        print_json({"outcomes": [{"file": str(o.path), "status": o.status, "detail": o.detail,
                                  "inquiries": o.ids} for o in report.outcomes],
                    "notes": report.notes, "notifications_sent": after.notifications_sent,
                    "notifications_failed": after.notifications_failed})
        return
    for note in report.notes:
        typer.secho(f"note: {clean(note)}", fg=typer.colors.YELLOW, err=True)
    for o in report.outcomes:
        color = {"processed": None, "quarantined": typer.colors.RED}.get(o.status, typer.colors.YELLOW)
        typer.secho(clean(f"{o.status:11} {o.path.name}: {o.detail}"), fg=color)
    typer.echo(f"{report.count('processed')} processed, {report.count('quarantined')} quarantined, "
               f"{report.count('duplicate')} duplicates; {report.inquiries} inquiries stored; "
               f"notifications {after.notifications_sent} sent, {after.notifications_failed} failed")


def watch() -> None:
    """Watch var/inbox/ and consume every finished drop (also those that arrived while down)."""
    from opsys.daemon import AlreadyWatching
    from opsys.daemon import watch as run_watch

    app = open_app_or_exit()
    typer.echo(f"watching {app.ws.inbox} (Ctrl-C to stop)", err=True)
    try:
        run_watch(app)
    except AlreadyWatching as e:
        fail(str(e), 2)


def leads(
    all_: Annotated[bool, typer.Option("--all", help="Every stored inquiry: leads, client mail, spam.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The lead queue with score, explanation, class and route."""
    from rich.console import Console
    from rich.table import Table

    from opsys.store.inquiries import list_inquiries

    app = open_app_or_exit()
    rows = list_inquiries(app.db, leads_only=not all_)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    t = Table(show_lines=True)
    for col in ("#", "received", "who", "channel", "subject", "score", "why", "class", "route", "owner"):
        t.add_column(col, overflow="fold")
    for r in rows:
        who = "\n".join(v for v in (r.name, r.company, r.email, r.phone) if v)
        t.add_row(*(clean(c) for c in (
            str(r.id), r.received_at[:16].replace("T", " "), who, r.channel, r.subject[:80],
            f"{r.score}{' HOT' if r.hot else ''}", r.explanation,
            f"{r.category} {r.category_confidence:.2f}\n{'lead' if r.is_lead else 'not lead'} "
            f"{r.lead_confidence:.2f}\n{r.classified_by}", f"{r.route_action}\n{r.route_rule}", r.owner_id or "-")))
    Console().print(t, markup=False) if rows else typer.echo("no inquiries stored yet")


def log_cmd(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Newest N events (0 = all).")] = 50,
    kind: Annotated[str | None, typer.Option(help="Only events of this kind, e.g. routed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The append-only audit log: every automated decision, who decided, on what inputs."""
    from opsys.store.events import list_events

    app = open_app_or_exit()
    events = list_events(app.db, limit=limit or None, kind=kind)
    if as_json:
        print_json([e.as_dict() for e in events])
        return
    for e in events:
        conf = f" conf={e.confidence:.2f}" if e.confidence is not None else ""
        subj = f" {e.subject_type}:{e.subject_id}" if e.subject_type else ""
        typer.echo(clean(f"{e.id:>6} {e.at[:19]} {e.kind:20}{subj} [{e.decided_by}]{conf} {e.message}"))
