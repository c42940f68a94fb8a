"""Typed shape of `system_map/founder.yml`: what reaches the founder's page and when the digest goes out.

Every threshold the page's providers read lives here, so a firm tunes "what needs me" in one file:
how late work may run before the founder hears, which judgment labels count, when a quiet channel
is strange, how long a person may be over capacity, how far the pipeline may fall in a week.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field, field_validator

from opsys.config.strict import Strict

JudgmentLabel = Literal["discount", "scope_change", "cancellation", "invoice_dispute", "refund", "none"]
JUDGMENT_LABELS: tuple[str, ...] = ("discount", "scope_change", "cancellation", "invoice_dispute", "refund")


class Digest(Strict):
    """The morning digest: the page's items in one message, once per business day."""

    enabled: bool = True
    at: time = Field(time(8, 0), description="local firm time (team.yml timezone), e.g. '08:00'")
    to: list[str] = Field(default=[], description="person ids to send it to; empty = everyone with the founder role")
    mail: bool = Field(True, description="also mail it to their team.yml email through the mail outbox")

    @field_validator("at", mode="before")
    @classmethod
    def _clock(cls, v: object) -> object:
        if isinstance(v, int):  # YAML reads 08:00 unquoted as sexagesimal 480
            return time(v // 60 % 24, v % 60)
        return v


class Escalations(Strict):
    """Late work that the founder hears about, besides the ladder's own `founder` step."""

    urgent_grace_minutes: int = Field(0, ge=0, description="an urgent task this far past its due time is shown")
    hot_lead_grace_minutes: int = Field(0, ge=0, description="a hot lead not contacted this far past due is shown")
    urgent_kinds: list[str] = Field(default=["handle_urgent_issue"], description="task kinds that are urgent client items")
    hot_lead_kinds: list[str] = Field(default=["reply_to_hot_lead"], description="task kinds that are hot leads")


class Decisions(Strict):
    """Messages that need the founder's judgment, and leads big enough to look at."""

    min_confidence: float = Field(0.6, ge=0, le=1, description="judgment label shown at this confidence or more")
    labels: list[JudgmentLabel] = Field(default=list(JUDGMENT_LABELS), description="which judgment labels count")
    window_days: int = Field(14, ge=1, description="messages older than this are not shown")
    big_lead_value: float | None = Field(20000, gt=0, description="a lead (budget or CRM deal) worth more; null = off")


class Silence(Strict):
    """A channel that usually has inbound on a working day and has none."""

    history_days: int = Field(28, ge=7, description="working days of this many calendar days set the usual volume")
    min_expected: float = Field(3.0, gt=0, description="expected messages by now at which zero is strange "
                                                       "(3 ⇒ a quiet day by chance is under 5 %)")


class Anomalies(Strict):
    silence: Silence = Silence()
    notification_failures: int = Field(1, ge=1, description="failed notifications (last 7 days) that make an item")
    quarantine_files: int = Field(1, ge=1, description="files in var/quarantine/ that make an item")
    crm_export_hours: float | None = Field(None, gt=0, description="newest CRM export older than this; "
                                                                 "null = pipeline.yml stale_export_hours")
    over_capacity_days: int = Field(3, ge=1, description="a person over capacity on this many days in a row")
    pipeline_drop_percent: float = Field(20, gt=0, le=100, description="open pipeline value falling more "
                                                                      "than this week on week")
    sop_review_grace_days: int = Field(14, ge=0, description="an SOP this long past its review date")


class FounderSettings(Strict):
    digest: Digest = Digest()
    escalations: Escalations = Escalations()
    decisions: Decisions = Decisions()
    anomalies: Anomalies = Anomalies()
    page_limit: int = Field(25, ge=1, description="items shown on the page (the rest are counted)")


class JudgmentExample(Strict):
    """A labeled message of `system_map/examples/judgment.yml`: which decision it asks the founder for."""

    text: str = Field(min_length=3)
    label: JudgmentLabel
