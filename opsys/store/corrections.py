"""Reads and writes for `opsys inquiry relabel`: the stored inquiry and its new label and route."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from opsys.records import RouteDecision
from opsys.store.inquiries import STATUS_BY_ACTION


def inquiry_for_relabel(db: sqlite3.Connection, inquiry_id: int) -> dict[str, Any] | None:
    """The inquiry with what routing needs again: text, channel, score, signals, contact and client."""
    row = db.execute(
        "SELECT i.*, c.name AS c_name, c.email AS c_email, c.phone AS c_phone, c.company AS c_company,"
        " c.client_account AS c_client FROM inquiries i JOIN contacts c ON c.id = i.contact_id WHERE i.id = ?",
        (inquiry_id,)).fetchone()
    if row is None:
        return None
    out = dict(row)
    out["signals"] = json.loads(row["signals_json"] or "[]")
    out["fields"] = json.loads(row["fields_json"] or "{}")
    return out


def set_inquiry_label(db: sqlite3.Connection, inquiry_id: int, *, category: str, is_lead: bool, classified_by: str,
                      route: RouteDecision) -> None:
    db.execute("UPDATE inquiries SET category = ?, category_confidence = 1.0, is_lead = ?, lead_confidence = 1.0,"
               " classified_by = ?, route_action = ?, route_rule = ?, route_reason = ?, owner_id = ?, status = ?"
               " WHERE id = ?",
               (category, int(is_lead), classified_by, route.action, route.rule, route.reason, route.owner_id,
                STATUS_BY_ACTION[route.action], inquiry_id))
