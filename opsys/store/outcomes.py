"""Leads whose CRM deal was won or lost: the outcomes `opsys scoring fit` may learn from."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class LeadOutcome:
    """The first lead inquiry of a contact whose linked deal ended, and how it ended."""

    inquiry_id: int
    channel: str
    subject: str
    body: str
    fields_json: str
    received_at: str
    won: bool


def lead_outcomes(db: sqlite3.Connection) -> list[LeadOutcome]:
    """Won and lost deals linked to an intake contact, each with that contact's first lead inquiry."""
    rows = db.execute(
        "SELECT i.id, i.channel, i.subject, i.body, i.fields_json, i.received_at, d.status FROM crm_deals d"
        " JOIN inquiries i ON i.id = (SELECT MIN(j.id) FROM inquiries j WHERE j.contact_id = d.lead_contact_id"
        " AND j.is_lead = 1) WHERE d.status IN ('won', 'lost')")
    return [LeadOutcome(r[0], r[1], r[2], r[3], r[4], r[5], r[6] == "won") for r in rows]
