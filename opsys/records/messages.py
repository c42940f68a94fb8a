"""What arrives: one message as a source read it, and the same message normalised into a lead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Channel = Literal["email", "web_form", "phone", "referral", "csv"]
Category = Literal["urgent", "routine", "faq", "spam"]
CATEGORIES: tuple[str, ...] = ("urgent", "routine", "faq", "spam")


@dataclass(frozen=True)
class Attachment:
    """An attachment is recorded (name, type, size), never opened or executed."""

    filename: str
    content_type: str
    size: int


@dataclass
class InboundMessage:
    """One message as read from an outside file, before normalisation.

    A CSV lead list yields one per row; every other source yields one per file.
    `position` is the row/part index inside the file so (file hash, position) is unique.
    """

    channel: Channel
    source_name: str
    position: int = 0
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    subject: str = ""
    body: str = ""
    received_at: datetime | None = None
    attachments: list[Attachment] = field(default_factory=list)
    # Structured extras a source could read: service, budget, timeline, company_size,
    # referred_by, logged_by, website ... kept as text; rules decide what they mean.
    fields: dict[str, str] = field(default_factory=dict)
    # Problems survived while parsing (broken charset, invalid address...), shown to the user.
    warnings: list[str] = field(default_factory=list)


@dataclass
class Lead:
    """A normalised inbound message: validated email, E.164 phone, clean name."""

    channel: Channel
    source_name: str
    position: int
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    subject: str
    body: str
    received_at: datetime
    attachments: list[Attachment]
    fields: dict[str, str]
    warnings: list[str]

    @property
    def text(self) -> str:
        """What the classifier and scorer read: subject and body together."""
        return f"{self.subject}\n\n{self.body}".strip()
