"""The one function every producer calls to create work: `open_task`.

It routes the task (rules/task_routing.py) on what the store knows now (open loads in tasks and
hours, round-robin cursors, the contact's earlier owners, who is away), computes the due time in
business time from tasks.yml, builds the context pack, stores it, writes `task_created` and
`task_assigned` (with every candidate and the tie-break) and queues the owner's alert, all in the
caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime

from opsys.config.calendar_models import Duration, PersonAvailability
from opsys.config.models import SystemMap
from opsys.config.task_models import TaskKind
from opsys.notify.messages import Alert, task_alert, tasks_alert
from opsys.records import RouteDecision
from opsys.records.events import EventKind, rule
from opsys.records.tasks import ContextPack, DealContext, Task, TaskSpec
from opsys.rules.business_time import BusinessTime
from opsys.rules.task_routing import RoutingState, away_today, route_inputs
from opsys.store.events import record_event
from opsys.store.notifications import queue_task_notification
from opsys.store.tasks import (
    NewTask,
    add_task,
    away_periods,
    contact_deal,
    contact_summary,
    cursors,
    inquiry_history,
    open_loads,
    previous_owners,
    set_created_event,
    set_cursor,
)


def default_efforts(m: SystemMap) -> dict[str, float]:
    return {name: k.effort_hours for name, k in m.tasks.kinds.items()}


_TIMES: dict[int, tuple[SystemMap, dict[str | None, BusinessTime]]] = {}


def business_time(m: SystemMap, person_id: str | None = None) -> BusinessTime:
    """The firm's business time, or the person's (their own `timezone` and `working_hours` in team.yml);
    built once per map, so holidays are computed once and not on every task."""
    kept = _TIMES.get(id(m))
    if kept is None or kept[0] is not m:
        if len(_TIMES) > 8:
            _TIMES.clear()
        kept = _TIMES[id(m)] = (m, {None: BusinessTime.for_firm(m.team.firm)})
    times = kept[1]
    key = person_id if person_id and any(p.id == person_id and (p.timezone or p.working_hours)
                                         for p in m.team.people) else None
    if key not in times:
        p = m.team.person(key)  # type: ignore[arg-type]
        times[key] = times[None].for_person(PersonAvailability(timezone=p.timezone, working_hours=p.working_hours))
    return times[key]


def routing_state(db: sqlite3.Connection, m: SystemMap, now: datetime, contact_id: int | None,
                  effort_hours: float) -> RoutingState:
    """What routing needs from the store, read in the caller's transaction."""
    return RoutingState(loads=open_loads(db, default_efforts(m)), cursors=cursors(db),
                        previous_owners=previous_owners(db, contact_id),
                        away=away_today(m, now, away_periods(db)), effort_hours=effort_hours)


def rule_role(m: SystemMap, rule_name: str) -> str | None:
    """The role a rule routes by (for escalation's backup_role step)."""
    r = next((x for x in m.routing.rules if x.name == rule_name), None)
    return r.assign.role if r and r.assign else None


def store_cursor(db: sqlite3.Connection, d: RouteDecision, now: datetime) -> None:
    cursor = d.explanation.get("cursor")
    if cursor:
        set_cursor(db, d.rule, str(cursor), now)


def open_task(db: sqlite3.Connection, m: SystemMap, now: datetime, spec: TaskSpec, *,
              decision: RouteDecision | None = None, notify: bool = True, role: str | None = None,
              due_in: Duration | None = None, sop: str | None = None, deal: DealContext | None = None,
              what_to_do: str | None = None) -> Task:
    """Route, store and announce one task. `decision` is given when the producer already routed
    (intake's inquiry route), so one decision owns both; `notify=False` when the producer sends its
    own alert (intake's hot-lead and escalation alerts). A workflow step passes its `role` (who does
    it), `due_in` (business time from now, in the owner's hours), `sop`, `deal` and `what_to_do`."""
    kind = m.tasks.kind(spec.kind)
    effort = spec.effort_hours if spec.effort_hours is not None else kind.effort_hours
    if decision is None:
        inputs0: dict[str, object] = spec.routing_inputs() | ({"role": role} if role else {})
        decision = route_inputs(inputs0, m, routing_state(db, m, now, spec.contact_id, effort))
    d = decision
    store_cursor(db, d, now)
    due = spec.due_at or business_time(m, d.owner_id).add(now, due_in or kind.respond_within)
    context = spec.context or default_context(db, m, spec, kind, d)
    if sop or deal or what_to_do:
        context = replace(context, what_to_do=what_to_do or context.what_to_do,
                          sop=sop.partition("#")[0] if sop else context.sop,
                          sop_section=(sop.partition("#")[2] or None) if sop else context.sop_section,
                          deal=deal or context.deal)
    inputs = {k: v for k, v in d.inputs.items() if k != "loads"} | {"task_kind": spec.kind}
    parked = bool(d.explanation.get("parked")) or d.owner_id is None
    task = add_task(db, NewTask(
        kind=spec.kind, title=spec.title, subject_type=spec.subject_type, subject_id=spec.subject_id,
        contact_id=spec.contact_id, owner_id=d.owner_id, priority=kind.priority, created_at=now, due_at=due,
        effort_hours=effort, rule=d.rule, reason=d.reason, role=rule_role(m, d.rule), parked=parked,
        context=context, routing_inputs=inputs, explanation=dict(d.explanation)))
    tid = task.id
    subj = {"subject_type": "task", "subject_id": tid}
    record_event(db, EventKind.TASK_CREATED, decided_by=rule(f"tasks.yml#{spec.kind}"), **subj,
                 inputs={"kind": spec.kind, "about": f"{spec.subject_type} {spec.subject_id}",
                         "contact_id": spec.contact_id, "respond_within": str(kind.respond_within)},
                 decision={"due_at": due.isoformat(), "effort_hours": effort, "priority": kind.priority},
                 message=f"{kind.label}: {spec.title} (due {due:%Y-%m-%d %H:%M %Z})")
    eid = record_event(db, EventKind.TASK_ASSIGNED, decided_by=rule(f"routing.yml#{d.rule}"), **subj,
                       inputs={**inputs, "candidates": d.explanation.get("candidates", [])},
                       decision={"owner": d.owner_id, "strategy": d.explanation.get("strategy"),
                                 "tie_break": d.explanation.get("tie_break"), "parked": parked},
                       message=d.reason)
    set_created_event(db, tid, eid)
    task = replace(task, created_event_id=eid)
    if notify and task.owner_id:
        alert_person(db, m, task, task.owner_id, d.reason, heading="New task",
                     decided_by=rule(f"routing.yml#{d.rule}"))
    return task


def alert_person(db: sqlite3.Connection, m: SystemMap, task: Task, person_id: str, why: str, *, heading: str,
                 decided_by: str) -> int:
    """Queue a task alert to every notify URL of `person_id` (sent after the commit); how many queued."""
    inquiry = int(task.subject_id) if task.subject_type == "inquiry" else None
    return _queue(db, m, task_alert(task, why, heading=heading), person_id, task.id, inquiry, decided_by, {})


def alert_list(db: sqlite3.Connection, m: SystemMap, tasks: list[Task], source: str) -> int:
    """Announce the tasks one lead list opened: one alert per owner (a single task keeps its own)."""
    by_owner: dict[str, list[Task]] = {}
    for t in tasks:
        if t.owner_id:
            by_owner.setdefault(t.owner_id, []).append(t)
    queued = 0
    for person_id, theirs in by_owner.items():
        first = theirs[0]
        if len(theirs) == 1:
            queued += alert_person(db, m, first, person_id, first.reason, heading="New task",
                                   decided_by=rule(f"routing.yml#{first.rule}"))
        else:
            queued += _queue(db, m, tasks_alert(theirs, source), person_id, first.id, None,
                             rule("routing.yml (lead list)"), {"tasks": [t.id for t in theirs], "source": source})
    return queued


def _queue(db: sqlite3.Connection, m: SystemMap, alert: Alert, person_id: str, task_id: int, inquiry: int | None,
           decided_by: str, inputs: dict[str, object]) -> int:
    """One alert to every notify URL of the person, each audited; a person without URLs is audited too."""
    person = m.team.person(person_id)
    subj = {"subject_type": "task", "subject_id": task_id}
    if not person.notify:
        record_event(db, EventKind.NOTIFICATION_SKIPPED, decided_by=rule("team.yml"), **subj,
                     inputs={"person": person_id}, message=f"{person.name} has no notify URLs in team.yml")
    for idx, _url in enumerate(person.notify):
        nid = queue_task_notification(db, task_id, inquiry, person_id, idx, alert.title, alert.body)
        record_event(db, EventKind.NOTIFICATION_QUEUED, decided_by=decided_by, **subj,
                     inputs={"person": person_id, "url_index": idx, **inputs}, decision={"notification_id": nid},
                     message=alert.title)
    return len(person.notify)


def default_context(db: sqlite3.Connection, m: SystemMap, spec: TaskSpec, kind: TaskKind,
                    d: RouteDecision) -> ContextPack:
    """What to do (tasks.yml's sentence filled in), the SOP, the contact's history and deal, the reasons."""
    contact = contact_summary(db, spec.contact_id) if spec.contact_id is not None else None
    who = (contact or {}).get("name") or (contact or {}).get("email") or (contact or {}).get("phone") or "the contact"
    svc = m.team.firm.services.get(spec.service or "")
    fields = {"who": who, "company": (contact or {}).get("company") or spec.client or "no company given",
              "subject": spec.title, "channel": spec.channel or "-", "service": svc.label if svc else "-"}
    deal = contact_deal(db, spec.contact_id) if spec.contact_id is not None else None
    history = inquiry_history(db, spec.contact_id) if spec.contact_id is not None else []
    return ContextPack(
        what_to_do=kind.what_to_do.format(**fields), sop=kind.sop_id, sop_section=kind.sop_section,
        history=tuple(history), client_tier=spec.client_tier,
        deal=DealContext(*deal) if deal else None, decisions=(*spec.reasons, d.reason), draft=spec.draft)
