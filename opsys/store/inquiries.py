"""Inquiries (every inbound message, lead or not), their assignments and notification outbox."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsys.records import Classification, Lead, RouteDecision, Score
from opsys.store.events import utcnow

# What an inquiry's status is right after routing, by route action.
STATUS_BY_ACTION = {
    "notify": "assigned",
    "queue": "queued",
    "escalate": "escalated",
    "client_queue": "queued",
    "spam": "spam",
}


def insert_inquiry(db: sqlite3.Connection, *, contact_id: int, sha256: str, lead: Lead, cls: Classification,
                   score: Score, route: RouteDecision) -> int:
    cur = db.execute(
        """INSERT INTO inquiries (contact_id, source_sha256, source_position, source_name, channel, subject,
           body, fields_json, attachments_json, warnings_json, received_at, category, category_confidence,
           is_lead, lead_confidence, classified_by, score, hot, score_explanation, signals_json, budget,
           service, route_action, route_rule, route_reason, owner_id, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            contact_id, sha256, lead.position, lead.source_name, lead.channel, lead.subject, lead.body,
            json.dumps(lead.fields, ensure_ascii=False),
            json.dumps([a.__dict__ for a in lead.attachments], ensure_ascii=False),
            json.dumps(lead.warnings, ensure_ascii=False),
            lead.received_at.isoformat(), cls.category, cls.category_confidence, int(cls.is_lead),
            cls.lead_confidence, cls.decided_by, score.value, int(score.hot), score.explain(),
            json.dumps([s.__dict__ for s in score.signals], ensure_ascii=False), score.budget, score.service,
            route.action, route.rule, route.reason, route.owner_id, STATUS_BY_ACTION[route.action], utcnow(),
        ),
    )
    return int(cur.lastrowid)


def open_loads(db: sqlite3.Connection) -> dict[str, int]:
    """Capacity counts open tasks per person (store/tasks.py has them in hours too)."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT owner_id, COUNT(*) FROM tasks WHERE status IN ('open', 'waiting') AND owner_id IS NOT NULL"
        " GROUP BY owner_id")}


def queue_notification(db: sqlite3.Connection, inquiry_id: int, person_id: str, url_index: int,
                       title: str, body: str) -> int:
    cur = db.execute(
        "INSERT INTO notifications (inquiry_id, person_id, url_index, title, body, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
        (inquiry_id, person_id, url_index, title, body, utcnow()),
    )
    return int(cur.lastrowid)


@dataclass(frozen=True)
class InquiryView:
    """One stored inquiry with its contact, as listings and pages show it."""

    id: int
    received_at: str
    channel: str
    source_name: str
    subject: str
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    tier: str | None
    category: str
    category_confidence: float
    is_lead: bool
    lead_confidence: float
    classified_by: str
    score: int
    hot: bool
    explanation: str
    service: str | None
    budget: float | None
    route_action: str
    route_rule: str
    route_reason: str
    owner_id: str | None
    status: str
    contact_id: int
    warnings: list[str]
    signals: list[dict[str, Any]]

    def short_why(self) -> str:
        """The signals that scored, without their reasons: for narrow terminal tables."""
        return ", ".join(f"{s['name']} {s['points']:+d}" for s in self.signals if s["points"]) or "no signals"

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def list_inquiries(db: sqlite3.Connection, *, leads_only: bool = True) -> list[InquiryView]:
    """Leads first by hotness and score; with leads_only=False every stored inquiry, spam included."""
    where = "WHERE i.is_lead = 1 AND i.category != 'spam'" if leads_only else ""
    return _views(db.execute(
        f"""SELECT i.*, c.name, c.email, c.phone, c.company, c.tier FROM inquiries i
            JOIN contacts c ON c.id = i.contact_id {where}
            ORDER BY i.hot DESC, i.score DESC, i.received_at DESC, i.id"""
    ))


@dataclass(frozen=True)
class LeadFilter:
    """Which leads a queue shows; None means any. `since` is an aware datetime (received at or after)."""

    leads_only: bool = True
    owner_id: str | None = None
    status: str | None = None
    hot: bool | None = None
    since: datetime | None = None


def find_leads(db: sqlite3.Connection, f: LeadFilter = LeadFilter()) -> list[InquiryView]:
    """The lead queue as people read it: hot first, then newest first, filtered in SQL."""
    where, args = [], []
    if f.leads_only:
        where.append("i.is_lead = 1 AND i.category != 'spam'")
    if f.owner_id is not None:
        where.append("i.owner_id = ?")
        args.append(f.owner_id)
    if f.status is not None:
        where.append("i.status = ?")
        args.append(f.status)
    if f.hot is not None:
        where.append("i.hot = ?")
        args.append(int(f.hot))
    if f.since is not None:  # received_at is stored as UTC ISO text, so text order is time order
        where.append("i.received_at >= ?")
        args.append(f.since.astimezone(UTC).isoformat())
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return _views(db.execute(
        f"""SELECT i.*, c.name, c.email, c.phone, c.company, c.tier FROM inquiries i
            JOIN contacts c ON c.id = i.contact_id {clause}
            ORDER BY i.hot DESC, i.received_at DESC, i.score DESC, i.id DESC""", args))


def lead_statuses(db: sqlite3.Connection) -> list[str]:
    """The statuses stored, so a filter that matches nothing can say what would."""
    return [r[0] for r in db.execute("SELECT DISTINCT status FROM inquiries ORDER BY status")]


def _views(rows: Iterable[sqlite3.Row]) -> list[InquiryView]:
    return [
        InquiryView(
            id=r["id"], received_at=r["received_at"], channel=r["channel"], source_name=r["source_name"],
            subject=r["subject"], name=r["name"], email=r["email"], phone=r["phone"], company=r["company"],
            tier=r["tier"], category=r["category"], category_confidence=r["category_confidence"],
            is_lead=bool(r["is_lead"]), lead_confidence=r["lead_confidence"], classified_by=r["classified_by"],
            score=r["score"], hot=bool(r["hot"]), explanation=r["score_explanation"], service=r["service"],
            budget=r["budget"], route_action=r["route_action"], route_rule=r["route_rule"],
            route_reason=r["route_reason"], owner_id=r["owner_id"], status=r["status"],
            contact_id=r["contact_id"], warnings=json.loads(r["warnings_json"]),
            signals=json.loads(r["signals_json"]),
        )
        for r in rows
    ]
