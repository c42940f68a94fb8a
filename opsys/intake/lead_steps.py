"""The lead steps: what happens to one normalised, classified lead inside its file's transaction.

    fill_from_signature -> match_client -> score -> match_contact -> route_lead -> store_inquiry
    -> thread_inquiry (its thread and in touch) -> record_decisions
    -> assign (the routed inquiry becomes a task) -> queue_notifications

A reply, a resubmission, a bounce, an auto-reply or the team's own mail takes the steps of
intake/thread_steps.py instead (`conversation_steps`): it is never a new lead.

Each step reads and fills one `LeadCase`, fits on a screen and returns a short result that the
pipeline logs (intake/steps.py). The pipeline around them is intake/leads.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsys.config.models import ClientAccount, SystemMap
from opsys.config.task_models import INTAKE_KINDS
from opsys.notify.messages import lead_alert
from opsys.records import Classification, Lead, RouteDecision, Score
from opsys.records.events import EventKind, rule
from opsys.records.tasks import Task, TaskSpec
from opsys.rules.clients import find_client
from opsys.rules.routing import route
from opsys.rules.scoring import score_lead
from opsys.store.contacts import ContactMatch, upsert_contact
from opsys.store.events import record_event
from opsys.store.inquiries import insert_inquiry, queue_notification
from opsys.intake.thread_steps import fill_from_signature, thread_inquiry
from opsys.intake.label_steps import check_label, record_check
from opsys.intake.contact_steps import ask_for_contact
from opsys.work.opening import open_task, routing_state


@dataclass
class LeadCase:
    """One lead on its way through the rules into the store, inside its file's transaction."""

    db: sqlite3.Connection
    map: SystemMap
    now: datetime
    sha256: str
    lead: Lead
    cls: Classification
    client: ClientAccount | None = None
    score: Score | None = None
    decision: RouteDecision | None = None
    contact: ContactMatch | None = None
    inquiry_id: int = 0
    # threads (intake/thread_steps.py): what the mail is, the thread it joins, what it was instead of a lead
    mail: Any = None
    thread: Any = None
    joins: Any = None
    thread_id: int | None = None
    handled: str | None = None
    # label checks (intake/label_steps.py): why the classifier's label is doubted
    check: Any = None
    # a lead list's rows: the tasks opened so far, announced once per owner after the last row
    list_tasks: list[Task] | None = None


def match_client(c: LeadCase) -> str:
    """Only the sender's (authenticated) domain grants a tier; a look-alike or a company name is a
    warning on the inquiry for a person to check."""
    match = find_client(c.lead, c.map.clients)
    c.client = match.client
    if match.client is None and (match.lookalike or match.named):
        c.lead.warnings.append(f"client check: {match.reason}")
    return match.reason


def score(c: LeadCase) -> str:
    c.score = score_lead(c.lead, c.client, c.map, c.now)
    return str(c.score.value)


def route_lead(c: LeadCase) -> str:
    """Routed on open tasks (count and hours), turns, the contact's earlier owners and who is away."""
    effort = c.map.tasks.kind(INTAKE_KINDS["queue"]).effort_hours  # the kind is known only once routed
    # a contact created by this very lead has had no owner yet: nothing to look up
    known = c.contact.contact_id if c.contact and not c.contact.created else None
    state = routing_state(c.db, c.map, c.now, known, effort)
    c.decision = route(c.lead, c.cls, c.score, c.client, {}, c.map, state=state)
    return f"{c.decision.rule} -> {c.decision.action} {c.decision.owner_id or ''}"


def match_contact(c: LeadCase) -> str:
    lead, client = c.lead, c.client
    c.contact = upsert_contact(c.db, name=lead.name, email=lead.email, phone=lead.phone, company=lead.company,
                               client_account=client.name if client else None, tier=client.tier if client else None,
                               match_phone=lead.fields.get("phone_source") != "body")
    return f"contact {c.contact.contact_id}"


def store_inquiry(c: LeadCase) -> str:
    c.inquiry_id = insert_inquiry(c.db, contact_id=c.contact.contact_id, sha256=c.sha256, lead=c.lead, cls=c.cls,
                                  score=c.score, route=c.decision)
    return f"inquiry {c.inquiry_id}"


def record_decisions(c: LeadCase) -> None:
    """Four events, one per decision, each with who decided and on what inputs."""
    db, lead, cls, score_, decision, match = c.db, c.lead, c.cls, c.score, c.decision, c.contact
    subj = {"subject_type": "inquiry", "subject_id": c.inquiry_id}
    record_event(
        db, EventKind.CONTACT_CREATED if match.created else EventKind.CONTACT_MATCHED,
        decided_by=rule("dedupe-email-then-phone"), inputs={"email": lead.email, "phone": lead.phone,
                                                             "name": lead.name},
        decision={"contact_id": match.contact_id, "matched_on": match.matched_on, "filled": list(match.filled),
                  "conflict": match.conflict}, **subj,
        message=(f"new contact {match.contact_id}" if match.created
                 else f"known contact {match.contact_id} (same {match.matched_on}): new inquiry on it"))
    record_event(db, EventKind.CLASSIFIED, decided_by=cls.decided_by, confidence=cls.category_confidence,
                 inputs={"text_chars": len(lead.text), **cls.detail},
                 decision={"category": cls.category, "is_lead": cls.is_lead, "lead_confidence": cls.lead_confidence},
                 **subj, message=f"{cls.category}, {'lead' if cls.is_lead else 'not a lead'}")
    record_event(db, EventKind.SCORED, decided_by=rule("system_map/scoring.yml"),
                 inputs={"signals": [s.__dict__ for s in score_.signals], "hot_threshold": c.map.scoring.hot_threshold},
                 decision={"score": score_.value, "hot": score_.hot, "service": score_.service,
                           "budget": score_.budget}, **subj, message=f"{score_.value}: {score_.explain()}")
    record_event(db, EventKind.ROUTED, decided_by=rule(f"routing.yml#{decision.rule}"), inputs=decision.inputs,
                 decision={"action": decision.action, "owner": decision.owner_id}, **subj, message=decision.reason)


def assign(c: LeadCase) -> str | None:
    """Every routed inquiry becomes one task, on the route decision already made (one decision, one owner)."""
    d, lead = c.decision, c.lead
    if d.action == "spam":
        return "nobody: spam is kept, never routed"
    spec = TaskSpec(
        kind=INTAKE_KINDS[d.action], title=lead.subject or lead.body[:80] or "(no subject)", subject_type="inquiry",
        subject_id=str(c.inquiry_id), contact_id=c.contact.contact_id, service=c.score.service,
        channel=lead.channel, client=c.client.name if c.client else None,
        client_tier=c.client.tier if c.client else None, category=c.cls.category, is_lead=c.cls.is_lead,
        score=c.score.value, hot=c.score.hot, reasons=(f"score {c.score.value}: {c.score.explain()}",))
    # hot leads and escalations get the lead alert (queue_notifications); other tasks a task alert,
    # which for a lead list's rows is one per owner for the whole file (intake/leads.py)
    alone = d.action not in ("notify", "escalate")
    task = open_task(c.db, c.map, c.now, spec, decision=d, notify=alone and c.list_tasks is None)
    if alone and c.list_tasks is not None:
        c.list_tasks.append(task)
    return f"task {task.id} ({task.kind}) to {task.owner_id or 'nobody yet'}"


def queue_notifications(c: LeadCase) -> str | None:
    """Hot leads and escalations are announced at once: queued here, sent after the commit."""
    d = c.decision
    if d.action not in ("notify", "escalate") or not d.owner_id:
        return None
    person = c.map.team.person(d.owner_id)
    alert = lead_alert(c.inquiry_id, c.lead, c.score, d.action)
    if not person.notify:
        record_event(c.db, EventKind.NOTIFICATION_SKIPPED, decided_by=rule("team.yml"), subject_type="inquiry",
                     subject_id=c.inquiry_id, inputs={"person": d.owner_id},
                     message=f"{person.name} has no notify URLs in team.yml")
    for idx, _url in enumerate(person.notify):
        nid = queue_notification(c.db, c.inquiry_id, d.owner_id, idx, alert.title, alert.body)
        record_event(c.db, EventKind.NOTIFICATION_QUEUED, decided_by=rule(f"routing.yml ({d.action})"),
                     subject_type="inquiry", subject_id=c.inquiry_id,
                     inputs={"person": d.owner_id, "url_index": idx}, decision={"notification_id": nid},
                     message=alert.title)
    return f"{len(person.notify)} queued"


LEAD_STEPS = (fill_from_signature, match_client, score, match_contact, check_label, route_lead, store_inquiry,
              record_check, thread_inquiry, record_decisions, assign, ask_for_contact, queue_notifications)
