"""`opsys inquiry relabel ID LABEL`: a person settles a label; the inquiry is re-routed and the classifier learns.

In one transaction: the inquiry gets the person's label (decided_by `person:<who>`), its open tasks
are cancelled, routing runs again on the stored score and a new task is opened through
`opsys.work.open_task`; `inquiry_relabelled` and `routed` record it. After the commit the
correction is kept as a labeled example in var/corrections/examples.yml (ai/corrections.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from opsys.ai.corrections import add_correction
from opsys.config.models import Example, SystemMap
from opsys.config.task_models import INTAKE_KINDS
from opsys.records import Classification, Lead, Score, Signal
from opsys.records.events import Decider, EventKind, rule
from opsys.records.tasks import TaskSpec
from opsys.rules.routing import route
from opsys.store.corrections import inquiry_for_relabel, set_inquiry_label
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.tasks import list_tasks, set_status
from opsys.work.opening import open_task, routing_state

LABELS = ("not_spam", "lead", "not_lead", "urgent", "routine", "faq", "spam")


class RelabelError(ValueError):
    """The inquiry or the label is not one that can be set; the message says which and what to use."""


@dataclass(frozen=True)
class Relabelled:
    inquiry_id: int
    before: dict[str, object]
    after: dict[str, object]
    action: str
    owner: str | None
    task_id: int | None
    corrections: int

    def summary(self) -> str:
        to = f"{self.after['category']}, {'lead' if self.after['is_lead'] else 'not a lead'}"
        who = f"task {self.task_id} to {self.owner or 'nobody yet'}" if self.task_id else "no task (spam)"
        return (f"inquiry {self.inquiry_id}: {self.before['category']}/{'lead' if self.before['is_lead'] else 'not a lead'}"
                f" -> {to}; routed {self.action}, {who}; {self.corrections} correction(s) kept for the classifier")


def new_label(label: str, category: str, is_lead: bool) -> tuple[str, bool]:
    """What a person's word means for (category, is_lead)."""
    if label not in LABELS:
        raise RelabelError(f"unknown label {label!r}; use one of {', '.join(LABELS)}")
    if label == "not_spam":
        return ("routine" if category == "spam" else category), is_lead
    if label == "lead":
        return ("routine" if category == "spam" else category), True
    if label == "not_lead":
        return category, False
    if label == "spam":
        return "spam", False
    return label, is_lead


def relabel(db: sqlite3.Connection, m: SystemMap, var: Path, inquiry_id: int, label: str, now: datetime,
            by: str) -> Relabelled:
    """Set the label, re-route, audit, and keep the correction as an example."""
    who = f"{Decider.PERSON}:{by}"
    with write_transaction(db):
        row = inquiry_for_relabel(db, inquiry_id)
        if row is None:
            raise RelabelError(f"no inquiry #{inquiry_id}; `opsys leads --all` lists them with their ids")
        category, is_lead = new_label(label, row["category"], bool(row["is_lead"]))
        lead = Lead(channel=row["channel"], source_name=row["source_name"], position=row["source_position"],
                    name=row["c_name"], email=row["c_email"], phone=row["c_phone"], company=row["c_company"],
                    subject=row["subject"], body=row["body"], received_at=datetime.fromisoformat(row["received_at"]),
                    attachments=[], fields=row["fields"], warnings=[])
        score = Score(row["score"], bool(row["hot"]), tuple(Signal(**s) for s in row["signals"]), row["budget"],
                      row["service"])
        client = next((c for c in m.clients.clients if c.name == row["c_client"]), None)
        cls = Classification(category, 1.0, is_lead, 1.0, who, {"relabelled_from": row["classified_by"]})
        effort = m.tasks.kind(INTAKE_KINDS["queue"]).effort_hours
        decision = route(lead, cls, score, client, {}, m,
                         state=routing_state(db, m, now, row["contact_id"], effort))
        for task in list_tasks(db, subject=("inquiry", str(inquiry_id))):
            set_status(db, task.id, "cancelled", at=now, by=who, note=f"relabelled {label}")
            record_event(db, EventKind.TASK_CANCELLED, decided_by=who, subject_type="task", subject_id=task.id,
                         inputs={"owner": task.owner_id, "kind": task.kind}, decision={"note": f"relabelled {label}"},
                         message=f"#{task.id} cancelled: inquiry {inquiry_id} relabelled {label} by {by}")
        set_inquiry_label(db, inquiry_id, category=category, is_lead=is_lead, classified_by=who, route=decision)
        before = {"category": row["category"], "is_lead": bool(row["is_lead"]), "decided_by": row["classified_by"]}
        after = {"category": category, "is_lead": is_lead}
        record_event(db, EventKind.INQUIRY_RELABELLED, decided_by=who, subject_type="inquiry", subject_id=inquiry_id,
                     inputs={"label": label, "before": before}, decision=after,
                     message=f"{by} relabelled it {label}: {category}, {'lead' if is_lead else 'not a lead'}")
        record_event(db, EventKind.ROUTED, decided_by=rule(f"routing.yml#{decision.rule}"), subject_type="inquiry",
                     subject_id=inquiry_id, inputs=decision.inputs,
                     decision={"action": decision.action, "owner": decision.owner_id}, message=decision.reason)
        task_id = None
        if decision.action != "spam":
            spec = TaskSpec(kind=INTAKE_KINDS[decision.action], title=lead.subject or lead.body[:80] or "(no subject)",
                            subject_type="inquiry", subject_id=str(inquiry_id), contact_id=row["contact_id"],
                            service=score.service, channel=lead.channel, client=client.name if client else None,
                            client_tier=client.tier if client else None, category=category, is_lead=is_lead,
                            score=score.value, hot=score.hot,
                            reasons=(f"relabelled {label} by {by}", f"score {score.value}: {score.explain()}"))
            task_id = open_task(db, m, now, spec, decision=decision).id
    from opsys.ai.corrections import corrections_path

    kept = add_correction(corrections_path(var), Example(text=lead.text, category=category, is_lead=is_lead))
    return Relabelled(inquiry_id, before, after, decision.action, decision.owner_id, task_id, kept)
