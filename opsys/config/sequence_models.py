"""Typed shape of `system_map/sequences.yml`: follow-up sequences (what enrols a contact, the steps
on business-day timers, what makes them stop) and the mail templates their steps send.

A sequence's steps run in order; `wait` moves the clock ("3 business days" unless it says calendar
days), `mail` sends a template, `task` opens a task of a tasks.yml kind (routing.yml says who gets it),
`notify` tells a person or role. A `mail` step with `read_reply: true` has its reply classified
(positive / neutral / negative); later steps may say `when: positive` and are skipped otherwise.
References to other files (task kinds, roles, people, stages) are checked in `opsys/config/references.py`.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from opsys.config.calendar_models import DurationField, parse_duration
from opsys.config.strict import AtField, Strict

if TYPE_CHECKING:
    from opsys.config.models import SystemMap
    from opsys.config.problems import ConfigProblem

Approval = Literal["required", "auto"]
ExitOn = Literal["reply", "meeting", "deal_advanced", "unsubscribe", "bounce"]
EXIT_ON: tuple[str, ...] = ("reply", "meeting", "deal_advanced", "unsubscribe", "bounce")
Sentiment = Literal["positive", "neutral", "negative"]
When = Literal["positive", "neutral", "negative", "replied", "no_reply"]

# What a template may name, filled from the contact, the firm and the trigger. Trigger-specific
# fields are only there for sequences with that trigger: `opsys check` refuses them elsewhere.
COMMON_FIELDS = ("first_name", "name", "company", "email", "firm", "sender", "sender_first_name", "service",
                 "subject")
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {"lead_quiet": (), "deal_quiet": ("deal", "stage"),
                                              "job_closed": ("deal", "review_link")}


def template_fields(text: str) -> list[str]:
    """The `{field}` names a template text uses, in order (ValueError on a broken brace or a format spec)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as e:
        raise ValueError(f"{e}; write a field as {{first_name}}, or a literal brace as {{{{") from None
    for _, name, spec, conv in parsed:
        if name is not None and (spec or conv or not name.isidentifier()):
            raise ValueError(f"{{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}} is not a plain "
                             "field; write fields as {first_name}")
    return [f for _, f, _, _ in parsed if f is not None]


class Template(Strict):
    """A mail the firm would send by hand: the LLM may personalise it, never add facts to it."""

    subject: str = Field(min_length=1)
    body: str = Field(min_length=10)

    @field_validator("subject", "body")
    @classmethod
    def _fields_known(cls, text: str) -> str:
        known = set(COMMON_FIELDS) | {f for fs in TRIGGER_FIELDS.values() for f in fs}
        for name in template_fields(text):
            if name not in known:
                raise ValueError(f"unknown field {{{name}}}; known: "
                                 f"{', '.join('{' + f + '}' for f in sorted(known))}")
        return text

    @property
    def fields(self) -> set[str]:
        return set(template_fields(self.subject)) | set(template_fields(self.body))


class TaskStep(Strict):
    kind: str = Field(description="a kind of tasks.yml; routing.yml decides who gets it")
    title: str | None = Field(None, description="the task's title; default the kind's label and the contact")


class NotifyStep(Strict):
    to: str = Field(description="who hears: a person id, role:<role>, owner (the contact's last owner)")
    message: str = Field(min_length=3)


class Step(Strict):
    """One step: exactly one of wait, mail, task, notify."""

    wait: DurationField | None = Field(None, description="'3 business days' (default business), '2 calendar days'")
    mail: str | None = Field(None, description="a template name of `templates:`")
    task: TaskStep | None = None
    notify: NotifyStep | None = None
    read_reply: bool = Field(False, description="classify the reply to this mail as positive/neutral/negative")
    when: When | None = Field(None, description="run only if the read reply was this (or replied / no_reply)")

    @field_validator("task", mode="before")
    @classmethod
    def _task_kind(cls, v: object) -> object:
        return {"kind": v} if isinstance(v, str) else v  # `task: follow_up_call`

    @model_validator(mode="after")
    def _one_action(self) -> "Step":
        given = [k for k in ("wait", "mail", "task", "notify") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a step is exactly one of wait, mail, task, notify; this one has "
                             f"{', '.join(given) or 'none'}")
        if self.read_reply and self.mail is None:
            raise AtField("only a mail step can read its reply", "read_reply")
        if self.when is not None and self.wait is not None:
            raise AtField("a wait cannot be skipped; put `when` on the step after it", "when")
        if self.wait is not None and self.wait.unit == "minute" and self.wait.amount < 5:
            raise AtField("a wait under 5 minutes is shorter than one jobs run; write e.g. '1 business hour'", "wait")
        return self

    @property
    def action(self) -> str:
        return next(k for k in ("wait", "mail", "task", "notify") if getattr(self, k) is not None)


class DealQuiet(Strict):
    stage: str = Field(description="a stage key of pipeline.yml")
    after: DurationField = Field(description="no touch since the deal entered the stage for this long")


class Trigger(Strict):
    """Exactly one: a lead with no touch for a while, a deal quiet in a stage, or a job closed."""

    lead_quiet: DurationField | None = Field(None, description="no touch (in or out, any channel) for this long")
    waiting_on: Literal["contact", "anyone"] = Field(
        "contact", description="lead_quiet only: contact = the last touch was ours (we wait on them)")
    deal_quiet: DealQuiet | None = None
    job_closed: bool = Field(False, description="a deal entered a stage with delivered: true, or `opsys job close`")

    @model_validator(mode="after")
    def _one(self) -> "Trigger":
        given = [k for k in ("lead_quiet", "deal_quiet") if getattr(self, k) is not None] + (
            ["job_closed"] if self.job_closed else [])
        if len(given) != 1:
            raise ValueError(f"a trigger is exactly one of lead_quiet, deal_quiet, job_closed; this one has "
                             f"{', '.join(given) or 'none'}")
        return self

    @property
    def kind(self) -> str:
        return "lead_quiet" if self.lead_quiet else "deal_quiet" if self.deal_quiet else "job_closed"


class Sequence(Strict):
    label: str
    trigger: Trigger
    approval: Approval = Field("required", description="required: drafts wait in `opsys drafts`; auto: sent")
    exit_on: list[ExitOn] = Field(default=list(EXIT_ON), description="what stops it: reply, meeting, "
                                  "deal_advanced, unsubscribe, bounce (manual `opsys sequence stop` always)")
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> "Sequence":
        for i, s in enumerate(self.steps):
            if s.when is not None and not any(p.read_reply for p in self.steps[:i]):
                raise AtField(f"`when: {s.when}` needs an earlier mail step with read_reply: true", "steps", i, "when")
        if "unsubscribe" not in self.exit_on:
            raise AtField("a sequence must stop when the contact unsubscribes; add unsubscribe", "exit_on")
        if self.steps[-1].wait is not None:
            raise AtField("the last step is a wait that leads nowhere; remove it", "steps", len(self.steps) - 1)
        return self


class Sequences(Strict):
    cool_down: DurationField = Field(parse_duration("10 business days"),
                                     description="after a sequence ends, a contact waits this long for another")
    confidence: float = Field(0.6, ge=0, le=1, description="a reply read below this confidence goes to a person")
    sequences: dict[str, Sequence] = {}
    templates: dict[str, Template] = {}

    @model_validator(mode="after")
    def _names(self) -> "Sequences":
        for name in [*self.sequences, *self.templates]:
            if not name.replace("-", "").replace("_", "").isalnum() or name != name.lower():
                where = "sequences" if name in self.sequences else "templates"
                raise AtField(f"name {name!r}: write it in lower case with - or _", where, name)
        for name, seq in self.sequences.items():
            for i, step in enumerate(seq.steps):
                if step.mail is not None and step.mail not in self.templates:
                    raise AtField(f"unknown template {step.mail!r}; templates: has "
                                  f"{', '.join(sorted(self.templates)) or 'none'}", "sequences", name, "steps", i,
                                  "mail")
                if step.mail is not None:
                    allowed = set(COMMON_FIELDS) | set(TRIGGER_FIELDS[seq.trigger.kind])
                    extra = sorted(self.templates[step.mail].fields - allowed)
                    if extra:
                        raise AtField(f"template {step.mail!r} uses {', '.join('{' + f + '}' for f in extra)}, "
                                      f"which a {seq.trigger.kind} sequence does not know", "sequences", name,
                                      "steps", i, "mail")
        return self


class SentimentExample(Strict):
    """A labeled reply to a satisfaction check (`examples/sentiment/*.yml`), as clients write them."""

    text: str = Field(min_length=2)
    sentiment: Sentiment


def check_sequence_references(m: "SystemMap") -> list["ConfigProblem"]:
    """Task kinds, roles, people and stages named in sequences.yml must exist; {review_link} needs team.yml's."""
    f, at = "sequences.yml", m.lines.problem
    ids, roles = {p.id for p in m.team.people}, m.team.roles
    stages = {s.key for s in m.pipeline.stages}
    out = []
    for name, seq in m.sequences.sequences.items():
        dq = seq.trigger.deal_quiet
        if dq is not None and dq.stage not in stages:
            out.append(at(f, ("sequences", name, "trigger", "deal_quiet", "stage"),
                          f"unknown stage {dq.stage!r}; pipeline.yml has {', '.join(sorted(stages))}"))
        if seq.trigger.job_closed and not any(s.delivered for s in m.pipeline.stages):
            out.append(at(f, ("sequences", name, "trigger", "job_closed"),
                          "no stage of pipeline.yml has delivered: true, so only `opsys job close` starts it"))
        for i, step in enumerate(seq.steps):
            loc = ("sequences", name, "steps", i)
            if step.task is not None and step.task.kind not in m.tasks.kinds:
                out.append(at(f, (*loc, "task", "kind"), f"unknown task kind {step.task.kind!r}; tasks.yml has "
                                                         f"{', '.join(sorted(m.tasks.kinds))}"))
            if step.notify is not None:
                head, _, arg = step.notify.to.partition(":")
                if not ((head == "role" and arg in roles) or (not arg and head in ids | {"owner"})):
                    out.append(at(f, (*loc, "notify", "to"), f"{step.notify.to!r} is not a person id, role:<role> "
                                                             f"of team.yml, or owner"))
            if step.mail and "review_link" in m.sequences.templates[step.mail].fields and not m.team.firm.review_link:
                out.append(at(f, (*loc, "mail"), f"template {step.mail!r} uses {{review_link}}: set firm.review_link "
                                                 "in team.yml"))
    return out
