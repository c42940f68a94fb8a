"""What a person does to a task (`opsys task done|reassign|snooze|cancel`, `opsys away`), each audited.

Every function runs in its own write transaction and checks before it changes anything: an unknown
task or person, a closed task or a time in the past raises a `TaskCommandError` that says so, and
nothing is written.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from opsys.config.models import SystemMap
from opsys.records.events import Decider, EventKind
from opsys.records.tasks import Task
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.tasks import add_away, away_periods, get_task, set_owner, set_snooze, set_status
from opsys.work.opening import alert_person, business_time


class TaskCommandError(ValueError):
    """A task command that cannot be done as asked; the message says why and what to do instead."""


def person(by: str) -> str:
    """`decided_by` for someone acting through a command."""
    return f"{Decider.PERSON}:{by}"


def _open_task(db: sqlite3.Connection, task_id: int) -> Task:
    task = get_task(db, task_id)
    if task is None:
        raise TaskCommandError(f"no task #{task_id}; `opsys tasks --all` lists every task and its id")
    if not task.is_open:
        raise TaskCommandError(f"task #{task_id} is already {task.status}"
                               + (f" ({task.closed_by})" if task.closed_by else "") + "; nothing changed")
    return task


def _known_person(m: SystemMap, person_id: str) -> None:
    if person_id not in {p.id for p in m.team.people}:
        raise TaskCommandError(f"unknown person {person_id!r}; team.yml has "
                               f"{', '.join(p.id for p in m.team.people)}")


def close_task(db: sqlite3.Connection, task_id: int, now: datetime, by: str, note: str | None = None) -> Task:
    """Done: the work happened; the owner's capacity is free again."""
    return _finish(db, task_id, now, by, note, "done", EventKind.TASK_DONE)


def cancel_task(db: sqlite3.Connection, task_id: int, now: datetime, by: str, note: str | None = None) -> Task:
    """Cancelled: the work is not needed any more."""
    return _finish(db, task_id, now, by, note, "cancelled", EventKind.TASK_CANCELLED)


def _finish(db: sqlite3.Connection, task_id: int, now: datetime, by: str, note: str | None, status: str,
            kind: EventKind) -> Task:
    with write_transaction(db):
        task = _open_task(db, task_id)
        set_status(db, task_id, status, at=now, by=person(by), note=note)
        record_event(db, kind, decided_by=person(by), subject_type="task", subject_id=task_id,
                     inputs={"owner": task.owner_id, "kind": task.kind}, decision={"note": note},
                     message=f"#{task_id} {status} by {by}" + (f": {note}" if note else ""))
    return get_task(db, task_id)  # type: ignore[return-value]


def reassign_task(db: sqlite3.Connection, m: SystemMap, task_id: int, to: str, now: datetime, by: str) -> Task:
    """Given to someone else by a person; the new owner is alerted."""
    _known_person(m, to)
    with write_transaction(db):
        task = _open_task(db, task_id)
        if task.owner_id == to:
            raise TaskCommandError(f"task #{task_id} is already {to}'s; nothing changed")
        why = f"reassigned by {by} from {task.owner_id or 'nobody'} to {to}"
        set_owner(db, task_id, to, rule=task.rule, reason=why, parked=False,
                  explanation={"strategy": "person", "by": by, "from": task.owner_id})
        record_event(db, EventKind.TASK_REASSIGNED, decided_by=person(by), subject_type="task", subject_id=task_id,
                     inputs={"from": task.owner_id}, decision={"owner": to}, message=why)
        alert_person(db, m, get_task(db, task_id), to, why, heading="Task for you",  # type: ignore[arg-type]
                     decided_by=person(by))
    return get_task(db, task_id)  # type: ignore[return-value]


def snooze_task(db: sqlite3.Connection, m: SystemMap, task_id: int, until: datetime, now: datetime,
                by: str) -> Task:
    """Waiting until a time (the client asked to talk next week); due again respond_within after it."""
    with write_transaction(db):
        task = _open_task(db, task_id)
        if until <= now:
            raise TaskCommandError(f"{until.isoformat()} is not in the future; snooze until a later time")
        kind = m.tasks.kind(task.kind)
        due = business_time(m, task.owner_id).add(until, kind.respond_within)
        set_snooze(db, task_id, until, due)
        record_event(db, EventKind.TASK_SNOOZED, decided_by=person(by), subject_type="task", subject_id=task_id,
                     inputs={"until": until.isoformat(), "due_before": task.due_at.isoformat() if task.due_at else None},
                     decision={"due_at": due.isoformat()},
                     message=f"#{task_id} waits until {until:%Y-%m-%d %H:%M %Z}, then due {due:%Y-%m-%d %H:%M %Z}")
    return get_task(db, task_id)  # type: ignore[return-value]


def set_away(db: sqlite3.Connection, m: SystemMap, person_id: str, start: date, until: date, now: datetime,
             by: str, note: str = "") -> int:
    """An away period on top of team.yml's: nobody away gets new work; urgent tasks re-route on the next run."""
    _known_person(m, person_id)
    if until < start:
        raise TaskCommandError(f"--until {until} is before --from {start}; swap them")
    with write_transaction(db):
        known = [*m.team.person(person_id).away, *away_periods(db).get(person_id, [])]
        clash = next((a for a in known if a.start <= until and start <= a.until), None)
        if clash is not None:
            raise TaskCommandError(f"{person_id} is already away {clash.start}..{clash.until}"
                                   + (f" ({clash.note})" if clash.note else "")
                                   + "; give dates outside it (or edit away in team.yml)")
        aid = add_away(db, person_id, start, until, note, now)
        record_event(db, EventKind.PERSON_AWAY, decided_by=person(by), subject_type="person", subject_id=person_id,
                     inputs={"from": start.isoformat(), "until": until.isoformat(), "note": note},
                     decision={"away_period": aid}, message=f"{person_id} away {start}..{until}"
                     + (f" ({note})" if note else ""))
    return aid
