"""Send queued notifications through Apprise; every attempt is logged, failures are retried later.

Queued in the same transaction as the routing decision and sent after commit, so a crash can
repeat a notification (at-least-once) but never lose one.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from opsys.config.models import Team
from opsys.notify.urls import MissingSecret, redact, resolve
from opsys.records.events import Decider, EventKind
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.locks import exclusive
from opsys.store.notifications import mark_attempt, pending_notifications

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    failed: int


def send_apprise(url: str, title: str, body: str) -> str | None:
    """Send one notification; returns None on success or the error text, with every URL redacted
    (Apprise's own messages quote the URL, token and all)."""
    import apprise  # imported here: it is slow to import and only needed when something is due

    try:
        real = resolve(url)
    except MissingSecret as e:
        return str(e)
    ap = apprise.Apprise()
    if not ap.add(real):
        return f"Apprise does not understand the URL {redact(url)!r} (see team.yml notify)"
    logs = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")
    with logs as output:
        ok = ap.notify(title=title, body=body)
        captured = output.getvalue().strip()
    if ok:
        return None
    error = captured.splitlines()[-1] if captured else "delivery failed"
    return redact(error.replace(real, url))


def dispatch_pending(db: sqlite3.Connection, team: Team, lock: Path | None = None) -> DispatchResult:
    """Try every pending notification once; after MAX_ATTEMPTS it is marked failed for a human.
    `lock` (a file) makes senders in several processes take turns; pass it wherever two may run."""
    if lock is None:
        return _dispatch(db, team)
    # the watcher and `opsys ingest` may both dispatch: the second waits, then finds the rows sent
    with exclusive(lock):
        return _dispatch(db, team)


def _dispatch(db: sqlite3.Connection, team: Team) -> DispatchResult:
    sent = failed = 0
    for n in pending_notifications(db):
        try:
            url = team.person(n.person_id).notify[n.url_index]
        except (KeyError, IndexError):
            url, error = None, f"{n.person_id} has no notify URL #{n.url_index} in team.yml any more"
        else:
            error = send_apprise(url, n.title, n.body)
        attempts = n.attempts + 1
        status = "sent" if error is None else ("failed" if attempts >= MAX_ATTEMPTS or url is None else "pending")
        with write_transaction(db):
            mark_attempt(db, n.id, status=status, attempts=attempts, error=error)
            record_event(db, EventKind.NOTIFICATION_SENT if error is None else EventKind.NOTIFICATION_FAILED,
                         decided_by=f"{Decider.NOTIFY}:apprise", subject_type=n.subject[0], subject_id=n.subject[1],
                         inputs={"person": n.person_id, "url_index": n.url_index, "attempt": attempts},
                         decision={"status": status, "error": error}, message=n.title)
        if error is None:
            sent += 1
        else:
            failed += 1
            log.warning("notification %s to %s failed: %s", n.id, n.person_id, error)
    return DispatchResult(sent, failed)
