"""Which automated workflow steps an audit-log event starts: the map is the machine.

Pure: the caller reads the new events (and, for a closed task, which step it was) from the store and
passes them in; what comes back is each step to run, for which subject, because of which event. The
caller makes each (step, subject) run once, so the same deal won twice opens its tasks once.

    deal_won                a CRM export showed the deal won (the import's `deal_won` event)
    stage_entered:<stage>   a deal moved into that pipeline.yml stage (`deal_stage_changed`, by key)
    inquiry_routed          intake routed an inquiry to someone (`routed`, spam excluded)
    client_added            a client appeared in clients.yml (`client_added`, from the caller's diff)
    task_done:<step id>     the task that step opened was closed (`task_done`, `task_closed_by_evidence`)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opsys.config.workflow_models import Step, Workflow, Workflows


@dataclass(frozen=True)
class TriggerEvent:
    """An event as the triggers read it; `step_id` is the workflow step of a closed task, if any."""

    id: int
    kind: str
    subject_type: str | None
    subject_id: str | None
    decision: Mapping[str, Any] = field(default_factory=dict)
    step_id: str | None = None  # for task_done: the step whose task this was
    subject: tuple[str, str] | None = None  # for task_done: the subject that step ran for


@dataclass(frozen=True)
class Firing:
    """One automated step to run for one subject, and why."""

    workflow: Workflow
    step: Step
    event_id: int
    subject_type: str
    subject_id: str
    why: str


def trigger_of(e: TriggerEvent) -> tuple[str, str | None, tuple[str, str]] | None:
    """(trigger, argument, subject) an event stands for, or None when it starts nothing."""
    if e.kind == "deal_won" and e.subject_id:
        return "deal_won", None, ("deal", e.subject_id)
    if e.kind == "deal_stage_changed" and e.subject_id:
        return "stage_entered", e.decision.get("to_key"), ("deal", e.subject_id)
    if e.kind == "routed" and e.subject_id and e.decision.get("action") != "spam":
        return "inquiry_routed", None, ("inquiry", e.subject_id)
    if e.kind == "client_added" and e.subject_id:
        return "client_added", None, ("client", e.subject_id)
    if e.kind in ("task_done", "task_closed_by_evidence") and e.step_id and e.subject:
        return "task_done", e.step_id, e.subject
    return None


_WHY = {"deal_won": "deal {s} won", "stage_entered": "deal {s} entered stage {a}",
        "inquiry_routed": "inquiry {s} routed", "client_added": "client {s} added to clients.yml",
        "task_done": "the task of step {a} for {s} was closed"}


def firings(events: Iterable[TriggerEvent], workflows: Workflows) -> list[Firing]:
    """Every step the events start, in event order then file order."""
    steps = workflows.automated_steps()
    out: list[Firing] = []
    for e in events:
        found = trigger_of(e)
        if found is None:
            continue
        head, arg, (stype, sid) = found
        for w, step in steps:
            if step.trigger == (head, arg):
                why = _WHY[head].format(s=sid, a=arg)
                out.append(Firing(w, step, e.id, stype, sid, f"{why} (event {e.id}): {w.name} step '{step.id}'"))
    return out
