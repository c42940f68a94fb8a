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
    force: Annotated[bool, typer.Option(
        help="Overwrite system_map/, sops/, notebooks/ and mkdocs.yml if present.")] = False,
) -> None:
    """Scaffold a ready-to-run workspace (system map, SOPs, notebooks, mkdocs.yml, var/) from the repo's template."""
    from opsys.workspace import WorkspaceError, init_workspace

    try:
        ws = init_workspace(directory, force=force)
    except WorkspaceError as e:
        fail(str(e), 2)
    typer.echo(f"Workspace ready at {ws.root}. Drop files into {ws.inbox} or run `opsys -w {ws.root} ingest FILE`.")


def check(as_json: JsonOpt = False) -> None:
    """Validate the system map and the SOP library together. Exits 1 on errors; overdue reviews only warn."""
    from opsys.config.loader import ConfigError, load_system_map
    from opsys.workspace import WorkspaceError
    from opsys.knowledge.checks import check_workspace_library

    ws = workspace()
    problems, m = [], None
    try:
        ws.require_system_map()
        m = load_system_map(ws.system_map)
    except ConfigError as e:
        problems = e.problems
    except WorkspaceError as e:
        fail(str(e), 2)
    findings = check_workspace_library(ws.sops, ws.system_map, m) + (_model_warnings(ws, m) if m else [])
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


def _model_warnings(ws, m) -> list:
    """A model path that does not exist only degrades classification (keyword rules, no LLM): warn."""
    from opsys.knowledge.checks import Finding

    out = []
    for field, value in (("embedding.model", m.classifier.embedding.model),
                         ("llm.model_path", m.classifier.llm.model_path)):
        if value != "bundled" and not Path(value).exists():
            out.append(Finding(ws.system_map / "classifier.yml", None, "warning",
                               f"{field}: {value} does not exist; classification runs without it "
                               "(fix the path, relative to the workspace, or use `bundled`)"))
    return out


def demo(
    port: Annotated[int, typer.Option(help="Port of the local notification listener the sample team.yml uses.")] = 8765,
) -> None:
    """Run the whole flow on the bundled sample firm (in var/demo/, reset each run): intake of its
    inbox, a CRM sync from its HubSpot exports, the pipeline page, the SOP search index and the site."""
    import shutil
    import time

    from rich.console import Console

    from opsys.runtime import open_runtime
    from opsys.workspace import SAMPLE_INBOX, init_workspace

    console = Console()
    target = workspace().var / "demo"
    if target.exists():
        shutil.rmtree(target)
    ws = init_workspace(target)
    if port != 8765:  # the sample team.yml announces to 127.0.0.1:8765; follow the listener
        team = ws.system_map / "team.yml"
        team.write_text(team.read_text(encoding="utf-8").replace("//127.0.0.1:8765/", f"//127.0.0.1:{port}/"),
                        encoding="utf-8")
    for f in sorted(SAMPLE_INBOX.iterdir()):
        shutil.copy2(f, ws.inbox / f.name)
    console.print(f"[bold]opsys demo[/]: sample firm in {ws.root}, {len(list(ws.inbox.iterdir()))} inbound files")
    rt = open_runtime(ws)
    t0 = time.perf_counter()
    _demo_intake(console, rt, port)
    _demo_crm(console, rt)
    _demo_library(console, rt)
    console.print(f"\nAll done in {time.perf_counter() - t0:.1f}s (model loading included). "
                  f"Audit log of every decision: `opsys -w {ws.root} log`.")


def _demo_intake(console, rt, port: int) -> None:
    """The inbox: classify, score, route, announce hot leads to a real local listener."""
    from rich.table import Table

    from opsys.notify.listener import NotificationListener
    from opsys.store.inquiries import list_inquiries

    ws = rt.ws
    try:
        listener_ctx = NotificationListener(port=port)
    except OSError:
        listener_ctx = None
        console.print(f"[yellow]port {port} is busy: notifications stay queued and are retried later[/]")
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
        f"\n[bold]Intake[/]: {report.count('processed')} files processed, {len(q)} quarantined, "
        f"{report.inquiries} inquiries stored for {contacts} contacts "
        f"({report.inquiries - contacts} deduplicated onto known contacts); {len(leads)} leads, "
        f"{sum(x.hot for x in leads)} hot; {sum(x.route_action == 'escalate' for x in everything)} escalated; "
        f"{sum(x.category == 'spam' for x in everything)} spam kept; classified by "
        + ", ".join(f"{k} {v}" for k, v in sorted(deciders.items()))
        + f"; notifications: {after.notifications_sent} sent ({delivered} received by the listener on "
        f"127.0.0.1:{port}), {after.notifications_failed} failed. "
        f"Explanations: `opsys -w {ws.root} leads`; queue page: {ws.pages / 'leads.md'}"
    )


def _demo_crm(console, rt) -> None:
    """Two HubSpot deal snapshots a week apart and a contacts export: events, links, write-back, page."""
    import shutil
    from datetime import UTC, datetime

    from opsys.intake.crm_import import CrmImporter
    from opsys.views.pipeline_page import gather
    from opsys.workspace import SAMPLE_CRM

    ws = rt.ws
    drops = [Path(shutil.copy2(f, ws.crm_drop / f.name)) for f in sorted(SAMPLE_CRM.glob("*.csv"))]
    with console.status("Importing the CRM exports…"):
        outcomes = CrmImporter(ws, rt.map, rt.db).import_files(drops)
        after = rt.tick()
    events: dict[str, int] = {}
    for o in outcomes:
        for kind, n in o.events.items():
            events[kind] = events.get(kind, 0) + n
    metrics, _, fresh = gather(rt.db, rt.map, datetime.now(UTC))
    cur = rt.map.pipeline.currency
    console.print(
        f"[bold]CRM sync[/]: {sum(o.status == 'imported' for o in outcomes)} of {len(outcomes)} exports imported; "
        f"events: " + ", ".join(f"{k} {v}" for k, v in sorted(events.items()))
        + f"; {after['linked']} CRM records linked to intake leads; write-back: "
        + (", ".join(Path(p).name for p in after["writeback"]) or "nothing new")
        + f". Pipeline: {metrics.open_count} open deals worth {metrics.open_value:,.0f} {cur} "
        f"(weighted {metrics.weighted_forecast:,.0f}), {metrics.won} won / {metrics.lost} lost, "
        f"{len(metrics.aging)} aging, {len(metrics.no_owner)} without owner. "
        f"{fresh.sentence()} `opsys -w {ws.root} pipeline`; page: {after['page']}"
    )


def _demo_library(console, rt) -> None:
    """Index the SOPs, answer one question by meaning, build the founder's site."""
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher
    from opsys.views.site_server import build_site

    ws = rt.ws
    model = rt.map.classifier.embedding.model
    question = "a client's checkout stopped working, what do I do?"
    with console.status("Indexing the SOP library and building the site…"):
        r = build_index(ws.sops, ws.var, model)
        hits = Searcher(ws.var, model).search(question, k=1)
        site = build_site(ws, audience="founder")
    answer = f"{hits[0].title} — {hits[0].section}" if hits else "nothing"
    console.print(
        f"[bold]SOP library[/]: {r.pages} pages, {r.chunks_total} sections indexed in {r.seconds:.1f}s; "
        f"asked \"{question}\" → {answer}. Site (founder audience, works offline): {site / 'index.html'}; "
        f"`opsys -w {ws.root} serve` adds search by meaning."
    )
