"""The morning digest: the founder's page in one message, through the Apprise outbox (and the mail
outbox, to the founder's team.yml address), once per business day.

There is no timer: every jobs run asks "is the digest due (a business day, past `founder.yml
digest.at` local time) and not yet queued today?". Queuing writes a `founder_digest_queued` event
for that local date in the same transaction, so a second run, a second process or a replayed
`--now` the same day queues nothing more.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from opsys.founder.items import FounderApp
from opsys.founder.page import SECTIONS, Today, resolve_command
from opsys.records.events import EventKind, rule
from opsys.records.mail import MailSpec
from opsys.rules.business_time import BusinessTime
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.founder import digest_queued, queue_digest
from opsys.work.mail import queue_mail


PER_SECTION = 5  # a digest is read on a phone: the page has the rest


def digest_day(app: FounderApp, now: datetime) -> date | None:
    """The local date whose digest is due now, or None (off, not a business day, too early, already queued)."""
    d = app.map.founder.digest
    local = now.astimezone(ZoneInfo(app.map.team.firm.timezone))
    if not d.enabled or local.time() < d.at:
        return None
    if not BusinessTime.for_firm(app.map.team.firm).is_working_day(local.date()):
        return None
    return None if digest_queued(app.db, local.date().isoformat()) else local.date()


def recipients(app: FounderApp) -> list[str]:
    d = app.map.founder.digest
    return list(d.to) or [p.id for p in app.map.team.people if "founder" in p.roles] or [app.map.routing.overflow_owner]


def digest_text(today: Today) -> tuple[str, str]:
    """Title and body: counts, the first items of each section with their ids, the handled line."""
    n = len(today.items)
    title = f"Today: {n} item{'s' * (n != 1)} need{'s' * (n == 1)} you"
    body = []
    for s in SECTIONS:
        items = today.section(s)
        if not items:
            continue
        body.append(f"{s.value.capitalize()} ({len(items)}):")
        body += [f"- [{r.id}] {r.item.title} — {resolve_command(r)}" for r in items[:PER_SECTION]]
        if len(items) > PER_SECTION:
            body.append(f"- … {len(items) - PER_SECTION} more on the page")
    body.append("Handled without you since yesterday: "
                + ", ".join(f"{v} {k}" for k, v in today.handled.items()) + ".")
    return title, "\n".join(body)


def queue_digest_if_due(app: FounderApp, today: Today, now: datetime) -> int:
    """Queue the digest for each recipient's notify URLs when due; how many messages were queued."""
    day = digest_day(app, now)
    if day is None:
        return 0
    title, body = digest_text(today)
    queued = 0
    with write_transaction(app.db):
        if digest_queued(app.db, day.isoformat()):  # another process got here first
            return 0
        mails = 0
        for pid in recipients(app):
            person = app.map.team.person(pid)
            for idx, _ in enumerate(person.notify):
                queue_digest(app.db, pid, idx, title, body)
                queued += 1
            if app.map.founder.digest.mail and person.email:
                queue_mail(app.db, app.map, now, MailSpec(
                    to=person.email, subject=title, body=body, rule=rule("founder.yml#digest"),
                    idempotency_key=f"founder-digest:{day.isoformat()}:{pid}", timezone=app.map.team.firm.timezone))
                mails += 1
        record_event(app.db, EventKind.FOUNDER_DIGEST_QUEUED, decided_by=rule("founder.yml#digest"),
                     subject_type="founder_digest", subject_id=day.isoformat(),
                     inputs={"at": app.map.founder.digest.at.isoformat(), "now": now.isoformat()},
                     decision={"to": recipients(app), "messages": queued, "mails": mails, "items": len(today.items)},
                     message=f"{title}; {queued} notification(s) and {mails} mail(s) queued")
    return queued
