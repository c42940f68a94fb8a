"""Every jobs run fires each due timer exactly once, then sets the next step's timer.

Order of one run: (1) exits are checked and replies to read are collected, in one transaction;
(2) replies are classified outside any transaction (the models may take seconds) and stored;
(3) due mail steps are drafted outside the transaction; (4) in one write transaction each due
timer is claimed (`fired_at` set only if still empty: a second process or a re-run finds nothing),
its step runs, an event records it, and the next step's timer is stored under its unique key.
A timer more than `schedule.LATE_AFTER` past due (downtime) fires once, marked late with how late,
and the next wait counts from when it really ran. What is due again within the run (two steps
without a wait between) fires in the same run.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsys.config.models import SystemMap
from opsys.followup.closeout import apply_reading
from opsys.followup.exits import accepted_invite_subject, check_exits, stop
from opsys.followup.fields import mail_fields
from opsys.followup.schedule import LATE_AFTER, base_for_next, next_action
from opsys.followup.steps import PreparedMail, prepare_mail, run_step
from opsys.records.events import EventKind, rule
from opsys.rules.business_time import BusinessTime
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.timers import (
    Timer,
    add_timer,
    claim_timer,
    due_timers,
    get_enrolment,
    inbound_subject,
    inbound_text,
    set_step,
    set_timer_outcome,
)


@dataclass(frozen=True)
class Fired:
    fired: tuple[str, ...]  # "quiet-lead #4 step 0: mail queued"
    late: int
    exited: tuple[str, ...]
    replies_read: tuple[str, ...]

    def summary(self) -> str:
        return (f"{len(self.fired)} sequence steps fired ({self.late} late), {len(self.exited)} exits, "
                f"{len(self.replies_read)} replies read")


def fire_timers(db: sqlite3.Connection, m: SystemMap, now: datetime, *, llm: Any = None,
                reader: Any = None) -> Fired:
    """Exits, replies, then every due step once. `llm` drafts mails (None: plain templates); `reader`
    (a ReplyReader, built only when a reply needs reading) reads satisfaction replies."""
    with write_transaction(db):
        exited, replies = check_exits(db, m, now, lambda t: accepted_invite_subject(inbound_subject(db, t)))
    read: list[str] = []
    if replies:
        texts = [inbound_text(db, r.touch) for r in replies]
        readings = (reader() if callable(reader) else reader).read_many(texts)
        with write_transaction(db):
            read = [apply_reading(db, m, now, r, g, t) for r, g, t in zip(replies, readings, texts)]
    prepared = {t.id: p for t in due_timers(db, now) if (p := _prepare(db, m, now, t, llm)) is not None}
    fired: list[str] = []
    late = 0
    bt = BusinessTime.for_firm(m.team.firm)
    with write_transaction(db):
        for _ in range(64):  # a sequence has far fewer steps in a row without a wait
            batch = due_timers(db, now)
            if not batch:
                break
            for t in batch:
                done = _fire(db, m, now, bt, t, prepared.get(t.id) or _prepare(db, m, now, t, None))
                if done is not None:
                    fired.append(done[0])
                    late += done[1]
    return Fired(tuple(fired), late, tuple(exited), tuple(read))


def _prepare(db: sqlite3.Connection, m: SystemMap, now: datetime, t: Timer, llm: Any) -> PreparedMail | None:
    e = get_enrolment(db, t.enrolment_id)
    seq = m.sequences.sequences.get(e.sequence) if e else None
    if e is None or seq is None or t.step >= len(seq.steps) or seq.steps[t.step].mail is None:
        return None
    return prepare_mail(m, now, e, e.sequence, t.step, seq.steps[t.step], mail_fields(db, m, e), llm)


def _fire(db: sqlite3.Connection, m: SystemMap, now: datetime, bt: BusinessTime, t: Timer,
          prepared: PreparedMail | None) -> tuple[str, int] | None:
    """Claim and run one timer; None when it was not this run's to fire."""
    e = get_enrolment(db, t.enrolment_id)
    late_by = max(0.0, (now - t.due_at).total_seconds())
    seq = m.sequences.sequences.get(e.sequence) if e else None
    if e is None or e.state != "active":
        claim_timer(db, t.id, now=now, late_by_seconds=late_by, outcome="skipped: enrolment ended")
        return None
    if seq is None or t.step >= len(seq.steps):
        claim_timer(db, t.id, now=now, late_by_seconds=late_by, outcome="skipped: sequence changed")
        stop(db, m, now, e, f"sequence {e.sequence!r} or its step {t.step} is no longer in sequences.yml",
             decided_by=rule("sequences.yml"))
        return None
    if not claim_timer(db, t.id, now=now, late_by_seconds=late_by, outcome="fired"):
        return None
    is_late = late_by > LATE_AFTER.total_seconds()
    out = run_step(db, m, now, e, e.sequence, seq, t.step, prepared)
    set_timer_outcome(db, t.id, out.outcome)
    lateness = f", {late_by / 3600:.1f} h late" if is_late else ""
    record_event(db, EventKind.SEQUENCE_STEP, decided_by=t.rule, subject_type="contact", subject_id=e.contact_id,
                 inputs={"enrolment": e.id, "sequence": e.sequence, "step": t.step, "action": seq.steps[t.step].action,
                         "due_at": t.due_at.isoformat(), "late_by_seconds": round(late_by), "late": is_late},
                 decision={"outcome": out.outcome, **out.detail},
                 message=f"{e.sequence} step {t.step} for contact {e.contact_id}: {out.message}{lateness}")
    nxt = next_action(bt, seq, t.step, base_for_next(t.due_at, now))
    if nxt is None:
        set_step(db, e.id, len(seq.steps))
        stop(db, m, now, e, "all steps ran", decided_by=rule(f"sequences.yml#{e.sequence}"), state="done")
    else:
        set_step(db, e.id, nxt[0])
        add_timer(db, key=f"enrolment:{e.id}:step:{nxt[0]}", enrolment_id=e.id, step=nxt[0], due_at=nxt[1],
                  rule=rule(f"sequences.yml#{e.sequence}.steps[{nxt[0]}]"), now=now)
    return f"{e.sequence} #{e.id} step {t.step}: {out.outcome}", int(is_late)
