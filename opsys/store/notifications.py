"""The notification outbox: queued in the routing transaction, sent after commit, every attempt kept."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from opsys.store.events import utcnow


@dataclass(frozen=True)
class PendingNotification:
    id: int
    inquiry_id: int
    person_id: str
    url_index: int
    title: str
    body: str
    attempts: int


def pending_notifications(db: sqlite3.Connection) -> list[PendingNotification]:
    """Everything still to send, oldest first."""
    return [PendingNotification(r["id"], r["inquiry_id"], r["person_id"], r["url_index"], r["title"], r["body"],
                                r["attempts"])
            for r in db.execute("SELECT * FROM notifications WHERE status = 'pending' ORDER BY id")]


def mark_attempt(db: sqlite3.Connection, notification_id: int, *, status: str, attempts: int,
                 error: str | None) -> None:
    """One delivery attempt's result; `sent_at` only on success."""
    db.execute("UPDATE notifications SET status = ?, attempts = ?, last_error = ?, sent_at = ? WHERE id = ?",
               (status, attempts, error, utcnow() if error is None else None, notification_id))


def notification_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many notifications are pending, sent and failed (for status and the founder page)."""
    return {r[0]: r[1] for r in db.execute("SELECT status, COUNT(*) FROM notifications GROUP BY status")}
