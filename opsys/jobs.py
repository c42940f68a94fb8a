"""The periodic work, as one named, ordered list of steps; each takes `now` and returns a typed result.

    link_crm            link CRM deals and contacts to intake contacts (email, phone, company)
    close_by_evidence   close tasks a CRM activity, stage change or the sender's reply shows done
    redispatch          wake snoozed tasks, move urgent work off people away, re-offer parked tasks
    escalate_overdue    one escalation step for each task past its respond-within
    send_notifications  retry what is due in the Apprise outbox (escalations included)
    crm_write_back      import-ready CSVs of what the CRM does not know yet
    leads_page          var/pages/leads.md
    pipeline_page       var/pages/pipeline.md and its charts

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


def pipeline_page(app: "App", now: datetime) -> PageBuilt:
    from opsys.views.pipeline_page import build_pipeline_page

    return PageBuilt(build_pipeline_page(app.db, app.ws.pages, app.map, now))


Result = Notified | Linked | WrittenBack | PageBuilt | EvidenceClosed | Redispatched | Escalated


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[["App", datetime], Result]


JOBS: tuple[Job, ...] = (
    Job("link_crm", link_crm),
    Job("close_by_evidence", close_by_evidence),
    Job("redispatch", redispatch),
    Job("escalate_overdue", escalate_overdue),
    Job("send_notifications", send_notifications),
    Job("crm_write_back", crm_write_back),
    Job("leads_page", leads_page),
    Job("pipeline_page", pipeline_page),
)
AFTER_INTAKE: tuple[str, ...] = ("send_notifications", "leads_page")
AFTER_CRM_IMPORT: tuple[str, ...] = ("send_notifications", "link_crm", "crm_write_back", "pipeline_page")


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
