"""Mail as the firm's conversations: touches (any contact with a contact, in or out) and mail to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Direction = Literal["in", "out"]


@dataclass(frozen=True)
class Touch:
    """Evidence of contact with a contact in any channel: it answers leads and resets follow-up clocks."""

    id: int
    contact_id: int
    direction: Direction
    channel: str  # email, web_form, call_note, crm_activity, sms, …
    at: datetime
    source: str  # where the evidence lives: "inquiry:12", "mail:<message-id>", "crm_activity:44"
    thread_id: int | None = None
    inquiry_id: int | None = None
    auto: bool = False  # an auto-reply: stored, never counted as a reply


@dataclass(frozen=True)
class MailSpec:
    """A mail opsys is asked to send; `idempotency_key` makes queueing it twice queue it once."""

    to: str
    subject: str
    body: str
    rule: str  # decided_by of the producer, e.g. "rule:sequences.yml#quiet-lead/step-1"
    idempotency_key: str
    contact_id: int | None = None
    in_reply_to: str | None = None  # Message-ID this answers, for threading
    not_before: datetime | None = None  # earliest send time; the sender also keeps sending windows
    timezone: str | None = None  # the contact's IANA timezone when known: sending windows follow it


# -- drafts (outbox helper): a mail composed from a template, personalised by the local LLM --------------------

GuardCheck = tuple[str, bool, str]  # (guard name, passed, what it found)


@dataclass(frozen=True)
class Draft:
    """A mail body with how it was made: the LLM's text only when every guard passed, else the plain template."""

    text: str
    used_llm: bool
    model: str | None  # the GGUF file name asked, None when no LLM was asked
    prompt_hash: str | None  # sha256 of the exact prompt and settings, to reproduce or compare drafts
    guards: tuple[GuardCheck, ...] = ()
    fallback_reason: str | None = None  # why the plain template was used, None when the LLM's draft was

    @property
    def failed_guards(self) -> tuple[str, ...]:
        return tuple(name for name, passed, _ in self.guards if not passed)
