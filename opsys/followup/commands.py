"""What people do to sequences: see who is in which (`opsys sequences`), stop one, close a job."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsys.config.models import SystemMap
from opsys.followup.enrolling import close_job, start_closeouts
from opsys.followup.exits import stop
from opsys.rules.business_time import BusinessTime
from opsys.store.db import write_transaction
from opsys.store.tasks import contact_summary
from opsys.store.timers import active_enrolment_of, active_enrolments, contact_by_email, next_timers


class FollowupError(ValueError):
    """A follow-up command named a contact opsys does not know, or one with nothing to stop."""


@dataclass(frozen=True)
class EnrolmentRow:
    enrolment: int
    contact_id: int
    contact: str
    sequence: str
    started_at: datetime
    next_step: int | None
    next_action: str | None
    due_at: datetime | None
    trigger: str

    def as_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["started_at"] = self.started_at.isoformat()
        d["due_at"] = self.due_at.isoformat() if self.due_at else None
        return d


def list_enrolments(db: sqlite3.Connection, m: SystemMap) -> list[EnrolmentRow]:
    """Active enrolments with their next step and when it is due, soonest first."""
    nxt = next_timers(db)
    rows = []
    for e in active_enrolments(db):
        t = nxt.get(e.id)
        seq = m.sequences.sequences.get(e.sequence)
        action = None
        if t is not None and seq is not None and t.step < len(seq.steps):
            s = seq.steps[t.step]
            action = f"mail {s.mail}" if s.mail else f"task {s.task.kind}" if s.task else "notify"
            action += f" (when {s.when})" if s.when else ""
        c = contact_summary(db, e.contact_id) or {}
        rows.append(EnrolmentRow(e.id, e.contact_id, c.get("email") or c.get("name") or f"contact {e.contact_id}",
                                 e.sequence, e.started_at, t.step if t else None, action, t.due_at if t else None,
                                 e.trigger))
    return sorted(rows, key=lambda r: (r.due_at is None, r.due_at or r.started_at))


def resolve_contact(db: sqlite3.Connection, who: str) -> int:
    """A contact by email address or id."""
    cid = int(who) if who.isdigit() else contact_by_email(db, who)
    if cid is None or contact_summary(db, cid) is None:
        raise FollowupError(f"no contact {who!r}; give the email address opsys has for them (see `opsys sequences`)")
    return cid


def stop_sequence(db: sqlite3.Connection, m: SystemMap, now: datetime, who: str, *, by: str,
                  note: str | None = None) -> str:
    """`opsys sequence stop CONTACT`: end their active sequence (pending steps cancelled), audited."""
    with write_transaction(db):
        cid = resolve_contact(db, who)
        e = active_enrolment_of(db, cid)
        if e is None:
            raise FollowupError(f"{who} is in no sequence; nothing to stop")
        stop(db, m, now, e, f"manual: {note}" if note else "manual", decided_by=by, detail={"note": note})
    return e.sequence


def close_job_now(db: sqlite3.Connection, m: SystemMap, now: datetime, email: str, at: datetime, *,
                  by: str) -> str:
    """`opsys job close --contact EMAIL [--at]`: record the closure and start the close-out at once."""
    with write_transaction(db):
        cid = resolve_contact(db, email)
        if close_job(db, m, now, contact_id=cid, at=at, by=by) is None:
            return f"the job of {email} was already closed at {at.isoformat()}"
        bt = BusinessTime.for_firm(m.team.firm)
        started = []
        for name, seq in m.sequences.sequences.items():
            if seq.trigger.job_closed:
                started += start_closeouts(db, m, now, bt, name, seq)
    return f"job closed for {email}" + (f"; {', '.join(started)}" if started else "; no close-out started "
                                        "(see `opsys log`)")
