"""`opsys ingest`, `opsys watch`, `opsys leads`, `opsys log`."""

from __future__ import annotations

from datetime import datetime
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
    paths: Annotated[list[Path], typer.Argument(
        help="Files or folders (.eml .json .txt .md .csv; invoices and sheets as .csv .pdf .xlsx).")],
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
    import time

    from opsys.daemon import AlreadyWatching
    from opsys.daemon import watch as run_watch

    app = open_app_or_exit()
    started = time.monotonic()
    c = app.map.classifier
    typer.echo(f"loading the classifier models ({Path(c.embedding.model).name}"
               f"{' and the LLM' if c.llm.enabled else ''})… drops wait in var/inbox/ until then", err=True)

    def ready() -> None:
        typer.echo(f"ready in {time.monotonic() - started:.0f} s: watching {app.ws.inbox} and {app.ws.crm_drop} "
                   "(Ctrl-C to stop)", err=True)

    try:
        run_watch(app, on_ready=ready)
    except AlreadyWatching as e:
        fail(str(e), 2)


def leads(
    all_: Annotated[bool, typer.Option("--all", help="Every stored inquiry: leads, client mail, spam.")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this person's leads (an id in team.yml).")] = None,
    hot: Annotated[bool, typer.Option("--hot", help="Only hot leads.")] = False,
    status: Annotated[str | None, typer.Option("--status", help="Only leads with this status, e.g. queued.")] = None,
    since: Annotated[datetime | None, typer.Option(
        "--since", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help="Only leads received from this date (or time), in the firm's timezone.")] = None,
    wide: Annotated[bool, typer.Option("--wide", help="The full table: contact, class, route, whole reason.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The lead queue, hot first then newest: one line per lead (--wide for everything, --json for tools)."""
    from opsys.store.inquiries import LeadFilter, find_leads, lead_statuses
    from opsys.views.times import as_firm_time

    app = open_app_or_exit()
    tz = app.map.team.firm.timezone
    ids = [p.id for p in app.map.team.people]
    if owner is not None and owner not in ids:
        fail(f"--owner {owner}: no such person in system_map/team.yml; use one of: {', '.join(ids)}", 2)
    rows = find_leads(app.db, LeadFilter(leads_only=not all_, owner_id=owner, status=status, hot=True if hot else None,
                                         since=as_firm_time(since, tz) if since else None))
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    if not rows:
        known = lead_statuses(app.db)
        hint = f" (statuses stored: {', '.join(known)})" if status and status not in known else ""
        typer.echo(clean(f"no {'inquiries' if all_ else 'leads'} match{hint}") if (owner or hot or status or since)
                   else "no inquiries stored yet")
        return
    _wide(rows, tz) if wide else _compact(rows, app)


def _compact(rows: list, app) -> None:
    """One line a lead, fitted to the terminal (100 columns at least, so a pipe or a log stays readable)."""
    import shutil

    from opsys.views.leads_page import summarize

    width = max(100, shutil.get_terminal_size((100, 24)).columns)
    now = app.clock()
    fixed = {"id": 4, "age": 6, "who": 20, "score": 6, "owner": 8, "status": 9}
    rest = width - sum(fixed.values()) - 7  # the spaces between eight columns
    wants_w = rest * 3 // 5
    why_w = rest - wants_w - 1
    typer.echo(" ".join((_fit("#", 4, right=True), _fit("age", 6), _fit("who", 20), _fit("score", 6),
                         _fit("wants", wants_w), _fit("why", why_w), _fit("owner", 8), "status")).rstrip())
    for r in rows:
        s = summarize(r, app.map, now)
        top = sorted((x for x in r.signals if x["points"]), key=lambda x: -x["points"])
        why = ",".join(f"{x['name']}{x['points']:+d}" for x in top) or "no signals"
        line = " ".join((_fit(str(r.id), 4, right=True), _fit(s.age, 6), _fit(s.who, 20),
                         _fit(f"{r.score}{' HOT' if r.hot else ''}", 6), _fit(s.wants_short, wants_w), _fit(why, why_w),
                         _fit(r.owner_id or "-", 8), _fit(r.status, 9)))
        typer.secho(line.rstrip(), bold=r.hot)


def _fit(text: str, cells: int, right: bool = False) -> str:
    """Cleaned, then cut with an ellipsis or padded to exactly `cells` terminal cells (wide characters count 2)."""
    from rich.cells import cell_len, set_cell_size

    t = clean(" ".join(text.split()))
    if cell_len(t) > cells:
        return set_cell_size(t, cells - 1) + "…"
    return (" " * (cells - cell_len(t)) + t) if right else set_cell_size(t, cells)


def _wide(rows: list, tz: str) -> None:
    """Everything: contact, channel, subject, the whole reason, class and route (wraps on narrow terminals)."""
    from rich.console import Console
    from rich.table import Table

    from opsys.views.times import shown

    t = Table(show_lines=True)
    for col in ("#", "received", "who", "channel", "subject", "score", "why", "class", "route", "owner", "status"):
        t.add_column(col, overflow="fold")
    for r in rows:
        who = "\n".join(v for v in (r.name, r.company, r.email, r.phone) if v)
        t.add_row(*(clean(c) for c in (
            str(r.id), shown(r.received_at, tz), who, r.channel, r.subject[:80],
            f"{r.score}{' HOT' if r.hot else ''}", r.explanation,
            f"{r.category} {r.category_confidence:.2f}\n{'lead' if r.is_lead else 'not lead'} "
            f"{r.lead_confidence:.2f}\n{r.classified_by}", f"{r.route_action}\n{r.route_rule}", r.owner_id or "-",
            r.status)))
    Console().print(t, markup=False)


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
