"""`opsys demo`: the whole flow once, on the bundled sample firm, in var/demo/ (reset each run).

Intake of its inbox with hot leads announced to a real listener on 127.0.0.1, a CRM sync from its
HubSpot exports, the pipeline page, the SOP search index and the founder's site. Each step prints
one summary; the numbers come from the store, not from the demo.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from opsys.app import App, open_app
from opsys.workspace import SAMPLE_CRM, SAMPLE_INBOX, Workspace, init_workspace

DEFAULT_PORT = 8765  # the sample team.yml announces to 127.0.0.1:8765


def run_demo(base: Workspace, port: int, console: Console) -> Workspace:
    """Build var/demo/ from the template, run every step, print what each did."""
    target = base.var / "demo"
    if target.exists():
        shutil.rmtree(target)
    ws = init_workspace(target)
    if port != DEFAULT_PORT:  # follow the listener
        team = ws.system_map / "team.yml"
        team.write_text(team.read_text(encoding="utf-8").replace(f"//127.0.0.1:{DEFAULT_PORT}/",
                                                                 f"//127.0.0.1:{port}/"), encoding="utf-8")
    for f in sorted(SAMPLE_INBOX.iterdir()):
        shutil.copy2(f, ws.inbox / f.name)
    console.print(f"[bold]opsys demo[/]: sample firm in {ws.root}, {len(list(ws.inbox.iterdir()))} inbound files")
    app = open_app(ws)
    t0 = time.perf_counter()
    demo_intake(console, app, port)
    demo_crm(console, app)
    demo_library(console, app)
    console.print(f"\nAll done in {time.perf_counter() - t0:.1f}s (model loading included). "
                  f"Audit log of every decision: `opsys -w {ws.root} log`.")
    app.close()
    return ws


def demo_intake(console: Console, app: App, port: int) -> None:
    """The inbox: classify, score, route, announce hot leads to a real local listener."""
    from opsys.notify.listener import NotificationListener
    from opsys.store.contacts import count_contacts
    from opsys.store.inquiries import list_inquiries

    ws = app.ws
    try:
        listener_ctx = NotificationListener(port=port)
    except OSError:
        listener_ctx = None
        console.print(f"[yellow]port {port} is busy: notifications stay queued and are retried later[/]")
    with console.status("Loading models, then classifying, scoring and routing the inbox…"):
        if listener_ctx:
            with listener_ctx as listener:
                report = app.intake.consume(sorted(ws.inbox.iterdir()))
                after = app.jobs.after_intake()
            delivered = len(listener.received)
        else:
            report = app.intake.consume(sorted(ws.inbox.iterdir()))
            after = app.jobs.after_intake()
            delivered = 0

    everything = list_inquiries(app.db, leads_only=False)
    leads = [x for x in everything if x.is_lead and x.category != "spam"]
    contacts = count_contacts(app.db)
    deciders: dict[str, int] = {}
    for x in everything:
        k = x.classified_by.split(":")[0]
        deciders[k] = deciders.get(k, 0) + 1

    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    t = Table(title="Leads, best first", show_lines=False)
    for col in ("#", "who", "score", "why (points)", "class", "route → owner"):
        t.add_column(col, overflow="fold")
    names = {p.id: p.name.split()[0] for p in app.map.team.people}
    for x in leads[:10]:
        t.add_row(str(x.id), x.name or x.email or x.phone or "?", f"{x.score}{' HOT' if x.hot else ''}",
                  x.short_why(), f"{x.category} {x.category_confidence:.2f}",
                  f"{x.route_action} → {names.get(x.owner_id or '', '-')}")
    console.print(t)
    q = [o for o in report.outcomes if o.status == "quarantined"]
    for o in q:
        console.print(Text.assemble(("quarantined", "red"), f" {o.path.name}: {o.detail}"))  # no markup from names
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
    demo_tasks(console, app)


def demo_tasks(console: Console, app: App) -> None:
    """Every routed inquiry became a task with an owner and a due time in business time."""
    from collections import Counter

    from opsys.store.tasks import list_tasks

    tasks = list_tasks(app.db)
    kinds = Counter(t.kind for t in tasks)
    owners = Counter(t.owner_id or "unassigned" for t in tasks)
    first = min((t for t in tasks if t.due_at), key=lambda t: t.due_at, default=None)
    due = (f"; the first is due {first.due_at:%a %Y-%m-%d %H:%M} UTC ({first.kind} for {first.owner_id})"
           if first else "")
    console.print(
        f"[bold]Tasks[/]: {len(tasks)} open — " + ", ".join(f"{k} {n}" for k, n in kinds.most_common())
        + "; by owner " + ", ".join(f"{k} {n}" for k, n in owners.most_common()) + due
        + f". `opsys -w {app.ws.root} tasks --why ID` shows who was eligible and why."
    )


def demo_crm(console: Console, app: App) -> None:
    """Two HubSpot deal snapshots a week apart and a contacts export: events, links, write-back, page."""
    from opsys.views.pipeline_page import gather

    ws = app.ws
    drops = [Path(shutil.copy2(f, ws.crm_drop / f.name)) for f in sorted(SAMPLE_CRM.glob("*.csv"))]
    with console.status("Importing the CRM exports…"):
        outcomes = app.crm.import_files(drops)
        after = app.jobs.after_crm_import().as_dict()
    events: dict[str, int] = {}
    for o in outcomes:
        for kind, n in o.events.items():
            events[kind] = events.get(kind, 0) + n
    metrics, _, fresh = gather(app.db, app.map, app.clock())
    cur = app.map.pipeline.currency
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


def demo_library(console: Console, app: App) -> None:
    """Index the SOPs, answer one question by meaning, build the founder's site."""
    from opsys.knowledge.index import build_index
    from opsys.knowledge.search import Searcher
    from opsys.views.site_server import build_site

    ws = app.ws
    model = app.map.classifier.embedding.model
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
