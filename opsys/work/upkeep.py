"""What the jobs do to open work on every run, each step audited:

    close_by_evidence  a later CRM activity or stage change on the contact's deal, the team's mail to
                       the contact (Sent folder, outbox) or the sender's reply on the thread, closes a
                       task whose kind lists it in `closes_on` (`reply` covers both mails)
    redispatch         snoozed tasks wake; urgent open tasks of someone away go to someone else;
                       tasks parked on the overflow owner (or on nobody) are re-offered, highest
                       priority and oldest due first, whenever capacity frees or someone is back
    escalate_overdue   past respond_within (business time): remind the owner, then the backup or
                       role, then the founder; one step a run, each step once, the next one a
                       further respond_within later
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsys.config.models import SystemMap
from opsys.records.events import EventKind, rule
from opsys.records.tasks import Task
from opsys.rules.task_routing import Load, RoutingState, away_today, route_inputs
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.threads import answer_evidence
from opsys.store.tasks import (
    away_periods,
    crm_evidence,
    get_task,
    list_tasks,
    reply_evidence,
    set_escalation,
    set_owner,
    set_status,
    wake,
)
from opsys.work.opening import alert_person, business_time, routing_state, rule_role, store_cursor

_EVIDENCE_KINDS = {"crm_activity": "activity_recorded", "deal_stage": "deal_stage_changed", "reply": "reply"}


def close_by_evidence(db: sqlite3.Connection, m: SystemMap, now: datetime) -> list[int]:
    """Ids of the tasks closed because something showed the work happened."""
    closed: list[int] = []
    with write_transaction(db):
        for task in list_tasks(db):
            wanted = {_EVIDENCE_KINDS[e] for e in m.tasks.kinds[task.kind].closes_on} if task.kind in m.tasks.kinds \
                else set()
            if not wanted or task.contact_id is None:
                continue
            ev = None
            if wanted & {"activity_recorded", "deal_stage_changed"}:
                ev = crm_evidence(db, task.contact_id, task.created_event_id, task.created_at)
                if ev is not None and ev.kind not in wanted:
                    ev = None
            if ev is None and "reply" in wanted and task.subject_type == "inquiry":
                # the team's mail to them (Sent folder, outbox) or their reply to it (store/threads.py)
                ev = answer_evidence(db, task.contact_id, int(task.subject_id)) or reply_evidence(
                    db, task.contact_id, int(task.subject_id), task.title)
            if ev is None:
                continue
            by = f"evidence: {ev.kind} ({ev.ref})"
            set_status(db, task.id, "done", at=now, by=by, note=ev.message)
            record_event(db, EventKind.TASK_CLOSED_BY_EVIDENCE, decided_by=rule(f"tasks.yml#{task.kind}.closes_on"),
                         subject_type="task", subject_id=task.id, inputs={"evidence": ev.ref, "kind": ev.kind},
                         decision={"status": "done", "owner": task.owner_id},
                         message=f"#{task.id} closed by {ev.kind} ({ev.ref}): {ev.message}")
            closed.append(task.id)
    return closed


@dataclass(frozen=True)
class Redispatch:
    woken: tuple[int, ...] = ()
    rerouted_away: tuple[int, ...] = ()
    redispatched: tuple[int, ...] = ()


def redispatch(db: sqlite3.Connection, m: SystemMap, now: datetime) -> Redispatch:
    """Wake snoozed tasks, move urgent work off people who are away, re-offer parked work."""
    with write_transaction(db):
        woken = wake(db, now)
        away = away_today(m, now, away_periods(db))
        moved_away = [t.id for t in list_tasks(db, statuses=("open",))
                      if t.owner_id in away and t.priority == 1 and _reroute(db, m, now, t, away=away)]
        parked = [t for t in list_tasks(db, statuses=("open",))
                  if t.parked or t.owner_id is None]
        parked.sort(key=lambda t: (t.priority, t.due_at or t.created_at, t.id))
        moved = [t.id for t in parked if _reroute(db, m, now, t)]
    return Redispatch(tuple(woken), tuple(moved_away), tuple(moved))


def _reroute(db: sqlite3.Connection, m: SystemMap, now: datetime, task: Task, *,
             away: dict[str, str] | None = None) -> bool:
    """Route the task again on today's loads; move it when someone other than the current owner can
    take it without parking. `away` given: the owner is away and the task is urgent."""
    kind = m.tasks.kinds.get(task.kind)
    effort = task.effort_hours if task.effort_hours is not None else (kind.effort_hours if kind else 0.0)
    state = routing_state(db, m, now, task.contact_id, effort)
    if task.owner_id and not away:  # the parked task's own weight must not block its new owner
        loads = dict(state.loads)
        mine = loads.get(task.owner_id)
        if mine is not None:
            loads[task.owner_id] = Load(max(mine.count - 1, 0), max(mine.hours - effort, 0.0))
        state = RoutingState(loads, state.cursors, state.previous_owners, state.away, state.effort_hours)
    inputs = {k: v for k, v in task.routing_inputs.items() if k != "loads"}
    d = route_inputs(dict(inputs), m, state)
    if d.owner_id is None or d.owner_id == task.owner_id or (d.explanation.get("parked") and not away):
        return False
    store_cursor(db, d, now)
    if away:
        why = f"{task.owner_id} is {away[task.owner_id]}; {d.reason}"
        kind_ev, head = EventKind.TASK_REROUTED_AWAY, "Urgent task moved to you"
    else:
        why = f"capacity freed: {d.reason}"
        kind_ev, head = EventKind.TASK_REDISPATCHED, "Task for you"
    set_owner(db, task.id, d.owner_id, rule=d.rule, reason=why, parked=bool(d.explanation.get("parked")),
              explanation=dict(d.explanation), role=rule_role(m, d.rule))
    record_event(db, kind_ev, decided_by=rule(f"routing.yml#{d.rule}"), subject_type="task", subject_id=task.id,
                 inputs={**inputs, "from": task.owner_id, "candidates": d.explanation.get("candidates", [])},
                 decision={"owner": d.owner_id, "strategy": d.explanation.get("strategy"),
                           "tie_break": d.explanation.get("tie_break")}, message=f"#{task.id}: {why}")
    alert_person(db, m, get_task(db, task.id), d.owner_id, why, heading=head,  # type: ignore[arg-type]
                 decided_by=rule(f"routing.yml#{d.rule}"))
    return True


@dataclass(frozen=True)
class EscalationStep:
    task_id: int
    level: int  # 1-based: the ladder step that ran
    step: str
    told: tuple[str, ...]


def escalate_overdue(db: sqlite3.Connection, m: SystemMap, now: datetime) -> list[EscalationStep]:
    """One ladder step for each open task whose next step is due; every step runs once."""
    done: list[EscalationStep] = []
    with write_transaction(db):
        away = away_today(m, now, away_periods(db))
        for task in list_tasks(db, statuses=("open",)):
            kind = m.tasks.kinds.get(task.kind)
            if kind is None or task.due_at is None or task.escalation_level >= len(kind.escalation):
                continue
            bt = business_time(m, task.owner_id)  # the owner's hours: late counts in their working time
            at = task.due_at
            for _ in range(task.escalation_level):  # each later step a further respond_within on
                at = bt.add(at, kind.respond_within)
            if now < at:
                continue
            level = task.escalation_level + 1
            step = kind.escalation[level - 1]
            told = _targets(m, task, step, away)
            late = bt.business_minutes_between(task.due_at, now)
            set_escalation(db, task.id, level)
            why = (f"#{task.id} is {late:.0f} business minutes past its respond-within of {kind.respond_within}: "
                   f"step {level} of {len(kind.escalation)} ({step}) tells {', '.join(told) or 'nobody'}")
            record_event(db, EventKind.TASK_ESCALATED, decided_by=rule(f"tasks.yml#{task.kind}.escalation"),
                         subject_type="task", subject_id=task.id,
                         inputs={"due_at": task.due_at.isoformat(), "owner": task.owner_id, "late_minutes": late},
                         decision={"level": level, "step": step, "told": told}, message=why)
            for pid in told:
                alert_person(db, m, task, pid, why, heading="Reminder" if step == "remind_owner" else "Late task",
                             decided_by=rule(f"tasks.yml#{task.kind}.escalation"))
            done.append(EscalationStep(task.id, level, step, tuple(told)))
    return done


def _targets(m: SystemMap, task: Task, step: str, away: dict[str, str]) -> list[str]:
    """Who a ladder step tells: present people only (the founder even when away, as the last resort)."""
    head, _, arg = step.partition(":")
    people = m.team.people
    if head == "remind_owner":
        return [task.owner_id] if task.owner_id else []
    if head == "person":
        return [arg]
    if head == "founder":
        founders = [p.id for p in people if "founder" in p.roles] or [m.routing.overflow_owner]
        present = [p for p in founders if p not in away]
        return [p for p in (present or founders) if p != task.owner_id] or (present or founders)
    if head == "backup_role":
        owner = next((p for p in people if p.id == task.owner_id), None)
        if owner and owner.backup and owner.backup not in away:
            return [owner.backup]
        role = task.role
    else:
        role = arg
    return [p.id for p in people if role in p.roles and p.id != task.owner_id and p.id not in away]
