"""What stops a sequence, checked at the start of every `fire_timers` run, before anything fires.

    reply          an inbound touch (not an auto-reply) since the enrolment started
    meeting        a touch of a meeting or calendar channel, an accepted invite ("Accepted: …"), or the
                   followed deal showing a next activity booked after the enrolment started
    deal_advanced  the followed deal left the stage it was in (or was won or lost)
    unsubscribe / bounce   the contact's consent (opsys.store.contacts.consent_of) is no longer ok
Only contacts whose last touch moved since the last look are read again (`touch_seen_at`), so a run
over 10,000 enrolments stays a handful of queries. In a sequence that reads replies (the close-out),
an inbound touch after the reading step's mail is a reply to read, not an exit.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsys.config.models import SystemMap
from opsys.records.events import EventKind, rule
from opsys.records.mail import Touch
from opsys.rules.business_time import BusinessTime
from opsys.store.events import record_event
from opsys.store.timers import (
    Enrolment,
    active_watch,
    end_enrolment,
    enrolment_deal_states,
    enrolments_without_consent,
    fired_step_at,
    get_enrolment,
    set_cooldown,
    set_touch_seen,
)
from opsys.store.touches import last_touch_at_many, touches_since

MEETING_CHANNELS = ("meeting", "calendar", "crm_meeting")
_ACCEPTED = re.compile(r"^\s*(accepted|invitation accepted|angenommen|accepté)\s*:", re.I)


@dataclass(frozen=True)
class ReplyToRead:
    """An inbound touch answering a close-out's reading step: classified outside the write transaction."""

    enrolment: Enrolment
    touch: Touch


def stop(db: sqlite3.Connection, m: SystemMap, now: datetime, e: Enrolment, reason: str, *, decided_by: str,
         detail: dict | None = None, state: str = "exited") -> bool:
    """End an enrolment (its pending timers cancelled), start the contact's cool-down, write the event."""
    if not end_enrolment(db, e.id, state=state, reason=reason, at=now):
        return False
    bt = BusinessTime.for_firm(m.team.firm)
    set_cooldown(db, e.contact_id, bt.add(now, m.sequences.cool_down), f"{e.sequence} {state}: {reason}")
    kind = EventKind.SEQUENCE_DONE if state == "done" else EventKind.SEQUENCE_EXITED
    record_event(db, kind, decided_by=decided_by, subject_type="contact", subject_id=e.contact_id,
                 inputs={"enrolment": e.id, "sequence": e.sequence, **(detail or {})},
                 decision={"state": state, "reason": reason, "cool_down": str(m.sequences.cool_down)},
                 message=f"{e.sequence} {'finished' if state == 'done' else 'stopped'} for contact {e.contact_id}: "
                         f"{reason}")
    return True


def check_exits(db: sqlite3.Connection, m: SystemMap, now: datetime, is_accepted_invite) -> tuple[list[str], list[ReplyToRead]]:
    """Stop every enrolment an exit condition now holds for; return what stopped and the replies to read.
    `is_accepted_invite(touch) -> bool` reads an inbound mail's subject (the store's)."""
    stopped: list[str] = []
    replies: list[ReplyToRead] = []
    watch = active_watch(db)
    active = _Lazy(db, watch)

    def exit_(e: Enrolment, reason: str, detail: dict) -> None:
        seq = m.sequences.sequences.get(e.sequence)
        head = reason.split(":")[0]
        if seq is not None and head not in seq.exit_on:
            return
        if stop(db, m, now, e, reason, decided_by=rule(f"sequences.yml#{e.sequence}.exit_on.{head}"), detail=detail):
            stopped.append(f"{e.sequence}: contact {e.contact_id} ({head})")
            active.pop(e.id, None)

    for eid, consent in enrolments_without_consent(db):
        if eid in active:
            exit_(active[eid], "unsubscribe" if consent == "unsubscribed" else "bounce", {"consent": consent})
    for eid, stage, status, next_activity in enrolment_deal_states(db):
        e = active.get(eid)
        if e is None:
            continue
        if stage != e.deal_stage or status != "open":
            exit_(e, f"deal_advanced: {e.deal_stage} -> {stage} ({status})",
                  {"deal": f"{e.deal_crm}:{e.deal_id}", "stage": stage, "status": status})
        elif next_activity and next_activity > e.started_at.isoformat():
            exit_(e, f"meeting: the CRM shows a next activity on {next_activity[:16]}",
                  {"deal": f"{e.deal_crm}:{e.deal_id}", "next_activity_at": next_activity})
    watch = [w for w in watch if w[0] in active]
    last = last_touch_at_many(db, [w[1] for w in watch])
    for eid, cid, seen in watch:
        lt = last.get(cid)
        if lt is None or (seen is not None and lt <= datetime.fromisoformat(seen)):
            continue
        e = get_enrolment(db, eid)
        if e is None:
            continue
        seq = m.sequences.sequences.get(e.sequence)
        reading = _reading_since(db, e, seq)
        for t in touches_since(db, e.contact_id, e.touch_seen_at or e.started_at):
            if t.auto:
                continue  # an auto-reply is stored, never a reply
            if t.channel in MEETING_CHANNELS or (t.direction == "in" and is_accepted_invite(t)):
                exit_(e, f"meeting: {t.channel} touch {t.source}", {"touch": t.source})
            elif t.direction == "in" and reading is not None and t.at >= reading:
                if e.reply_source is None:
                    replies.append(ReplyToRead(e, t))
                break
            elif t.direction == "in":
                exit_(e, f"reply: {t.channel} touch {t.source}", {"touch": t.source, "at": t.at.isoformat()})
            if e.id not in active:
                break
        if e.id in active and not any(r.enrolment.id == e.id for r in replies):
            set_touch_seen(db, e.id, lt)
    return stopped, replies


class _Lazy(dict):
    """Active enrolments by id, each read from the store only when an exit check needs it in full
    (10,000 enrolments, a handful with news: the run stays a few queries)."""

    def __init__(self, db: sqlite3.Connection, watch: list[tuple[int, int, str | None]]):
        super().__init__((w[0], None) for w in watch)
        self._db = db

    def __getitem__(self, eid: int) -> Enrolment:
        e = super().__getitem__(eid)
        if e is None:
            e = get_enrolment(self._db, eid)
            assert e is not None
            super().__setitem__(eid, e)
        return e

    def get(self, eid: int, default=None):  # type: ignore[override]
        return self[eid] if eid in self else default

    def values(self):  # type: ignore[override]
        return [self[k] for k in self]


def _reading_since(db: sqlite3.Connection, e: Enrolment, seq) -> datetime | None:
    """When the step whose reply this sequence reads fired (None: it does not read one, or not yet)."""
    if seq is None:
        return None
    for i, s in enumerate(seq.steps):
        if s.read_reply:
            return fired_step_at(db, e.id, i)
    return None


def accepted_invite_subject(subject: str) -> bool:
    """"Accepted: Discovery call" is a calendar invite the contact accepted."""
    return bool(_ACCEPTED.match(subject or ""))
