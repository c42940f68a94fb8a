"""When a sequence's next step is due: its waits added up in the firm's business time.

A wait in business days lands on the working day that many working days later, at the same local
time kept inside working hours (a job closed at 20:00 on Monday has its "business day 3" on
Thursday, not on Friday morning). Hours and calendar waits use `BusinessTime.add` as written.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from opsys.config.calendar_models import Duration
from opsys.config.sequence_models import Sequence
from opsys.rules.business_time import BusinessTime

# A timer fired within this of its due time was on time; later, it is marked late and the next
# step counts from when it really ran, so a downtime never sends two steps at once.
LATE_AFTER = timedelta(minutes=15)


def add_wait(bt: BusinessTime, start: datetime, wait: Duration) -> datetime:
    """`start` plus one wait of a sequence."""
    if not (wait.business and wait.unit == "day"):
        return bt.add(start, wait)
    local = start.astimezone(bt.tz)
    day = local.date()
    for _ in range(int(wait.amount)):
        day = bt.next_working_day(day)
    hours = bt.calendar.working_hours
    latest = (datetime.combine(day, hours.end) - timedelta(minutes=15)).time()
    at = min(max(local.time(), hours.start), latest if latest > hours.start else hours.start)
    return datetime.combine(day, time(at.hour, at.minute), tzinfo=bt.tz)


def next_action(bt: BusinessTime, seq: Sequence, after: int, base: datetime) -> tuple[int, datetime] | None:
    """(index, due) of the first step after `after` that does something, its waits added; None at the end."""
    j, due = after + 1, base
    while j < len(seq.steps) and seq.steps[j].wait is not None:
        due = add_wait(bt, due, seq.steps[j].wait)  # type: ignore[arg-type]
        j += 1
    return (j, due) if j < len(seq.steps) else None


def base_for_next(due: datetime, fired: datetime) -> datetime:
    """What the next wait counts from: the plan when on time, the real firing when late."""
    return due if fired - due <= LATE_AFTER else fired
