"""A lead nobody can call back: a call note without caller, phone or email is stored all the same
(on a contact with no details yet), and whoever logged it gets a task to add the details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsys.records import RouteDecision
from opsys.records.events import EventKind, rule
from opsys.records.tasks import TaskSpec
from opsys.store.events import record_event
from opsys.work.opening import open_task

if TYPE_CHECKING:
    from opsys.intake.lead_steps import LeadCase

KIND = "add_contact_details"


def _logger(c: "LeadCase") -> str | None:
    """The team.yml person the note's Logged-by names (their id, full name or first name)."""
    said = (c.lead.fields.get("logged_by") or "").strip().casefold()
    if not said:
        return None
    for p in c.map.team.people:
        if said in (p.id.casefold(), p.name.casefold(), p.name.split()[0].casefold()):
            return p.id
    return None


def ask_for_contact(c: "LeadCase") -> str | None:
    """After assign: a task to the person who logged the note (else routing's choice) to add the caller."""
    if c.lead.fields.get("contact_missing") != "true" or KIND not in c.map.tasks.kinds:
        return None
    owner = _logger(c)
    decision = None
    if owner:
        decision = RouteDecision(rule="contact-missing", action="queue", owner_id=owner,
                                 reason=f"{owner} logged the note, so {owner} adds the caller's details",
                                 inputs={"logged_by": c.lead.fields.get("logged_by")})
    spec = TaskSpec(kind=KIND, title=f"Add the caller to: {c.lead.subject or 'call note'}", subject_type="inquiry",
                    subject_id=str(c.inquiry_id), contact_id=c.contact.contact_id if c.contact else None,
                    channel=c.lead.channel, is_lead=c.cls.is_lead, category=c.cls.category)
    task = open_task(c.db, c.map, c.now, spec, decision=decision)
    record_event(c.db, EventKind.CONTACT_MISSING, decided_by=rule("intake#contact-missing"), subject_type="inquiry",
                 subject_id=c.inquiry_id, inputs={"logged_by": c.lead.fields.get("logged_by")},
                 decision={"task": task.id, "owner": task.owner_id},
                 message=f"no caller, phone or email on the note: task {task.id} to {task.owner_id or 'nobody yet'} "
                         "to add them")
    return f"task {task.id} to {task.owner_id}"
