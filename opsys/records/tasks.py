"""A task: one piece of work with an owner, a due time and the context to do it without asking anyone.

Producers (intake routing today; workflows, CRM events, sequences and the founder page later) say
what they need as a `TaskSpec`; routing turns it into a `Task` with an owner and the reason why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

TaskStatus = Literal["open", "waiting", "done", "cancelled"]
TASK_STATUSES: tuple[str, ...] = ("open", "waiting", "done", "cancelled")
SubjectType = Literal["inquiry", "contact", "deal", "client", "document"]


@dataclass(frozen=True)
class DealContext:
    """The deal a task is about, as the CRM last said."""

    name: str
    stage: str
    value: float | None = None


@dataclass(frozen=True)
class ContextPack:
    """Everything a person needs to act on a task: what to do, how, and what happened before."""

    what_to_do: str
    sop: str | None = None
    sop_section: str | None = None
    history: tuple[str, ...] = ()  # short lines across channels, oldest first
    client_tier: str | None = None
    deal: DealContext | None = None
    decisions: tuple[str, ...] = ()  # the routing and score reasons
    draft: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"what_to_do": self.what_to_do, "sop": self.sop, "sop_section": self.sop_section,
                "history": list(self.history), "client_tier": self.client_tier,
                "deal": None if self.deal is None else self.deal.__dict__.copy(),
                "decisions": list(self.decisions), "draft": self.draft}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ContextPack":
        deal = d.get("deal")
        return cls(d.get("what_to_do", ""), d.get("sop"), d.get("sop_section"), tuple(d.get("history") or ()),
                   d.get("client_tier"), DealContext(**deal) if deal else None, tuple(d.get("decisions") or ()),
                   d.get("draft"))


@dataclass(frozen=True)
class TaskSpec:
    """What a producer asks for; the routing inputs (service … hot) are what routing.yml rules read."""

    kind: str
    title: str
    subject_type: SubjectType
    subject_id: str
    contact_id: int | None = None
    context: ContextPack | None = None  # None: what_to_do and sop come from tasks.yml
    due_at: datetime | None = None  # None: now + the kind's respond_within, in business time
    effort_hours: float | None = None  # None: the kind's default effort
    service: str | None = None
    channel: str | None = None
    client_tier: str | None = None
    client: str | None = None
    category: str | None = None
    is_lead: bool | None = None
    score: int | None = None
    hot: bool | None = None
    reasons: tuple[str, ...] = ()  # earlier decisions to show in the context pack (the score's, …)
    draft: str | None = None  # a drafted reply, where one exists

    def routing_inputs(self) -> dict[str, Any]:
        """What a routing rule's `when` reads; stored on the task so it can be re-routed later."""
        return {"task_kind": self.kind, "category": self.category, "is_lead": self.is_lead, "hot": self.hot,
                "score": self.score, "service": self.service, "channel": self.channel, "client": self.client,
                "client_tier": self.client_tier or "none"}


@dataclass(frozen=True)
class Task:
    """A stored task. `closed_by` says who or what closed it: a person, or the evidence seen."""

    id: int
    kind: str
    title: str
    subject_type: str
    subject_id: str
    contact_id: int | None
    owner_id: str | None
    status: TaskStatus
    priority: int  # 1 is the highest
    created_at: datetime
    due_at: datetime | None
    effort_hours: float | None
    rule: str
    reason: str
    context: ContextPack
    parked: bool = False  # on the overflow owner (or nobody) because everyone eligible was full or away
    role: str | None = None  # the role the rule routed by, for escalation
    closed_at: datetime | None = None
    closed_by: str | None = None
    note: str | None = None
    snoozed_until: datetime | None = None
    escalation_level: int = 0
    routing_inputs: dict[str, Any] = field(default_factory=dict)
    explanation: dict[str, Any] = field(default_factory=dict)  # candidates, strategy, tie-break
    created_event_id: int = 0  # evidence must come after this event

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "waiting")

    def as_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["context"] = self.context.as_dict()
        for k in ("created_at", "due_at", "closed_at", "snoozed_until"):
            d[k] = None if d[k] is None else d[k].isoformat()
        return d
