"""The close-out's judgement of a reply: what a satisfaction check's answer leads to.

    positive (sure)   nothing now; the review request step (`when: positive`) runs on its day
    neutral (sure)    nothing more
    negative (sure)   a `client_concern` task for the account manager, and an item on the founder's page
    unsure            (confidence below sequences.yml `confidence`) a `read_client_reply` task: a person reads it
A reply is read once per enrolment; the classification is an event saying who decided (embedding or LLM).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from opsys.config.models import SystemMap
from opsys.followup.exits import ReplyToRead
from opsys.followup.sentiment import Reading
from opsys.records.events import EventKind
from opsys.records.tasks import TaskSpec
from opsys.store.events import record_event
from opsys.store.timers import get_enrolment, set_context, set_reply, set_touch_seen
from opsys.work.opening import open_task

CONCERN_KIND = "client_concern"
READ_KIND = "read_client_reply"


def apply_reading(db: sqlite3.Connection, m: SystemMap, now: datetime, r: ReplyToRead, reading: Reading,
                  text: str) -> str:
    """Store the reading and open what it calls for, in the caller's transaction; a one-line summary."""
    e = get_enrolment(db, r.enrolment.id)
    if e is None or e.state != "active" or e.reply_source is not None:
        return "already read"
    sure = reading.confidence >= m.sequences.confidence
    set_reply(db, e.id, r.touch.source, reading.sentiment, reading.confidence)
    set_touch_seen(db, e.id, r.touch.at)
    record_event(db, EventKind.REPLY_CLASSIFIED, decided_by=reading.decided_by, subject_type="contact",
                 subject_id=e.contact_id, confidence=reading.confidence,
                 inputs={"enrolment": e.id, "sequence": e.sequence, "touch": r.touch.source,
                         "min_confidence": m.sequences.confidence, **reading.detail},
                 decision={"sentiment": reading.sentiment, "sure": sure},
                 message=f"reply to the satisfaction check read as {reading.sentiment} ({reading.confidence:.2f}"
                         f"{'' if sure else ', unsure: a person reads it'})")
    kind = None if sure and reading.sentiment != "negative" else CONCERN_KIND if sure else READ_KIND
    if kind is None or kind not in m.tasks.kinds:
        return f"{reading.sentiment} ({reading.confidence:.2f})"
    quote = " ".join(text.split())[:400]
    spec = TaskSpec(kind=kind, title=f"Reply to the satisfaction check: {reading.sentiment}", subject_type="contact",
                    subject_id=str(e.contact_id), contact_id=e.contact_id, is_lead=None,
                    reasons=(f"close-out reply read as {reading.sentiment} at {reading.confidence:.2f} by "
                             f"{reading.decided_by}", f"they wrote: {quote}"))
    task = open_task(db, m, now, spec)
    set_context(db, e.id, {**e.context, "reply_task": task.id, "reply_text": quote, "replied_at": r.touch.at})
    return f"{reading.sentiment} ({reading.confidence:.2f}): task #{task.id} for {task.owner_id or 'nobody yet'}"


