"""Contacts: one per person, deduplicated by email, then phone."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from opsys.store.events import utcnow


@dataclass(frozen=True)
class ContactMatch:
    contact_id: int
    created: bool
    matched_on: str | None  # "email", "phone" or None for a new contact
    filled: tuple[str, ...]  # fields that were empty and are now known
    conflict: str | None  # e.g. the phone already belongs to another contact


def upsert_contact(
    db: sqlite3.Connection,
    *,
    name: str | None,
    email: str | None,
    phone: str | None,
    company: str | None,
    client_account: str | None,
    tier: str | None,
    match_phone: bool = True,
) -> ContactMatch:
    """The same email or phone is the same contact; a known contact gains fields, never loses them.

    A phone does not make two people one when their email addresses differ (a shared reception
    number), nor when `match_phone` is off (a number scanned from a body may be a quoted signature's).
    Whatever cannot be stored on the contact is said in `conflict`; the lead's values stay in its events.
    """
    by_email = db.execute("SELECT * FROM contacts WHERE email = ?", (email,)).fetchone() if email else None
    by_phone = db.execute("SELECT * FROM contacts WHERE phone = ?", (phone,)).fetchone() if phone else None
    phone_taken = by_phone
    if by_phone is not None and (not match_phone or (email and by_phone["email"] and by_phone["email"] != email)):
        by_phone = None
    row, matched_on = (by_email, "email") if by_email else (by_phone, "phone") if by_phone else (None, None)
    now = utcnow()
    conflict = None
    if phone_taken is not None and (row is None or row["id"] != phone_taken["id"]):
        conflict = f"phone {phone} already belongs to contact {phone_taken['id']}; kept on that contact"
        phone = None
    if row is None:
        cur = db.execute(
            "INSERT INTO contacts (name, email, phone, company, client_account, tier, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, email, phone, company, client_account, tier, now, now),
        )
        return ContactMatch(int(cur.lastrowid), True, None, (), conflict)

    updates = {}
    for field, value in (("name", name), ("email", email), ("phone", phone), ("company", company),
                         ("client_account", client_account), ("tier", tier)):
        if value and not row[field]:
            updates[field] = value
        elif value and field in ("email", "phone") and row[field] != value and conflict is None:
            conflict = f"{field} {value} differs from the contact's {row[field]}; the contact keeps {row[field]}"
    if updates:
        sets = ", ".join(f"{k} = ?" for k in updates)
        db.execute(f"UPDATE contacts SET {sets}, updated_at = ? WHERE id = ?", (*updates.values(), now, row["id"]))
    return ContactMatch(int(row["id"]), False, matched_on, tuple(updates), conflict)


def get_contact(db: sqlite3.Connection, contact_id: int) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()


def count_contacts(db: sqlite3.Connection) -> int:
    """How many people the store knows (after deduplication)."""
    return int(db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])


# -- consent (threads helper): follow-up stops every sequence of a contact whose consent is not "ok" --------

CONSENTS = ("ok", "unsubscribed", "undeliverable")


def _consent_at(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError(f"consent time {at!r} has no timezone; pass an aware datetime (UTC)")
    return at.astimezone(UTC).isoformat()


def mark_unsubscribed(db: sqlite3.Connection, contact_id: int, at: datetime, source: str) -> bool:
    """They asked to hear no more: recorded once (True when it changed), never undone by a later bounce."""
    cur = db.execute("UPDATE contacts SET consent = 'unsubscribed', consent_at = ?, consent_source = ?, updated_at = ?"
                     " WHERE id = ? AND consent != 'unsubscribed'", (_consent_at(at), source, utcnow(), contact_id))
    return cur.rowcount > 0


def mark_undeliverable(db: sqlite3.Connection, contact_id: int, at: datetime, source: str) -> bool:
    """Mail to the address bounced (True when it changed); an unsubscribe stays what it is."""
    cur = db.execute("UPDATE contacts SET consent = 'undeliverable', consent_at = ?, consent_source = ?, updated_at = ?"
                     " WHERE id = ? AND consent = 'ok'", (_consent_at(at), source, utcnow(), contact_id))
    return cur.rowcount > 0


def consent_of(db: sqlite3.Connection, contact_id: int) -> str:
    """"ok", "unsubscribed" or "undeliverable" (an unknown contact is "ok": nothing says otherwise)."""
    r = db.execute("SELECT consent FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return r[0] if r else "ok"
