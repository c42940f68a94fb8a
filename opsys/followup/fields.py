"""What a template's `{fields}` are filled with for one enrolment: the contact, the firm, the trigger."""

from __future__ import annotations

import sqlite3

from opsys.config.models import SystemMap
from opsys.store.timers import Enrolment, contact_mail_facts


def sender_of(m: SystemMap, owner: str | None) -> str:
    """Who the mail speaks for: the contact's owner when known, else the firm."""
    try:
        return m.team.person(owner).name if owner else m.team.firm.name
    except KeyError:
        return m.team.firm.name


def mail_fields(db: sqlite3.Connection, m: SystemMap, e: Enrolment) -> dict[str, str]:
    """Every field a template may name (sequence_models.COMMON_FIELDS and the trigger's), as text."""
    facts = contact_mail_facts(db, e.contact_id)
    name = (facts["name"] or "").strip()
    sender = sender_of(m, facts["owner"])
    svc = m.team.firm.services.get(facts["service"] or "")
    stage = m.pipeline.stage_for(e.deal_stage) if e.deal_stage else None
    return {
        "first_name": name.split()[0] if name else "there", "name": name or "there",
        "company": facts["company"] or "", "email": facts["email"] or "", "firm": m.team.firm.name,
        "sender": sender, "sender_first_name": sender.split()[0], "service": svc.label if svc else "your project",
        "subject": facts["subject"] or "our conversation", "deal": str(e.context.get("deal") or "your project"),
        "stage": stage.label if stage else "", "review_link": m.team.firm.review_link or "",
    }
