"""Escalations: open work that reached the founder, or that nobody else will do in time.

    ladder      the task's escalation ladder (tasks.yml) ran its `founder` step
    overflow    everyone eligible was full or away, so the task was parked on the overflow owner
    nobody      no one can take it at all (parked on nobody)
    urgent      an urgent client item past its respond-within (founder.yml escalations.urgent_kinds)
    hot lead    a hot lead not contacted within its respond-within: no outbound touch since it came in

A late task is one item, with the most pressing reason; parked work is one item per overflow owner
(and one for nobody), whose fingerprint is the set of tasks, so a new parked task shows it again.
Closing a task (by command or by evidence) takes it off the page: it is no longer yielded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from opsys.founder.items import FounderApp, short
from opsys.records.founder import FounderItem, Section
from opsys.records.tasks import Task
from opsys.store.founder import escalation_candidates
from opsys.store.touches import touches_since



def _founder_step_reached(app: FounderApp, t: Task) -> bool:
    kind = app.map.tasks.kinds.get(t.kind)
    if kind is None or "founder" not in kind.escalation:
        return False
    return t.escalation_level > kind.escalation.index("founder")


def _contacted_since(app: FounderApp, t: Task) -> bool:
    """Someone wrote or called the contact after the task opened (the threads' touches say so)."""
    if t.contact_id is None:
        return False
    return any(x.direction == "out" and not x.auto for x in touches_since(app.db, t.contact_id, t.created_at))


def _money(t: Task) -> float | None:
    deal = t.context.deal
    return deal.value if deal and deal.value else None


def task_escalations(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Open tasks that need the founder: each late one on its own (ladder, urgent, hot lead); the work
    nobody can take as one item per overflow owner (or nobody), so a busy week is one line, not twenty."""
    esc = app.map.founder.escalations
    names = {p.id: p.name for p in app.map.team.people}
    parked: dict[str, list[Task]] = {}
    for t in escalation_candidates(app.db, now, [*esc.urgent_kinds, *esc.hot_lead_kinds]):
        owner = names.get(t.owner_id or "", t.owner_id or "nobody")
        late = t.due_at is not None and now >= t.due_at
        if _founder_step_reached(app, t):
            reason, why = "ladder", (f"the escalation ladder reached the founder: due {t.due_at:%Y-%m-%d %H:%M} UTC, "
                                     f"owner {owner}")
        elif late and t.kind in esc.urgent_kinds and t.due_at and \
                now >= t.due_at + timedelta(minutes=esc.urgent_grace_minutes):
            reason, why = "urgent", f"urgent client item not acknowledged within its SLA; owner {owner}"
        elif late and t.kind in esc.hot_lead_kinds and t.due_at and \
                now >= t.due_at + timedelta(minutes=esc.hot_lead_grace_minutes) and not _contacted_since(app, t):
            reason, why = "hot_lead", f"hot lead not contacted within its SLA; owner {owner}"
        else:
            if t.owner_id is None or t.parked:
                parked.setdefault(t.owner_id or "", []).append(t)
            continue
        evidence = [f"task {t.id}", f"opsys tasks --why {t.id}"]
        if t.subject_type == "inquiry":
            evidence.insert(1, f"inquiry {t.subject_id}")
        yield FounderItem(
            key=f"task:{t.id}", section=Section.ESCALATION,
            title=f"#{t.id} {short(t.title, 70)} ({t.kind.replace('_', ' ')})", why=why, since=t.due_at or t.created_at,
            fingerprint=f"{reason}:{t.owner_id}:{t.escalation_level}", severity=1, money=_money(t),
            evidence=tuple(evidence), resolve=f"opsys task done {t.id}")
    for owner_id, tasks in parked.items():
        yield _parked_item(owner_id, names.get(owner_id, owner_id), tasks)


def _parked_item(owner_id: str, owner: str, tasks: list[Task]) -> FounderItem:
    """Work nobody eligible could take: parked on the overflow owner, or on nobody at all."""
    n = len(tasks)
    ids = sorted(t.id for t in tasks)
    where = f"parked on {owner} (overflow owner)" if owner_id else "with nobody to take them"
    hours = sum(t.effort_hours or 0 for t in tasks)
    return FounderItem(
        key=f"parked:{owner_id or 'nobody'}", section=Section.ESCALATION,
        title=f"{n} task{'s' * (n != 1)} {where}: " + ", ".join(f"#{i}" for i in ids[:8]) + (" …" if n > 8 else ""),
        why=f"everyone eligible was full or away when they were routed ({tasks[0].reason})"
            + (f"; {hours:.1f} h of work" if hours else ""),
        since=min(t.created_at for t in tasks), fingerprint=",".join(map(str, ids)), severity=1 if not owner_id else 2,
        money=sum(_money(t) or 0 for t in tasks) or None,
        evidence=tuple(f"opsys tasks --why {i}" for i in ids[:3]) + ("opsys tasks --person " + (owner_id or "''"),),
        resolve=f"opsys task reassign {ids[0]} PERSON (each), or raise capacity in team.yml; then `opsys ack {{id}}`")
