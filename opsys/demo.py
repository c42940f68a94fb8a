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
    demo_documents(console, app)
    demo_mailbox(console, app)
    demo_outbox(console, app)
    demo_followup(console, app)
    demo_founder(console, app, port)
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
    from opsys.store.threads import thread_counts

    tc = thread_counts(app.db)  # threads (intake/thread_steps.py): replies and resubmissions are no new leads
    console.print(f"[bold]Threads[/]: {tc['threads']} conversations; {tc.get('reply', 0) + tc.get('follow_up', 0)} "
                  f"replies and {tc.get('resubmission', 0)} resubmissions joined their thread instead of becoming "
                  f"new leads; {tc['touches']} touches recorded")
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
    wf = after["steps"].get("run_workflows")  # workflows.yml's automated steps, started by the won deal
    if wf:
        console.print(f"[bold]Workflows[/]: {wf['summary']}; each person's open work: {ws.pages / 'work'}/")


def demo_documents(console: Console, app: App) -> None:
    """A QuickBooks invoice and the Harvest time report it bills, dropped into the inbox: one planted mismatch."""
    from opsys.store.documents import current_documents, open_mismatches

    for f in sorted((Path(__file__).resolve().parent / "sample" / "documents").iterdir()):
        shutil.copy2(f, app.ws.inbox / f.name)
    app.intake.consume(sorted(app.ws.inbox.iterdir()))
    found = open_mismatches(app.db)
    console.print(Text.assemble(("Documents", "bold"), f": {len(current_documents(app.db))} stored (invoice and "
                                f"timesheet), {len(found)} mismatch{'es' * (len(found) != 1)}"
                                + "".join(f"; {m.explanation}" for m in found[:2])
                                + f". `opsys -w {app.ws.root} documents`"))


def demo_mailbox(console: Console, app: App) -> None:
    """A Maildir (as mbsync keeps one) holding the team's reply to a sample lead: fetched, then reconciled."""
    import mailbox
    from email.message import EmailMessage

    from opsys.config.loader import load_system_map
    from opsys.intake.mail_fetch import MailFetcher
    from opsys.intake.mail_reconcile import reconcile
    from opsys.store.inquiries import list_inquiries

    lead = next((i for i in list_inquiries(app.db) if i.email and i.channel == "email"), None)
    if lead is None:
        return
    folder = app.ws.var / "demo-maildir"
    md = mailbox.Maildir(folder, create=True)
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = "Jordan <jordan@brightside.example>", lead.email, f"Re: {lead.subject}"
    reply["Message-ID"], reply["Date"] = "<demo-reply-1@brightside.example>", app.clock().strftime("%a, %d %b %Y %H:%M:%S +0000")
    reply.set_content(f"Hi {lead.name or 'there'}, thanks for reaching out; does Wednesday 10am suit you for a call?")
    md.add_folder("Sent").add(bytes(reply))
    path = app.ws.system_map / "sources.yml"
    path.write_text(path.read_text(encoding="utf-8") + f"\nmailboxes:\n  - name: demo\n    kind: maildir\n"
                    f"    path: {folder}\n    sent_folder: Sent\n", encoding="utf-8")
    app.reload_map(load_system_map(app.ws.system_map))
    got = MailFetcher(app.ws, app.map, app.db, app.intake, app.clock).fetch()
    proof = reconcile(app.map, app.db, app.ws.root, app.clock())
    sent = next((f for f in got.folders if f.folder == "Sent"), None)
    console.print(Text.assemble(("Mailbox", "bold"), f": a Maildir read (sources.yml mailboxes:): the team's reply to "
                                f"{lead.email} from its Sent folder recorded as "
                                f"{', '.join(sent.outcomes) if sent else 'nothing'}; reconciled: {proof.summary()}. "
                                f"`opsys -w {app.ws.root} mail reconcile`"))


def demo_outbox(console: Console, app: App) -> None:
    """A follow-up to a sample lead drafted by the local LLM (guarded), held for approval, approved, then
    written as .eml because the sample firm has no SMTP server."""
    from opsys.ai.drafting import draft_mail, drafting_llm, render_template
    from opsys.records.mail import MailSpec
    from opsys.store.inquiries import list_inquiries
    from opsys.store.outbox import get_mail
    from opsys.work.mail import approve_draft, queue_draft

    lead = next((i for i in list_inquiries(app.db) if i.email), None)
    t = app.map.sequences.templates.get("quiet-lead-nudge")
    if lead is None or t is None:
        return
    svc = app.map.team.firm.services.get(lead.service or "")
    fields = {"first_name": (lead.name or "there").split()[0], "subject": lead.subject,
              "service": svc.label if svc else "your project", "company": lead.company or ""}
    draft = draft_mail(drafting_llm(app.map.classifier, app.map.team.firm), t.body, fields,
                       sign_off=app.map.sources.outbound.sign_off)
    now = app.clock()
    mail_id = queue_draft(app.db, app.map, now, MailSpec(
        to=lead.email, subject=render_template(t.subject, fields), body=draft.text, rule="rule:demo",
        idempotency_key=f"demo:nudge:{lead.id}", contact_id=lead.contact_id), draft, "required")
    approve_draft(app.db, now, mail_id, by="demo")
    app.jobs.run(now, ("send_mail",))
    mail = get_mail(app.db, mail_id)
    when = ""
    if mail.status == "queued" and mail.next_attempt_at:  # outside working hours: walk to the opening
        when = f"at {mail.next_attempt_at:%a %H:%M} UTC, the firm's next working hour, "
        app.jobs.run(mail.next_attempt_at, ("send_mail",))
        mail = get_mail(app.db, mail_id)
    how = "the LLM's draft passed every guard" if draft.used_llm else f"plain template, {draft.fallback_reason[:80]}"
    where = (f"{when}written to {mail.written_path} for a person to send (no SMTP in sources.yml)"
             if mail.written_path else mail.status)
    console.print(Text.assemble(("Outbox", "bold"), f": a follow-up to {lead.email} drafted ({how}), held for approval, "
                                f"approved, {where}. `opsys -w {app.ws.root} outbox`"))


def demo_followup(console: Console, app: App) -> None:
    """A job closes for a sample client; the clock walked to business day 3 sends the satisfaction check."""
    from opsys.followup.commands import close_job_now, list_enrolments
    from opsys.followup.schedule import add_wait
    from opsys.rules.business_time import BusinessTime, parse_duration

    now = app.clock()
    close_job_now(app.db, app.map, now, "rcastillo@harbordental.example", now, by="person:demo")
    day3 = add_wait(BusinessTime.for_firm(app.map.team.firm), now, parse_duration("3 business days"))
    fired = app.jobs.run(day3, ("enrol_sequences", "fire_timers")).get("fire_timers")
    rows = list_enrolments(app.db, app.map)
    console.print(Text.assemble(("Follow-up", "bold"), f": Harbor Dental's job closed; on business day 3 "
                                f"({day3:%a %d %b}) {len(fired.fired) if fired else 0} step fired (the satisfaction "
                                f"check); {len(rows)} in sequences; `opsys -w {app.ws.root} sequences`"))


def demo_founder(console: Console, app: App, port: int) -> None:
    """The founder's page: only what needs them, and what was handled without them; the digest if due."""
    from contextlib import nullcontext

    from opsys.founder.page import refresh
    from opsys.notify.listener import NotificationListener
    from opsys.records.founder import Section

    try:
        listener: NotificationListener | nullcontext = NotificationListener(port=port)
    except OSError:
        listener = nullcontext()
    with console.status("Building the founder's page (judgment labels)…"), listener:
        digest = app.jobs.run(only=("founder_page",)).get("founder_page")
        today = refresh(app, app.clock())
    counts = ", ".join(f"{len(today.section(s))} {s.value}" for s in Section)
    console.print(f"[bold]Founder's page[/]: {len(today.items)} items ({counts}); handled without the founder: "
                  + ", ".join(f"{v} {k}" for k, v in today.handled.items())
                  + (f"; morning digest sent ({digest.digest_queued})" if digest and digest.digest_queued else "")
                  + f". `opsys -w {app.ws.root} today`; page: {app.ws.pages / 'today.md'}")


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
