"""The notification outbox: queued in the routing transaction, sent after commit, every attempt kept."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from opsys.store.events import utcnow


@dataclass(frozen=True)
class PendingNotification:
    id: int
    inquiry_id: int | None
    person_id: str
    url_index: int
    title: str
    body: str
    attempts: int
    task_id: int | None = None

    @property
    def subject(self) -> tuple[str, int | None]:
        """What the alert is about, for its audit events: the task when it is a task alert."""
        return ("task", self.task_id) if self.task_id is not None else ("inquiry", self.inquiry_id)


def pending_notifications(db: sqlite3.Connection) -> list[PendingNotification]:
    """Everything still to send, oldest first."""
    return [PendingNotification(r["id"], r["inquiry_id"], r["person_id"], r["url_index"], r["title"], r["body"],
                                r["attempts"], r["task_id"])
            for r in db.execute("SELECT * FROM notifications WHERE status = 'pending' ORDER BY id")]


def queue_task_notification(db: sqlite3.Connection, task_id: int, inquiry_id: int | None, person_id: str,
                            url_index: int, title: str, body: str) -> int:
    """A task alert (assignment, escalation) in the outbox, in the transaction of the change it announces."""
    cur = db.execute(
        "INSERT INTO notifications (inquiry_id, task_id, person_id, url_index, title, body, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
        (inquiry_id, task_id, person_id, url_index, title, body, utcnow()))
    return int(cur.lastrowid)


def mark_attempt(db: sqlite3.Connection, notification_id: int, *, status: str, attempts: int,
                 error: str | None) -> None:
    """One delivery attempt's result; `sent_at` only on success."""
    db.execute("UPDATE notifications SET status = ?, attempts = ?, last_error = ?, sent_at = ? WHERE id = ?",
               (status, attempts, error, utcnow() if error is None else None, notification_id))


def notification_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many notifications are pending, sent and failed (for status and the founder page)."""
    return {r[0]: r[1] for r in db.execute("SELECT status, COUNT(*) FROM notifications GROUP BY status")}
