"""Typed shape of `system_map/tasks.yml`: the kinds of work a task can be, each with its default effort,
how fast it must be answered (business time), its priority, the SOP to follow and who hears about it
when it is late. Routing (`routing.yml`) decides who gets a task; this file says what the task is."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from opsys.config.calendar_models import Duration, DurationField
from opsys.config.strict import AtField, Strict

# The kinds intake opens for a routed inquiry, by route action; tasks.yml must define each.
INTAKE_KINDS: dict[str, str] = {"notify": "reply_to_hot_lead", "queue": "reply_to_lead",
                                "escalate": "handle_urgent_issue", "client_queue": "answer_client"}
# What a `what_to_do` sentence may name: filled from the task's contact and subject.
TEMPLATE_FIELDS = ("who", "company", "subject", "channel", "service")
LADDER_STEPS = "remind_owner, backup_role, role:<role>, person:<id>, founder"
Evidence = Literal["crm_activity", "deal_stage", "reply"]


def _effort_hours(d: Duration) -> float:
    if d.unit == "day":
        raise ValueError(f"effort {d} is in days; write the hours of work it takes, e.g. '4h' or '30 minutes'")
    return d.minutes / 60


class TaskKind(Strict):
    """One kind of work: reply to a lead, handle an urgent issue, an onboarding step …"""

    label: str
    effort: DurationField = Field(description="default work in hours or minutes, e.g. '30 minutes', '2h'")
    respond_within: DurationField = Field(description="the SLA in business time, e.g. '1 business hour'")
    priority: int = Field(3, ge=1, le=5, description="1 is the highest")
    sop: str | None = Field(None, description="the SOP id in sops/ to follow, optionally 'id#section'")
    what_to_do: str = Field(min_length=3, description="one sentence; may name {who} {company} {subject} "
                                                      "{channel} {service}")
    escalation: list[str] = Field(default=["remind_owner", "backup_role", "founder"],
                                  description=f"steps once past respond_within, each once: {LADDER_STEPS}")
    closes_on: list[Evidence] = Field(default=[], description="evidence that shows the work was done: "
                                      "crm_activity, deal_stage (on the contact's deal), reply (the sender "
                                      "answered on the thread)")

    @field_validator("effort")
    @classmethod
    def _effort(cls, d: Duration) -> Duration:
        _effort_hours(d)
        return d

    @field_validator("what_to_do")
    @classmethod
    def _template(cls, text: str) -> str:
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as e:
            raise ValueError(f"{e}; write a field as {{who}}, or a literal brace as {{{{") from None
        unknown = [n for n in names if n not in TEMPLATE_FIELDS]
        if unknown:
            raise ValueError(f"unknown field {{{unknown[0]}}}; known: {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}")
        return text

    @field_validator("escalation")
    @classmethod
    def _ladder(cls, steps: list[str]) -> list[str]:
        for i, step in enumerate(steps):
            head, _, arg = step.partition(":")
            if not ((head in ("remind_owner", "backup_role", "founder") and not arg)
                    or (head in ("role", "person") and arg)):
                raise AtField(f"unknown escalation step {step!r}; write one of {LADDER_STEPS}", i)
            if steps.index(step) != i:
                raise AtField(f"step {step!r} is listed twice; each step runs once", i)
        return steps

    @property
    def effort_hours(self) -> float:
        return _effort_hours(self.effort)

    @property
    def sop_id(self) -> str | None:
        return self.sop.partition("#")[0] if self.sop else None

    @property
    def sop_section(self) -> str | None:
        return (self.sop.partition("#")[2] or None) if self.sop else None


class TaskKinds(Strict):
    kinds: dict[str, TaskKind] = Field(min_length=1)

    @model_validator(mode="after")
    def _intake_kinds(self) -> "TaskKinds":
        missing = [k for k in INTAKE_KINDS.values() if k not in self.kinds]
        if missing:
            raise AtField(f"intake opens tasks of kind {', '.join(missing)}: define "
                          f"{'it' if len(missing) == 1 else 'them'} here", "kinds")
        for name in self.kinds:
            if not name.replace("_", "").isalnum() or name != name.lower():
                raise AtField(f"kind {name!r}: write a kind as lower_snake_case", "kinds", name)
        return self

    def kind(self, name: str) -> TaskKind:
        try:
            return self.kinds[name]
        except KeyError:
            raise KeyError(f"unknown task kind {name!r}; system_map/tasks.yml has "
                           f"{', '.join(sorted(self.kinds))}") from None
