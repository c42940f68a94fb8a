"""`opsys init`, `opsys check`, `opsys demo`: set up, validate, and show the whole flow once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opsys.cli.common import JsonOpt, fail, print_json, runtime, workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check")(check)
    app.command("demo")(demo)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
    force: Annotated[bool, typer.Option(help="Overwrite system_map/, sops/ and mkdocs.yml if present.")] = False,
) -> None:
    """Scaffold a ready-to-run workspace (system map, SOPs, mkdocs.yml, var/) from the repo's template."""
    from opsys.workspace import WorkspaceError, init_workspace

    try:
        ws = init_workspace(directory, force=force)
    except WorkspaceError as e:
        fail(str(e), 2)
    typer.echo(f"Workspace ready at {ws.root}. Drop files into {ws.inbox} or run `opsys -w {ws.root} ingest FILE`.")


def check(as_json: JsonOpt = False) -> None:
    """Validate the system map and the SOP library together. Exits 1 on errors; overdue reviews only warn."""
    from opsys.config.loader import ConfigError, load_system_map
    from opsys.knowledge.checks import check_workspace_library

    ws = workspace()
    problems, m = [], None
    try:
        ws.require_system_map()
        m = load_system_map(ws.system_map)
    except ConfigError as e:
        problems = e.problems
    except Exception as e:  # WorkspaceError
        fail(str(e), 2)
    findings = check_workspace_library(ws.sops, ws.system_map, m)
    sop_errors = [f for f in findings if f.severity == "error"]
    warnings = [f.as_dict() for f in findings if f.severity == "warning"]
    if problems or sop_errors:
        if as_json:
            print_json({"ok": False, "errors": [
                {"file": str(p.file), "line": p.line, "field": p.field, "message": p.message} for p in problems]
                + [{**f.as_dict(), "field": ""} for f in sop_errors], "warnings": warnings})
        else:
            for p in [*problems, *sop_errors]:
                typer.secho(str(p), fg=typer.colors.RED, err=True)
            for f in findings:
                if f.severity == "warning":
                    typer.secho(str(f), fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(1)
    pages = len({f for f in ws.sops.rglob("*.md")}) if ws.sops.is_dir() else 0
    summary = {"ok": True, "people": len(m.team.people), "routing_rules": len(m.routing.rules),
               "clients": len(m.clients.clients), "examples": len(m.examples),
               "workflows": len(m.workflows.workflows), "sop_pages": pages, "warnings": warnings}
    if as_json:
        print_json(summary)
    else:
        for f in findings:
            typer.secho(str(f), fg=typer.colors.YELLOW, err=True)
        typer.echo(f"system map OK: {summary['people']} people, {summary['routing_rules']} routing rules, "
                   f"{summary['clients']} client accounts, {summary['examples']} labeled examples; "
                   f"SOP library OK: {pages} pages, {len(warnings)} warnings")


def demo(
    port: Annotated[int, typer.Option(help="Port of the local notification listener the sample team.yml uses.")] = 8765,
) -> None:
    """Run intake end to end on the bundled sample firm and inbox (in var/demo/, reset each run)."""
    import shutil
    import time

    from rich.console import Console
    from rich.table import Table

    from opsys.notify.listener import NotificationListener
    from opsys.runtime import open_runtime
    from opsys.store.inquiries import list_inquiries
    from opsys.workspace import SAMPLE_INBOX, init_workspace

    console = Console()
    base = workspace()
    target = base.var / "demo"
    if target.exists():
        shutil.rmtree(target)
    ws = init_workspace(target)
    for f in sorted(SAMPLE_INBOX.iterdir()):
        shutil.copy2(f, ws.inbox / f.name)
    console.print(f"[bold]opsys demo[/]: sample firm in {ws.root}, {len(list(ws.inbox.iterdir()))} inbound files")

    rt = open_runtime(ws)
    try:
        listener_ctx = NotificationListener(port=port)
    except OSError:
        listener_ctx = None
        console.print(f"[yellow]port {port} is busy: notifications stay queued and are retried later[/]")
    t1 = time.perf_counter()
    with console.status("Loading models, then classifying, scoring and routing the inbox…"):
        if listener_ctx:
            with listener_ctx as listener:
                report = rt.intake.consume(sorted(ws.inbox.iterdir()))
                after = rt.after_intake()
            delivered = len(listener.received)
        else:
            report = rt.intake.consume(sorted(ws.inbox.iterdir()))
            after = rt.after_intake()
            delivered = 0
    t_run = time.perf_counter() - t1

    everything = list_inquiries(rt.db, leads_only=False)
    leads = [x for x in everything if x.is_lead and x.category != "spam"]
    contacts = rt.db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    deciders: dict[str, int] = {}
    for x in everything:
        k = x.classified_by.split(":")[0]
        deciders[k] = deciders.get(k, 0) + 1

    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    t = Table(title="Leads, best first", show_lines=False)
    for col in ("#", "who", "score", "why (points)", "class", "route → owner"):
        t.add_column(col, overflow="fold")
    names = {p.id: p.name.split()[0] for p in rt.map.team.people}
    for x in leads[:10]:
        t.add_row(str(x.id), x.name or x.email or x.phone or "?", f"{x.score}{' HOT' if x.hot else ''}",
                  x.short_why(), f"{x.category} {x.category_confidence:.2f}",
                  f"{x.route_action} → {names.get(x.owner_id or '', '-')}")
    console.print(t)
    q = [o for o in report.outcomes if o.status == "quarantined"]
    for o in q:
        console.print(f"[red]quarantined[/] {o.path.name}: {o.detail}")
    console.print(
        f"\n[bold]Summary[/]: {report.count('processed')} files processed, {len(q)} quarantined, "
        f"{report.inquiries} inquiries stored for {contacts} contacts "
        f"({report.inquiries - contacts} deduplicated onto known contacts); {len(leads)} leads, "
        f"{sum(x.hot for x in leads)} hot; {sum(x.route_action == 'escalate' for x in everything)} escalations; "
        f"{sum(x.category == 'spam' for x in everything)} spam kept; classified by "
        + ", ".join(f"{k} {v}" for k, v in sorted(deciders.items()))
        + f"; notifications: {after.notifications_sent} sent ({delivered} received by the listener on "
        f"127.0.0.1:{port}), {after.notifications_failed} failed.\n"
        f"Intake took {t_run:.1f}s (models included). Full explanations: `opsys -w {ws.root} leads`; "
        f"lead queue page: {ws.pages / 'leads.md'}; audit log: `opsys -w {ws.root} log`."
    )
