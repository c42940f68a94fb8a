"""The mail outbox: one row per mail, queued in the producer's transaction, sent after commit.

A mail's idempotency key is unique, so queueing it twice queues it once; its Message-ID is made at
queue time, so every retry (and the copy in the Sent folder) carries the same one. Statuses:

    waiting_approval  a draft under `approval: required`, until a person approves (or rejects) it
    queued            due from `not_before` / `next_attempt_at`, inside the sending window
    sending           claimed by the sender; a crash leaves it here and the next run sends it again
    sent | written    delivered to the SMTP server, or written as .eml for a person to send
    failed            gave up after the last retry; `last_error` says why (secrets redacted)
    rejected          never to be sent: a person rejected it, or the contact unsubscribed or bounced

Times are stored as UTC ISO text, so text order is time order.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from opsys.store.times import from_iso as _dt, to_iso as iso

STATUSES = ("queued", "waiting_approval", "sending", "sent", "failed", "rejected", "written")


@dataclass(frozen=True)
class OutboxMail:
    id: int
    idempotency_key: str
    message_id: str
    contact_id: int | None
    to: str
    from_addr: str | None
    subject: str
    body: str
    in_reply_to: str | None
    rule: str
    status: str
    approval: str
    timezone: str | None
    not_before: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    written_path: str | None
    draft: dict[str, Any] | None  # model, prompt hash, guards, fallback reason (drafted mail only)
    decided_by: str | None  # who approved or rejected it
    decided_at: datetime | None
    note: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()}


def _mail(r: sqlite3.Row) -> OutboxMail:
    return OutboxMail(
        id=int(r["id"]), idempotency_key=r["idempotency_key"], message_id=r["message_id"],
        contact_id=r["contact_id"], to=r["to_addr"], from_addr=r["from_addr"], subject=r["subject"],
        body=r["body"], in_reply_to=r["in_reply_to"], rule=r["rule"], status=r["status"], approval=r["approval"],
        timezone=r["timezone"], not_before=_dt(r["not_before"]), attempts=int(r["attempts"]),
        next_attempt_at=_dt(r["next_attempt_at"]), last_error=r["last_error"], sent_at=_dt(r["sent_at"]),
        written_path=r["written_path"], draft=json.loads(r["draft_json"]) if r["draft_json"] else None,
        decided_by=r["decided_by"], decided_at=_dt(r["decided_at"]), note=r["note"],
        created_at=datetime.fromisoformat(r["created_at"]))


def insert_mail(db: sqlite3.Connection, *, key: str, message_id: str, contact_id: int | None, to: str,
                from_addr: str | None, subject: str, body: str, in_reply_to: str | None, rule: str, status: str,
                approval: str, timezone: str | None, not_before: datetime | None, now: datetime,
                draft: dict[str, Any] | None = None, note: str | None = None) -> tuple[int, bool]:
    """(id, created): a key already in the outbox returns its row untouched, whatever else differs."""
    if status not in STATUSES:
        raise ValueError(f"outbox status {status!r}: use one of {', '.join(STATUSES)}")
    cur = db.execute(
        "INSERT INTO outbox (idempotency_key, message_id, contact_id, to_addr, from_addr, subject, body, in_reply_to,"
        " rule, status, approval, timezone, not_before, draft_json, note, last_error, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        (key, message_id, contact_id, to, from_addr, subject, body, in_reply_to, rule, status, approval, timezone,
         iso(not_before) if not_before else None, json.dumps(draft, ensure_ascii=False) if draft else None,
         note, note if status == "rejected" else None, iso(now), iso(now)))
    if cur.rowcount:
        return int(cur.lastrowid), True
    row = db.execute("SELECT id FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
    return int(row["id"]), False


def get_mail(db: sqlite3.Connection, mail_id: int) -> OutboxMail | None:
    r = db.execute("SELECT * FROM outbox WHERE id = ?", (mail_id,)).fetchone()
    return _mail(r) if r else None


def list_mail(db: sqlite3.Connection, statuses: tuple[str, ...] | None = None, limit: int | None = None
              ) -> list[OutboxMail]:
    """Newest first; only `statuses` when given."""
    sql, args = "SELECT * FROM outbox", []
    if statuses:
        sql += f" WHERE status IN ({', '.join('?' * len(statuses))})"
        args = list(statuses)
    sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return [_mail(r) for r in db.execute(sql, args)]


def due_mail(db: sqlite3.Connection, now: datetime) -> list[OutboxMail]:
    """Queued (or left `sending` by a crash) and due by `now`, oldest first; the window is the sender's."""
    t = iso(now)
    return [_mail(r) for r in db.execute(
        "SELECT * FROM outbox WHERE status IN ('queued', 'sending') AND (not_before IS NULL OR not_before <= ?)"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id", (t, t))]


def sent_since(db: sqlite3.Connection, since: datetime) -> int:
    """How many mails went to the SMTP server at or after `since` (the rate limit's count)."""
    return int(db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at >= ? AND status = 'sent'",
                          (iso(since),)).fetchone()[0])


def first_sent_since(db: sqlite3.Connection, since: datetime) -> datetime | None:
    """The oldest send in the rate limit's hour: when it leaves the hour, one more may go."""
    r = db.execute("SELECT MIN(sent_at) FROM outbox WHERE sent_at >= ? AND status = 'sent'", (iso(since),)).fetchone()
    return _dt(r[0])


def _set(db: sqlite3.Connection, mail_id: int, now: datetime, **cols: Any) -> None:
    cols["updated_at"] = iso(now)
    sets = ", ".join(f"{c} = ?" for c in cols)
    db.execute(f"UPDATE outbox SET {sets} WHERE id = ?", (*cols.values(), mail_id))


def mark_sending(db: sqlite3.Connection, mail_id: int, now: datetime) -> None:
    """Claimed before the SMTP conversation: a crash mid-send leaves it due, so it is sent again."""
    _set(db, mail_id, now, status="sending")


def mark_sent(db: sqlite3.Connection, mail_id: int, now: datetime, attempts: int) -> None:
    _set(db, mail_id, now, status="sent", sent_at=iso(now), attempts=attempts, next_attempt_at=None)


def mark_written(db: sqlite3.Connection, mail_id: int, now: datetime, path: str) -> None:
    _set(db, mail_id, now, status="written", written_path=path, sent_at=iso(now), next_attempt_at=None)


def mark_retry(db: sqlite3.Connection, mail_id: int, now: datetime, *, attempts: int, next_at: datetime,
               error: str) -> None:
    _set(db, mail_id, now, status="queued", attempts=attempts, next_attempt_at=iso(next_at), last_error=error)


def mark_failed(db: sqlite3.Connection, mail_id: int, now: datetime, *, attempts: int, error: str) -> None:
    _set(db, mail_id, now, status="failed", attempts=attempts, next_attempt_at=None, last_error=error)


def defer(db: sqlite3.Connection, mail_id: int, now: datetime, until: datetime) -> None:
    """Not now (outside the sending window, or the hour's limit reached): due again at `until`."""
    _set(db, mail_id, now, status="queued", next_attempt_at=iso(until))


def mark_rejected(db: sqlite3.Connection, mail_id: int, now: datetime, *, reason: str, by: str) -> None:
    _set(db, mail_id, now, status="rejected", last_error=reason, note=reason, decided_by=by, decided_at=iso(now),
         next_attempt_at=None)


def mark_approved(db: sqlite3.Connection, mail_id: int, now: datetime, *, by: str, note: str | None) -> None:
    _set(db, mail_id, now, status="queued", decided_by=by, decided_at=iso(now), note=note)


def set_body(db: sqlite3.Connection, mail_id: int, now: datetime, body: str) -> None:
    _set(db, mail_id, now, body=body)


def outbox_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many mails are in each status (for status pages)."""
    return {r[0]: r[1] for r in db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")}


def contact_for_address(db: sqlite3.Connection, address: str) -> int | None:
    """The contact with this email address (any case), so consent holds for mail not tied to a contact id."""
    r = db.execute("SELECT id FROM contacts WHERE lower(email) = lower(?)", (address,)).fetchone()
    return int(r["id"]) if r else None
