"""Lead steps that keep a label from silently overruling the evidence (rules/label_check.py).

    check_label   after match_contact: a doubted label is routed as a lead, with both sides' reasons
    record_check  after store_inquiry: one `label_checked` event on the inquiry
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsys.records.events import EventKind
from opsys.rules.label_check import check_label as doubt
from opsys.store.events import record_event

if TYPE_CHECKING:
    from opsys.intake.lead_steps import LeadCase


def check_label(c: "LeadCase") -> str | None:
    known = c.contact is not None and not c.contact.created
    found = doubt(c.lead, c.cls, c.score, c.client, known)
    if found is None:
        return None
    c.check = found
    c.cls = found.routed_as
    c.lead.warnings.append(found.reason())
    return found.queue


def record_check(c: "LeadCase") -> None:
    if c.check is None:
        return
    model = c.check.routed_as.detail.get("model_label", {})
    record_event(c.db, EventKind.LABEL_CHECKED, decided_by=c.check.routed_as.decided_by, subject_type="inquiry",
                 subject_id=c.inquiry_id, inputs={"model_label": model, "evidence": list(c.check.evidence)},
                 decision={"queue": c.check.queue, "routed_as": {"category": c.cls.category, "is_lead": True}},
                 message=c.check.reason())
