"""Queueing mail, and the approval gate for drafts: what producers (follow-up, the close-out) call.

    queue_mail(db, m, now, spec)                    -> outbox id; the same idempotency key queues once
    queue_draft(db, m, now, spec, draft, approval)  -> outbox id; `required` waits in `opsys drafts`
    approve_draft / edit_draft / reject_draft       -> what `opsys drafts approve|edit|reject` do

A mail is a row in the outbox, written in the caller's transaction (or its own when there is none)
with its audit event, and sent after commit by the `send_mail` job (`opsys/notify/mail_out.py`).
A contact who unsubscribed or bounced is never mailed: the row is stored as `rejected` with the
reason, so the refusal is visible and the key is spent. Nothing under `approval: required` leaves
`waiting_approval` except through `approve_draft`, and the sender reads only `queued` rows.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import nullcontext
from dataclasses import asdict
from datetime import datetime
from email.utils import parseaddr
from typing import Literal

from opsys.config.models import SystemMap
from opsys.records.events import Decider, EventKind
from opsys.records.mail import Draft, MailSpec
from opsys.store.contacts import consent_of
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.outbox import (
    OutboxMail,
    contact_for_address,
    get_mail,
    insert_mail,
    mark_approved,
    mark_rejected,
    set_body,
)

Approval = Literal["required", "auto"]


class OutboxError(ValueError):
    """A mail cannot be queued as asked, or a draft is not in a state for this command; the message says why."""


def message_id_for(key: str, domain: str) -> str:
    """The RFC 5322 Message-ID of the mail with this idempotency key: the same key, the same id."""
    return f"<opsys.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _tx(db: sqlite3.Connection):
    """Join the caller's transaction (queued with the change that asked for the mail), else open one."""
    return nullcontext(db) if db.in_transaction else write_transaction(db)


def _check(spec: MailSpec) -> str:
    addr = parseaddr(spec.to)[1]
    if "@" not in addr or not spec.idempotency_key or not spec.rule:
        raise OutboxError(f"mail {spec.idempotency_key!r}: needs an address to send to (got {spec.to!r}), "
                          "an idempotency_key and the rule that asks for it")
    if spec.not_before is not None and spec.not_before.tzinfo is None:
        raise OutboxError(f"mail {spec.idempotency_key!r}: not_before {spec.not_before} has no timezone")
    if spec.timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:  # checked here: a bad zone at send time would stop every mail behind it
            ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise OutboxError(f"mail {spec.idempotency_key!r}: timezone {spec.timezone!r} is not an IANA timezone "
                              "(e.g. Europe/London)") from None
    return addr


def _queue(db: sqlite3.Connection, m: SystemMap, now: datetime, spec: MailSpec, *, approval: Approval,
           draft: Draft | None) -> int:
    addr = _check(spec)
    contact_id = spec.contact_id if spec.contact_id is not None else contact_for_address(db, addr)
    consent = consent_of(db, contact_id) if contact_id is not None else "ok"
    refused = None if consent == "ok" else f"not sent: the contact is {consent} (their consent is recorded)"
    status = "rejected" if refused else ("waiting_approval" if approval == "required" else "queued")
    out = m.sources.outbound
    draft_info = None if draft is None else {k: v for k, v in asdict(draft).items() if k != "text"}
    with _tx(db):
        mail_id, created = insert_mail(
            db, key=spec.idempotency_key, message_id=message_id_for(spec.idempotency_key, out.domain),
            contact_id=contact_id, to=spec.to, from_addr=out.from_address, subject=spec.subject,
            body=draft.text if draft is not None else spec.body, in_reply_to=spec.in_reply_to, rule=spec.rule,
            status=status, approval=approval, timezone=spec.timezone, not_before=spec.not_before, now=now,
            draft=draft_info, note=refused)
        if not created:
            return mail_id  # queued before: one mail per key, one event
        inputs = {"to": addr, "contact": contact_id, "key": spec.idempotency_key, "subject": spec.subject}
        if draft is not None:
            record_event(db, EventKind.DRAFT_MADE,
                         decided_by=f"{Decider.LLM}:{draft.model}" if draft.used_llm else spec.rule,
                         subject_type="mail", subject_id=mail_id, inputs=inputs | {"model": draft.model,
                                                                                 "prompt_hash": draft.prompt_hash},
                         decision={"used_llm": draft.used_llm, "fallback_reason": draft.fallback_reason,
                                   "guards": [list(g) for g in draft.guards]},
                         message=("LLM draft passed every guard" if draft.used_llm else
                                  f"plain template used: {draft.fallback_reason}"))
        if refused:
            record_event(db, EventKind.MAIL_REFUSED, decided_by=spec.rule, subject_type="mail", subject_id=mail_id,
                         inputs=inputs | {"consent": consent}, decision={"status": status}, message=refused)
        else:
            record_event(db, EventKind.MAIL_QUEUED, decided_by=spec.rule, subject_type="mail", subject_id=mail_id,
                         inputs=inputs | {"not_before": spec.not_before, "approval": approval},
                         decision={"status": status},
                         message=(f"draft to {addr} waits for approval (`opsys drafts`)" if status == "waiting_approval"
                                  else f"mail to {addr} queued: {spec.subject}"))
    return mail_id


def queue_mail(db: sqlite3.Connection, m: SystemMap, now: datetime, spec: MailSpec) -> int:
    """The outbox id of this mail, queued once per `spec.idempotency_key` (refused when consent is not ok)."""
    return _queue(db, m, now, spec, approval="auto", draft=None)


def queue_draft(db: sqlite3.Connection, m: SystemMap, now: datetime, spec: MailSpec, draft: Draft,
                approval: Approval) -> int:
    """A drafted mail (body = `draft.text`) with how it was drafted; `required` waits for a person."""
    if approval not in ("required", "auto"):
        raise OutboxError(f"approval {approval!r}: use 'required' or 'auto' (sequences.yml approval)")
    return _queue(db, m, now, spec, approval=approval, draft=draft)


def _waiting(db: sqlite3.Connection, mail_id: int) -> OutboxMail:
    mail = get_mail(db, mail_id)
    if mail is None:
        raise OutboxError(f"no mail #{mail_id}; `opsys drafts` lists the drafts waiting and their ids")
    if mail.status != "waiting_approval":
        raise OutboxError(f"mail #{mail_id} is {mail.status}, not waiting for approval; nothing changed")
    return mail


def approve_draft(db: sqlite3.Connection, now: datetime, mail_id: int, *, by: str, note: str | None = None) -> OutboxMail:
    """A person lets the draft go: it is queued and the sender sends it in the next sending window."""
    with write_transaction(db):
        mail = _waiting(db, mail_id)
        mark_approved(db, mail_id, now, by=by, note=note)
        record_event(db, EventKind.DRAFT_APPROVED, decided_by=f"{Decider.PERSON}:{by}", subject_type="mail",
                     subject_id=mail_id, inputs={"to": mail.to, "subject": mail.subject},
                     decision={"status": "queued", "note": note}, message=f"{by} approved the mail to {mail.to}")
    return get_mail(db, mail_id)  # type: ignore[return-value]


def edit_draft(db: sqlite3.Connection, now: datetime, mail_id: int, body: str, *, by: str) -> OutboxMail:
    """A person rewrites the draft; it still waits for approval."""
    if not body.strip():
        raise OutboxError(f"the new text of mail #{mail_id} is empty; nothing changed (reject it instead?)")
    with write_transaction(db):
        mail = _waiting(db, mail_id)
        set_body(db, mail_id, now, body)
        record_event(db, EventKind.DRAFT_EDITED, decided_by=f"{Decider.PERSON}:{by}", subject_type="mail",
                     subject_id=mail_id, inputs={"to": mail.to, "chars_before": len(mail.body)},
                     decision={"chars_after": len(body)}, message=f"{by} edited the draft to {mail.to}")
    return get_mail(db, mail_id)  # type: ignore[return-value]


def reject_draft(db: sqlite3.Connection, now: datetime, mail_id: int, *, by: str, note: str | None = None) -> OutboxMail:
    """A person stops the draft: it is never sent."""
    with write_transaction(db):
        mail = _waiting(db, mail_id)
        reason = f"rejected by {by}" + (f": {note}" if note else "")
        mark_rejected(db, mail_id, now, reason=reason, by=by)
        record_event(db, EventKind.DRAFT_REJECTED, decided_by=f"{Decider.PERSON}:{by}", subject_type="mail",
                     subject_id=mail_id, inputs={"to": mail.to, "subject": mail.subject},
                     decision={"status": "rejected", "note": note}, message=reason)
    return get_mail(db, mail_id)  # type: ignore[return-value]
