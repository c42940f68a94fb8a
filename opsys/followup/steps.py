"""What one step of a sequence does when its timer fires: a mail, a task, or a notification.

A mail starts from its template (sequences.yml), is personalised by the local LLM only when every
guard passes (opsys.ai.drafting), and goes through the sequence's approval gate: `required` waits in
`opsys drafts`, `auto` is queued for sending at once (opsys.work.mail.queue_draft). Its idempotency
key is the timer's, so a step can queue its mail once only. The sender keeps the sending windows;
the mail is also queued not before the firm's next working hours.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsys.ai.drafting import render_template
from opsys.config.models import SystemMap
from opsys.config.sequence_models import Sequence, Step
from opsys.records.events import rule
from opsys.records.mail import Draft, MailSpec
from opsys.records.tasks import TaskSpec
from opsys.rules.business_time import BusinessTime
from opsys.store.notifications import queue_task_notification
from opsys.store.tasks import previous_owners
from opsys.store.timers import Enrolment
from opsys.work.opening import open_task


@dataclass(frozen=True)
class PreparedMail:
    """A mail step's mail, drafted before the write transaction (the LLM may take seconds)."""

    spec: MailSpec
    draft: Draft


@dataclass(frozen=True)
class StepOutcome:
    outcome: str  # "mail queued", "task opened", "notified", "skipped"
    detail: dict
    message: str


def step_rule(name: str, i: int) -> str:
    return rule(f"sequences.yml#{name}.steps[{i}]")


def prepare_mail(m: SystemMap, now: datetime, e: Enrolment, name: str, i: int, step: Step,
                 fields: dict[str, str], llm) -> PreparedMail | None:
    """The MailSpec and its draft for a mail step; None when the contact has no address."""
    from opsys.ai.drafting import draft_mail

    if not fields.get("email"):
        return None
    t = m.sequences.templates[step.mail or ""]
    bt = BusinessTime.for_firm(m.team.firm)
    spec = MailSpec(to=fields["email"], subject=render_template(t.subject, fields), body=render_template(t.body, fields),
                    rule=step_rule(name, i), idempotency_key=f"followup:enrolment:{e.id}:step:{i}",
                    contact_id=e.contact_id, not_before=bt.sending_window(now))
    draft = draft_mail(llm, t.body, fields, sign_off=m.sources.outbound.sign_off)
    return PreparedMail(spec, draft)


def run_step(db: sqlite3.Connection, m: SystemMap, now: datetime, e: Enrolment, name: str, seq: Sequence, i: int,
             prepared: PreparedMail | None) -> StepOutcome:
    """Do step `i` in the caller's transaction; a skipped step says why."""
    step = seq.steps[i]
    why = _when_fails(m, e, step)
    if why:
        return StepOutcome("skipped", {"when": step.when}, f"step {i} skipped: {why}")
    if step.mail is not None:
        if prepared is None:
            return StepOutcome("skipped", {"mail": step.mail}, f"step {i} skipped: contact {e.contact_id} has no "
                                                               "email address")
        from opsys.work.mail import queue_draft

        oid = queue_draft(db, m, now, prepared.spec, prepared.draft, seq.approval)
        d = prepared.draft
        return StepOutcome("mail queued", {
            "outbox": oid, "template": step.mail, "approval": seq.approval, "to": prepared.spec.to,
            "not_before": prepared.spec.not_before.isoformat() if prepared.spec.not_before else None,
            "used_llm": d.used_llm, "model": d.model, "prompt_hash": d.prompt_hash,
            "fallback_reason": d.fallback_reason},
            f"mail {step.mail!r} queued as #{oid} ({'waits for approval' if seq.approval == 'required' else 'sent'}"
            f" {'after the LLM personalised it' if d.used_llm else 'as the plain template'})")
    if step.task is not None:
        kind = m.tasks.kind(step.task.kind)
        title = step.task.title or kind.label
        task = open_task(db, m, now, TaskSpec(
            kind=step.task.kind, title=title, subject_type="contact", subject_id=str(e.contact_id),
            contact_id=e.contact_id, reasons=(f"sequence {name} step {i}: {e.trigger}",)))
        return StepOutcome("task opened", {"task": task.id, "kind": step.task.kind, "owner": task.owner_id},
                           f"task #{task.id} {title!r} for {task.owner_id or 'nobody yet'}")
    assert step.notify is not None
    people = _notify_targets(db, m, e, step.notify.to)
    n = 0
    for pid in people:
        for idx, _url in enumerate(m.team.person(pid).notify):
            queue_task_notification(db, None, None, pid, idx, f"Follow-up: {name}", step.notify.message)
            n += 1
    return StepOutcome("notified", {"people": people, "queued": n}, f"{', '.join(people) or 'nobody'} told: "
                                                                    f"{step.notify.message}")


def _when_fails(m: SystemMap, e: Enrolment, step: Step) -> str | None:
    """Why a `when:` step does not run for this enrolment (None: it runs)."""
    if step.when is None:
        return None
    if step.when == "replied":
        return None if e.reply_source else "no reply yet"
    if step.when == "no_reply":
        return None if not e.reply_source else "they replied"
    if e.reply_source is None:
        return f"no reply, so not {step.when}"
    sure = (e.sentiment_confidence or 0.0) >= m.sequences.confidence
    if e.sentiment != step.when or not sure:
        return (f"the reply read as {e.sentiment} at {e.sentiment_confidence or 0:.2f} (needs {step.when} at "
                f">= {m.sequences.confidence})")
    return None


def _notify_targets(db: sqlite3.Connection, m: SystemMap, e: Enrolment, to: str) -> list[str]:
    head, _, arg = to.partition(":")
    if head == "role":
        return [p.id for p in m.team.people if arg in p.roles]
    if head == "owner":
        owners = previous_owners(db, e.contact_id)
        return list(owners[:1]) or [m.routing.overflow_owner]
    return [head]
