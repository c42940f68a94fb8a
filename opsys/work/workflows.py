"""Executable workflows: the automated steps of `system_map/workflows.yml`, run on every jobs run.

`run_workflows` reads the audit log from its own cursor (events since the last run: a deal won or
moved stage, an inquiry routed, a task closed; new clients in clients.yml become `client_added`
events first), asks rules/workflow_triggers.py which steps they start, and opens each step's task
through `open_task`: routed (the step's `role` first), due `due` later in the owner's business
time, with the step's effort and SOP. A step runs once per subject: the `workflow_runs` row is
claimed before the task is opened, so a deal won twice, a re-import or a second run opens nothing
again. Everything happens in one transaction with the cursor move.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsys.config.models import SystemMap
from opsys.records.events import EventKind, rule
from opsys.records.tasks import DealContext, TaskSpec
from opsys.rules.workflow_triggers import Firing, TriggerEvent, firings
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.tasks import (
    add_known_clients,
    claim_workflow_run,
    deal_by_subject,
    event_cursor,
    events_after,
    inquiry_brief,
    known_clients,
    runs_of_tasks,
    set_event_cursor,
    set_run_task,
)
from opsys.work.opening import open_task

CURSOR = "run_workflows"
BASELINE = "known_clients"  # set once the clients of the first run are recorded as already known
KINDS = ("deal_won", "deal_stage_changed", "routed", "client_added", "task_done", "task_closed_by_evidence")


@dataclass(frozen=True)
class WorkflowsRun:
    """What one run did: the tasks opened, the steps that had already run for their subject."""

    opened: tuple[int, ...] = ()
    already: int = 0
    events: int = 0


def run_workflows(db: sqlite3.Connection, m: SystemMap, now: datetime) -> WorkflowsRun:
    """Open the task of every automated step an event since the last run started (each step once)."""
    with write_transaction(db):
        clients_added(db, m, now)
        after = event_cursor(db, CURSOR) or 0
        events = events_after(db, after, KINDS)
        runs = runs_of_tasks(db, [int(e.subject_id) for e in events
                                  if e.kind in ("task_done", "task_closed_by_evidence") and e.subject_id
                                  and e.subject_id.isdigit()])
        read = []
        for e in events:
            run = runs.get(int(e.subject_id)) if e.subject_type == "task" and (e.subject_id or "").isdigit() else None
            read.append(TriggerEvent(e.id, e.kind, e.subject_type, e.subject_id, e.decision,
                                     step_id=run.step_id if run else None,
                                     subject=(run.subject_type, run.subject_id) if run else None))
        opened, already = [], 0
        for f in firings(read, m.workflows):
            tid = run_step(db, m, now, f)
            if tid is None:
                already += 1
            else:
                opened.append(tid)
        if events:
            set_event_cursor(db, CURSOR, events[-1].id, now)
    return WorkflowsRun(tuple(opened), already, len(events))


def clients_added(db: sqlite3.Connection, m: SystemMap, now: datetime) -> list[str]:
    """New names in clients.yml, each recorded once as a `client_added` event; the first run only
    takes note of the clients already there (they are not new)."""
    names = [c.name for c in m.clients.clients]
    if event_cursor(db, BASELINE) is None:
        add_known_clients(db, names, now)
        set_event_cursor(db, BASELINE, 0, now)
        return []
    new = [n for n in names if n not in known_clients(db)]
    for name in new:
        client = next(c for c in m.clients.clients if c.name == name)
        record_event(db, EventKind.CLIENT_ADDED, decided_by=rule("clients.yml"), subject_type="client",
                     subject_id=name, inputs={"tier": client.tier, "account_manager": client.account_manager},
                     message=f"{name} is a new {client.tier} client in clients.yml")
    add_known_clients(db, new, now)
    return new


def run_step(db: sqlite3.Connection, m: SystemMap, now: datetime, f: Firing) -> int | None:
    """Open one step's task for its subject; None when that step already ran for it."""
    step, kind = f.step, m.tasks.kind(f.step.task_kind or "")
    spec, deal, label = _spec(db, m, f)
    run_id = claim_workflow_run(db, f.workflow.id, step.id or "", (f.subject_type, f.subject_id), spec.contact_id,
                                f.event_id, now)
    if run_id is None:
        return None
    what = f"{step.text} — {label} ({f.workflow.name}; {kind.label.lower()})."
    task = open_task(db, m, now, spec, role=step.role, due_in=step.due, sop=step.sop, deal=deal, what_to_do=what)
    set_run_task(db, run_id, task.id)
    record_event(db, EventKind.WORKFLOW_STEP_OPENED, decided_by=rule(f"workflows.yml#{f.workflow.id}.{step.id}"),
                 subject_type="task", subject_id=task.id,
                 inputs={"workflow": f.workflow.id, "step": step.id, "when": step.when, "event_id": f.event_id,
                         "about": f"{f.subject_type} {f.subject_id}"},
                 decision={"task": task.id, "owner": task.owner_id,
                           "due_at": task.due_at.isoformat() if task.due_at else None},
                 message=f"{f.why}: task #{task.id} for {task.owner_id or 'nobody yet'}")
    return task.id


def _spec(db: sqlite3.Connection, m: SystemMap, f: Firing) -> tuple[TaskSpec, DealContext | None, str]:
    """The task a step opens for its subject: the deal's contact and company, the inquiry's, the client's."""
    step = f.step
    base = {"kind": step.task_kind or "", "effort_hours": step.effort_hours,
            "reasons": (f.why,)}
    if f.subject_type == "deal":
        d = deal_by_subject(db, f.subject_id) or {}
        name = d.get("name") or f.subject_id
        company = d.get("company")
        client = next((c for c in m.clients.clients if company and c.name.lower() == company.lower()), None)
        spec = TaskSpec(title=f"{step.text}: {name}", subject_type="deal", subject_id=f.subject_id,
                        contact_id=d.get("contact_id"), client=client.name if client else company,
                        client_tier=client.tier if client else None, **base)  # type: ignore[arg-type]
        deal = DealContext(name, d.get("stage") or "?", d.get("value")) if d else None
        return spec, deal, f"deal {name}" + (f" ({company})" if company else "")
    if f.subject_type == "inquiry":
        q = inquiry_brief(db, int(f.subject_id)) or {}
        spec = TaskSpec(title=f"{step.text}: {q.get('subject') or 'inquiry ' + f.subject_id}",
                        subject_type="inquiry", subject_id=f.subject_id, contact_id=q.get("contact_id"),
                        service=q.get("service"), channel=q.get("channel"), **base)  # type: ignore[arg-type]
        return spec, None, f"inquiry #{f.subject_id}"
    client = next((c for c in m.clients.clients if c.name == f.subject_id), None)
    spec = TaskSpec(title=f"{step.text}: {f.subject_id}", subject_type="client", subject_id=f.subject_id,
                    client=f.subject_id, client_tier=client.tier if client else None, **base)  # type: ignore[arg-type]
    return spec, None, f"client {f.subject_id}"
