"""Touches: every contact with a contact, in or out, in any channel — the one record follow-up reads.

A touch is recorded once per piece of evidence (`source`, e.g. "inquiry:12", "mail:<message-id>",
"crm_activity:hubspot:deal:44:2026-11-30"), so storing the same evidence twice records one touch.
Auto-replies are kept (`auto`) but never count as a reply: `last_touch_at` leaves them out unless asked.
Times are stored as UTC ISO text, so text order is time order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime

from opsys.records.mail import Direction, Touch
from opsys.store.events import utcnow
from opsys.store.times import to_iso as _iso

_DIRECTIONS = ("in", "out")


def record_touch(db: sqlite3.Connection, *, contact_id: int, direction: Direction, channel: str, at: datetime,
                 source: str, thread_id: int | None = None, inquiry_id: int | None = None,
                 auto: bool = False) -> int:
    """The touch's id; the same `source` twice returns the first touch (filling a missing thread or inquiry)."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"touch direction {direction!r}: use 'in' or 'out'")
    if not source:
        raise ValueError("a touch needs a source (where its evidence lives, e.g. 'inquiry:12')")
    row = db.execute("SELECT id, thread_id, inquiry_id FROM touches WHERE source = ?", (source,)).fetchone()
    if row is not None:
        if (thread_id and not row["thread_id"]) or (inquiry_id and not row["inquiry_id"]):
            db.execute("UPDATE touches SET thread_id = COALESCE(thread_id, ?), inquiry_id = COALESCE(inquiry_id, ?)"
                       " WHERE id = ?", (thread_id, inquiry_id, row["id"]))
        return int(row["id"])
    cur = db.execute(
        "INSERT INTO touches (contact_id, direction, channel, at, source, thread_id, inquiry_id, auto, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (contact_id, direction, channel, _iso(at), source, thread_id, inquiry_id, int(auto), utcnow()))
    return int(cur.lastrowid)


def last_touch_at(db: sqlite3.Connection, contact_id: int, *, include_auto: bool = False) -> datetime | None:
    """When anyone last touched the contact (auto-replies left out unless asked)."""
    auto = "" if include_auto else " AND auto = 0"
    r = db.execute(f"SELECT MAX(at) FROM touches WHERE contact_id = ?{auto}", (contact_id,)).fetchone()
    return datetime.fromisoformat(r[0]) if r and r[0] else None


def last_touch_at_many(db: sqlite3.Connection, contact_ids: Iterable[int]) -> dict[int, datetime]:
    """`last_touch_at` for many contacts in one query; contacts never touched are absent."""
    ids = sorted({int(i) for i in contact_ids})
    out: dict[int, datetime] = {}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        for cid, at in db.execute(f"SELECT contact_id, MAX(at) FROM touches WHERE auto = 0 AND contact_id IN ({marks})"
                                  " GROUP BY contact_id", chunk):
            out[int(cid)] = datetime.fromisoformat(at)
    return out


def touches_since(db: sqlite3.Connection, contact_id: int, since: datetime) -> list[Touch]:
    """The contact's touches at or after `since`, oldest first, auto-replies included (see `Touch.auto`)."""
    return [_touch(r) for r in db.execute(
        "SELECT * FROM touches WHERE contact_id = ? AND at >= ? ORDER BY at, id", (contact_id, _iso(since)))]


def touches_of(db: sqlite3.Connection, contact_id: int) -> list[Touch]:
    """Every touch of the contact, oldest first."""
    return [_touch(r) for r in db.execute("SELECT * FROM touches WHERE contact_id = ? ORDER BY at, id",
                                          (contact_id,))]


def touch_by_source(db: sqlite3.Connection, source: str) -> Touch | None:
    """The touch recorded for a piece of evidence, if any (e.g. a Message-ID the outbox sent)."""
    r = db.execute("SELECT * FROM touches WHERE source = ?", (source,)).fetchone()
    return _touch(r) if r else None


def _touch(r: sqlite3.Row) -> Touch:
    return Touch(id=int(r["id"]), contact_id=int(r["contact_id"]), direction=r["direction"], channel=r["channel"],
                 at=datetime.fromisoformat(r["at"]), source=r["source"], thread_id=r["thread_id"],
                 inquiry_id=r["inquiry_id"], auto=bool(r["auto"]))


def record_crm_touches(db: sqlite3.Connection) -> int:
    """A touch for each CRM activity (`activity_recorded`) on a deal or CRM contact linked to a contact.

    Run after an import and after linking (a deal is often linked only later); one touch per activity
    event, source "crm_activity:<event id>", dated by the activity the export shows (a bare date is
    read as midnight UTC).
    """
    rows = db.execute(
        """SELECT e.id, COALESCE(d.lead_contact_id, c.lead_contact_id),
                  COALESCE(json_extract(e.decision_json, '$.last_activity_at'), e.at)
           FROM events e
           LEFT JOIN crm_deals d ON e.subject_type = 'deal' AND e.subject_id = d.crm || ':' || d.external_id
           LEFT JOIN crm_contacts c ON e.subject_type = 'crm_contact'
                AND e.subject_id = c.crm || ':' || c.kind || ':' || c.external_id
           WHERE e.kind = 'activity_recorded' AND COALESCE(d.lead_contact_id, c.lead_contact_id) IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM touches t WHERE t.source = 'crm_activity:' || e.id)""").fetchall()
    for event_id, contact_id, when in rows:
        try:
            at = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
        except ValueError:
            continue  # a date the export wrote oddly: the activity event itself still says it
        record_touch(db, contact_id=int(contact_id), direction="out", channel="crm_activity",
                     at=at if at.tzinfo else at.replace(tzinfo=UTC), source=f"crm_activity:{event_id}")
    return len(rows)
