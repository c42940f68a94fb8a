"""The periodic work, as one named, ordered list of steps; each takes `now` and returns a typed result.

    link_crm            link CRM deals and contacts to intake contacts (email, phone, company)
    run_workflows       open the tasks of workflows.yml's automated steps that new events started
                        (after link_crm: a won deal's tasks then know the deal's contact)
    close_by_evidence   close tasks a CRM activity, stage change or the sender's reply shows done
    enrol_sequences     record closed jobs (delivered stages), enrol contacts a sequences.yml trigger names
                        (after close_by_evidence and CRM linking: both decide who is quiet and whose deal moved)
    fire_timers         follow-up: exits first, replies to satisfaction checks read, then every due step
                        once (mail through the approval gate, tasks, notifications); before send_notifications
                        and the mail sender, so what a step queued goes out in the same run
    redispatch          wake snoozed tasks, move urgent work off people away, re-offer parked tasks
    escalate_overdue    one escalation step for each task past its respond-within
    send_notifications  retry what is due in the Apprise outbox (escalations included)
    send_mail           the mail outbox after send_notifications (and after fire_timers, which queues
                        follow-up mail): SMTP in the sending window and the hour's limit, retries with
                        backoff; without SMTP, .eml files in var/outbox/mail/ for a person to send
    crm_write_back      import-ready CSVs of what the CRM does not know yet
    leads_page          var/pages/leads.md
    work_pages          var/pages/work/<person>.md ("My work") and var/pages/work.md (the team board),
                        after every step that opens, moves or closes tasks
    pipeline_page       var/pages/pipeline.md and its charts
    mail_reconcile      once per business day: every message of each mailbox folder over the last 7 days
                        maps to one stored inquiry, touch or dismissal, else a gap (before founder_page,
                        which shows the gaps)
    founder_page        var/pages/today.md, last: it reads what every step before it did; then the
                        morning digest when due (once per business day), sent at once

`opsys tick [--now ISO]` and the watcher run them all (`JOBS`); an intake batch is followed by
`AFTER_INTAKE`. Timers, sequences, re-dispatch and the founder's page are added here as steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsys.app import App
    from opsys.followup.enrolling import Enrolled
    from opsys.followup.firing import Fired
    from opsys.followup.sentiment import ReplyReader
    from opsys.notify.mail_out import MailSent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notified:
    sent: int
    failed: int

    def summary(self) -> str:
        return f"notifications {self.sent} sent, {self.failed} failed"


@dataclass(frozen=True)
class Linked:
    linked: int

    def summary(self) -> str:
        return f"{self.linked} CRM records linked"


@dataclass(frozen=True)
class WrittenBack:
    files: tuple[Path, ...]

    def summary(self) -> str:
        return f"write-back files {len(self.files)}"


@dataclass(frozen=True)
class EvidenceClosed:
    closed: tuple[int, ...]

    def summary(self) -> str:
        return f"{len(self.closed)} tasks closed by evidence"


@dataclass(frozen=True)
class Redispatched:
    woken: tuple[int, ...]
    rerouted_away: tuple[int, ...]
    redispatched: tuple[int, ...]

    def summary(self) -> str:
        return (f"{len(self.redispatched)} parked tasks re-dispatched, {len(self.rerouted_away)} moved off people "
                f"away, {len(self.woken)} woken")


@dataclass(frozen=True)
class Escalated:
    steps: tuple[str, ...]  # "#12 step 2 backup_role -> leo"

    def summary(self) -> str:
        return f"{len(self.steps)} escalation steps"


@dataclass(frozen=True)
class PageBuilt:
    page: Path

    def summary(self) -> str:
        return f"page {self.page}"


def send_notifications(app: "App", now: datetime) -> Notified:
    """Queued alerts go out after their commit; failures are retried on the next run."""
    from opsys.notify.dispatch import dispatch_pending

    r = dispatch_pending(app.db, app.map.team, app.ws.send_lock)
    return Notified(r.sent, r.failed)


def send_mail(app: "App", now: datetime) -> "MailSent":
    """Queued mail goes out after its commit, in working hours, within the hour's limit."""
    from opsys.notify.mail_out import send_due
    from opsys.store.locks import exclusive

    with exclusive(app.ws.send_lock):  # the watcher and `opsys tick` must not send the same row twice
        return send_due(app.db, app.map, now, root=app.ws.root, outbox_dir=app.ws.outbox / "mail")


def link_crm(app: "App", now: datetime) -> Linked:
    """A lead and its CRM deal become one record once the CRM export knows them."""
    return Linked(app.crm.link())


def close_by_evidence(app: "App", now: datetime) -> EvidenceClosed:
    """Work that shows it happened is closed, so capacity frees without anyone typing a command."""
    from opsys.work.upkeep import close_by_evidence as close

    return EvidenceClosed(tuple(close(app.db, app.map, now)))


def redispatch(app: "App", now: datetime) -> Redispatched:
    """Parked work goes to whoever has capacity again; nobody away holds urgent work."""
    from opsys.work.upkeep import redispatch as run

    r = run(app.db, app.map, now)
    return Redispatched(r.woken, r.rerouted_away, r.redispatched)


def escalate_overdue(app: "App", now: datetime) -> Escalated:
    """Late work is said out loud: owner, then backup or role, then founder, each once."""
    from opsys.work.upkeep import escalate_overdue as run

    return Escalated(tuple(f"#{s.task_id} step {s.level} {s.step} -> {', '.join(s.told) or 'nobody'}"
                           for s in run(app.db, app.map, now)))


@dataclass(frozen=True)
class WorkflowsRan:
    opened: tuple[int, ...]
    already: int
    events: int

    def summary(self) -> str:
        return f"workflow steps opened {len(self.opened)} tasks ({self.events} events read, {self.already} ran before)"


def run_workflows(app: "App", now: datetime) -> WorkflowsRan:
    """The map is the machine: a won deal opens its onboarding tasks, a done task the next step."""
    from opsys.work.workflows import run_workflows as run

    r = run(app.db, app.map, now)
    return WorkflowsRan(r.opened, r.already, r.events)


@dataclass(frozen=True)
class WorkPagesBuilt:
    pages: tuple[Path, ...]

    def summary(self) -> str:
        return f"work pages {len(self.pages)}"


def work_pages(app: "App", now: datetime) -> WorkPagesBuilt:
    """Each person's open work by due time, and the team board against capacity."""
    from opsys.knowledge.sop import load_library
    from opsys.views.work_pages import build_work_pages

    sops = {s.sop_id: s.rel for s in load_library(app.ws.sops)} if app.ws.sops.is_dir() else {}
    return WorkPagesBuilt(tuple(build_work_pages(app.db, app.ws.pages, app.map, now, sops)))


def enrol_sequences(app: "App", now: datetime) -> "Enrolled":
    """A quiet lead, a quiet proposal or a closed job starts its sequence; each enrolment audited."""
    from opsys.followup.enrolling import enrol_sequences as run

    return run(app.db, app.map, now)


def fire_timers(app: "App", now: datetime) -> "Fired":
    """Each due sequence step fires exactly once; after downtime, once, marked late."""
    from opsys.ai.drafting import drafting_llm
    from opsys.followup.firing import fire_timers as run

    return run(app.db, app.map, now, llm=drafting_llm(app.map.classifier, app.map.team.firm),
               reader=lambda: reply_reader(app))


def reply_reader(app: "App") -> "ReplyReader":
    """The satisfaction-reply reader, built on first need and kept on the app (it loads the models)."""
    reader = app.__dict__.get("_reply_reader")
    if reader is None or reader.examples != list(app.map.sentiment_examples):  # rebuilt after a map edit
        from opsys.ai.llm import LocalLlm
        from opsys.followup.sentiment import ReplyReader

        m = app.map
        reader = app.__dict__["_reply_reader"] = ReplyReader(
            m.sentiment_examples, m.classifier, cache_path=app.ws.var / "cache" / "sentiment.pickle",
            ask_below=m.sequences.confidence, llm=LocalLlm(m.classifier.llm, m.team.firm) if m.classifier.llm.enabled
            else None)
    return reader


def crm_write_back(app: "App", now: datetime) -> WrittenBack:
    """What opsys learned, as files the CRM can import; each item written once."""
    from opsys.notify.crm_writeback import write_back
    from opsys.store.locks import exclusive

    with exclusive(app.ws.send_lock):  # two processes must not write the same items twice
        files = write_back(app.db, app.ws.outbox / "crm", app.map, now)
    return WrittenBack(tuple(f.file for f in files))


def leads_page(app: "App", now: datetime) -> PageBuilt:
    from opsys.store.inquiries import list_inquiries
    from opsys.views.leads_page import render_leads_page, write_page

    path = app.ws.pages / "leads.md"
    write_page(path, render_leads_page(list_inquiries(app.db), app.map, now))
    return PageBuilt(path)


@dataclass(frozen=True)
class FounderPageBuilt:
    page: Path
    items: int
    digest_queued: int

    def summary(self) -> str:
        return f"founder page {self.items} items" + (f", digest queued ({self.digest_queued})"
                                                     if self.digest_queued else "")


def founder_page(app: "App", now: datetime) -> FounderPageBuilt:
    """Only what needs the founder, rebuilt after everything else ran; the digest goes out when due."""
    from opsys.founder.digest import queue_digest_if_due
    from opsys.founder.page import mark_build, refresh
    from opsys.views.leads_page import write_page
    from opsys.views.today_page import render_today_page

    today = refresh(app, now)
    path = app.ws.pages / "today.md"
    write_page(path, render_today_page(today, app.map))
    queued = queue_digest_if_due(app, today, now)
    mark_build(app, now)
    if queued:  # the digest should not wait for the next run's send_notifications
        send_notifications(app, now)
    return FounderPageBuilt(path, len(today.items), queued)


@dataclass(frozen=True)
class MailReconciled:
    listed: int
    gaps: int
    skipped: str  # why it did not run now ("already reconciled on …"), else ""

    def summary(self) -> str:
        return f"mail reconcile: {self.skipped}" if self.skipped else \
            f"mail reconcile: {self.listed} messages, {self.gaps} gaps"


def mail_reconcile(app: "App", now: datetime) -> MailReconciled:
    """Nothing lost, proven daily: the mailboxes against the store (no models needed)."""
    from opsys.intake.mail_reconcile import due_today, reconcile

    why_not = due_today(app.map, app.db, now)
    if why_not:
        return MailReconciled(0, 0, why_not)
    r = reconcile(app.map, app.db, app.ws.root, now)
    return MailReconciled(r.listed, len(r.gaps) + len(r.problems), "")


def pipeline_page(app: "App", now: datetime) -> PageBuilt:
    from opsys.views.pipeline_page import build_pipeline_page

    return PageBuilt(build_pipeline_page(app.db, app.ws.pages, app.map, now))


Result = Notified | Linked | WrittenBack | PageBuilt | EvidenceClosed | Redispatched | Escalated | WorkflowsRan \
    | WorkPagesBuilt | FounderPageBuilt | MailReconciled


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[["App", datetime], Result]


JOBS: tuple[Job, ...] = (
    Job("link_crm", link_crm),
    Job("run_workflows", run_workflows),
    Job("close_by_evidence", close_by_evidence),
    Job("enrol_sequences", enrol_sequences),
    Job("fire_timers", fire_timers),
    Job("redispatch", redispatch),
    Job("escalate_overdue", escalate_overdue),
    Job("send_notifications", send_notifications),
    Job("send_mail", send_mail),
    Job("crm_write_back", crm_write_back),
    Job("leads_page", leads_page),
    Job("work_pages", work_pages),
    Job("pipeline_page", pipeline_page),
    Job("mail_reconcile", mail_reconcile),
    Job("founder_page", founder_page),
)
AFTER_INTAKE: tuple[str, ...] = ("run_workflows", "send_notifications", "leads_page", "work_pages")
AFTER_CRM_IMPORT: tuple[str, ...] = ("send_notifications", "link_crm", "run_workflows", "crm_write_back",
                                     "work_pages", "pipeline_page")


@dataclass
class JobsReport:
    """What one run did, step by step; a failed step is reported and the others still run."""

    now: datetime
    results: dict[str, Result] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.results.get(name)

    @property
    def notifications_sent(self) -> int:
        r = self.get("send_notifications")
        return r.sent if r else 0

    @property
    def notifications_failed(self) -> int:
        r = self.get("send_notifications")
        return r.failed if r else 0

    def as_dict(self) -> dict[str, Any]:
        """The shape `opsys tick --json` prints."""
        linked, wb, page = self.get("link_crm"), self.get("crm_write_back"), self.get("pipeline_page")
        return {"now": self.now.isoformat(), "linked": linked.linked if linked else 0,
                "writeback": [str(f) for f in wb.files] if wb else [],
                "page": str(page.page) if page else None,
                "notifications_sent": self.notifications_sent, "notifications_failed": self.notifications_failed,
                "steps": {k: {**asdict(v), "summary": v.summary()} for k, v in self.results.items()},
                "failed": self.failed}


class Jobs:
    """Runs the named steps in their declared order, each with the same `now`."""

    def __init__(self, app: "App"):
        self.app = app

    def run(self, now: datetime | None = None, only: tuple[str, ...] | None = None) -> JobsReport:
        """Every job (or those in `only`, still in JOBS order); one failing step never stops the rest."""
        now = now or self.app.clock()
        report = JobsReport(now)
        for job in JOBS:
            if only is not None and job.name not in only:
                continue
            try:
                report.results[job.name] = job.run(self.app, now)
            except Exception as e:  # our bug or a passing fault: said, logged, retried on the next run
                log.exception("job %s failed; it runs again next time", job.name)
                report.failed[job.name] = f"{type(e).__name__}: {e}"
            else:
                log.info("job %s: %s", job.name, report.results[job.name].summary())
        self._record(report)
        return report

    def _record(self, report: JobsReport) -> None:
        """One audit event a run: `opsys status` reads the last one."""
        from opsys.records.events import Decider, EventKind
        from opsys.store.db import write_transaction
        from opsys.store.events import record_event

        with write_transaction(self.app.db):
            record_event(self.app.db, EventKind.JOBS_RUN, decided_by=Decider.JOBS,
                         inputs={"now": report.now.isoformat(), "steps": list(report.results) + list(report.failed)},
                         decision={k: v.summary() for k, v in report.results.items()} | {
                             k: f"failed: {v}" for k, v in report.failed.items()},
                         message="; ".join(v.summary() for v in report.results.values())
                         + ("; failed: " + ", ".join(report.failed) if report.failed else ""))

    def after_intake(self, now: datetime | None = None) -> JobsReport:
        return self.run(now, AFTER_INTAKE)

    def after_crm_import(self, now: datetime | None = None) -> JobsReport:
        return self.run(now, AFTER_CRM_IMPORT)
