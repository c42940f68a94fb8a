"""Typed shape of `system_map/workflows.yml`: each workflow, the systems it touches, its SOPs and rules,
and its steps. A step is a sentence (done by people, documented only) or an *automated* step: `when`
an event happens, opsys opens a task of `task_kind` for `role`, due `due` later in business time, with
`effort` and the step's `sop` (opsys/work/workflows.py runs them on every jobs run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from opsys.config.calendar_models import Duration, DurationField
from opsys.config.strict import AtField, Strict

# A rule reference names the file and the thing in it that executes a step, e.g.
# "routing:hot-lead-notifies-sales" or "scoring:budget". Checked against the map by the loader.
RULE_SOURCES = ("routing", "scoring", "sequences")


# What can start an automated step; `stage_entered:<stage key of pipeline.yml>`, `task_done:<step id>`.
TRIGGERS = ("deal_won", "stage_entered", "inquiry_routed", "client_added", "task_done")
TRIGGER_FORMS = "deal_won, stage_entered:<stage>, inquiry_routed, client_added, task_done:<step id>"


class Step(Strict):
    """One step of a workflow: a sentence, or (with `when`) a task opsys opens by itself."""

    text: str = Field(min_length=3, description="what happens in this step, as the diagram shows it")
    id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                           description="needed by an automated step; `task_done:<id>` names it")
    when: str | None = Field(None, description=f"the event that opens this step's task: {TRIGGER_FORMS}")
    task_kind: str | None = Field(None, description="kind of tasks.yml the task is")
    role: str | None = Field(None, description="role of team.yml that does it (routing.yml's strategy "
                                               "picks one person); default: routing.yml decides")
    due: DurationField | None = Field(None, description="how long after the event, in business time, e.g. "
                                                        "'2 business days'; default the kind's respond_within")
    effort: DurationField | None = Field(None, description="work in hours, e.g. '2h'; default the kind's effort")
    sop: str | None = Field(None, description="SOP id in sops/ (optionally 'id#section'); default the kind's")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    @field_validator("when")
    @classmethod
    def _when(cls, v: str | None) -> str | None:
        if v is None:
            return v
        head, sep, arg = v.partition(":")
        if head not in TRIGGERS or (head in ("stage_entered", "task_done")) != bool(arg) or (sep and not arg):
            raise ValueError(f"unknown trigger {v!r}; write one of {TRIGGER_FORMS}")
        return v

    @field_validator("effort")
    @classmethod
    def _effort(cls, d: Duration | None) -> Duration | None:
        if d is not None and d.unit == "day":
            raise ValueError(f"effort {d} is in days; write the hours of work it takes, e.g. '4h' or '30 minutes'")
        return d

    @model_validator(mode="after")
    def _automated_needs(self) -> "Step":
        if self.when is None:
            extra = [k for k in ("task_kind", "role", "due", "effort", "sop") if getattr(self, k) is not None]
            if extra:
                raise AtField(f"{extra[0]} is set but the step has no `when`; add the event that starts it "
                              f"({TRIGGER_FORMS}) or remove {extra[0]}", extra[0])
            return self
        for key in ("id", "task_kind"):
            if getattr(self, key) is None:
                raise AtField(f"an automated step (with `when`) needs `{key}`", "when")
        return self

    @property
    def automated(self) -> bool:
        return self.when is not None

    @property
    def trigger(self) -> tuple[str, str | None]:
        """(event, argument): ('stage_entered', 'proposal'), ('deal_won', None)."""
        head, _, arg = (self.when or "").partition(":")
        return head, arg or None

    @property
    def effort_hours(self) -> float | None:
        return None if self.effort is None else self.effort.minutes / 60


class Workflow(Strict):
    """One thing the firm does again and again, from its trigger to its last step."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    trigger: str
    steps: list[Step] = Field(min_length=1)
    systems: list[str] = Field(min_length=1, description="keys of tools.yml, or 'opsys'")
    sops: list[str] = Field(default=[], description="ids of the SOPs that document this workflow")
    rules: list[str] = Field(default=[], description="'routing:<rule name>', 'scoring:<signal>', 'sequences:<name>'")
    next: list[str] = Field(default=[], description="ids of workflows that usually follow this one")

    @model_validator(mode="after")
    def _rule_refs_shaped(self) -> "Workflow":
        for ref in self.rules:
            source, _, name = ref.partition(":")
            if source not in RULE_SOURCES or not name:
                raise ValueError(f"rule reference {ref!r} must look like '<{'|'.join(RULE_SOURCES)}>:<name>'")
        return self


class Workflows(Strict):
    workflows: list[Workflow] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_and_linked(self) -> "Workflows":
        ids = [w.id for w in self.workflows]
        for again, wid in enumerate(ids):
            if ids.index(wid) != again:
                raise AtField(f"workflow id used twice: {wid} (also workflows[{ids.index(wid)}])",
                              "workflows", again, "id")
        for i, w in enumerate(self.workflows):
            for j, n in enumerate(w.next):
                if n not in ids:
                    raise AtField(f"workflow {w.id!r}: next {n!r} is not a workflow id", "workflows", i, "next", j)
        seen: dict[str, tuple[int, int]] = {}
        for i, w in enumerate(self.workflows):
            for j, step in enumerate(w.steps):
                if step.id is None:
                    continue
                if step.id in seen:  # task_done:<id> must name one step
                    a, b = seen[step.id]
                    raise AtField(f"step id {step.id!r} is used twice (also workflows[{a}].steps[{b}]); "
                                  "give each step its own id", "workflows", i, "steps", j, "id")
                seen[step.id] = (i, j)
        for i, w in enumerate(self.workflows):
            for j, step in enumerate(w.steps):
                head, arg = step.trigger
                if head == "task_done" and arg not in seen:
                    raise AtField(f"task_done:{arg}: no step has id {arg!r}; known: {', '.join(sorted(seen))}",
                                  "workflows", i, "steps", j, "when")
                if head == "task_done" and arg == step.id:
                    raise AtField(f"step {step.id!r} starts on its own completion; name an earlier step",
                                  "workflows", i, "steps", j, "when")
        return self

    def automated_steps(self) -> list[tuple[Workflow, Step]]:
        """Every step with a `when`, in file order, with its workflow."""
        return [(w, s) for w in self.workflows for s in w.steps if s.automated]

    def step(self, step_id: str) -> tuple[Workflow, Step] | None:
        return next(((w, s) for w in self.workflows for s in w.steps if s.id == step_id), None)


def step_reference_problems(m: "SystemMap") -> list["ConfigProblem"]:
    """An automated step's role, task kind and stage must exist in team.yml, tasks.yml and pipeline.yml
    (its SOP is checked against the library by `opsys check`)."""
    stages = {s.key for s in m.pipeline.stages}
    problems = []
    for i, w in enumerate(m.workflows.workflows):
        for j, step in enumerate(w.steps):
            at = ("workflows", i, "steps", j)
            if step.role is not None and step.role not in m.team.roles:
                problems.append(m.lines.problem("workflows.yml", (*at, "role"),
                                                f"no one in team.yml has role {step.role!r}; roles: "
                                                f"{', '.join(sorted(m.team.roles))}"))
            if step.task_kind is not None and step.task_kind not in m.tasks.kinds:
                problems.append(m.lines.problem("workflows.yml", (*at, "task_kind"),
                                                f"unknown task kind {step.task_kind!r}; tasks.yml has "
                                                f"{', '.join(sorted(m.tasks.kinds))}"))
            head, arg = step.trigger
            if head == "stage_entered" and arg not in stages:
                problems.append(m.lines.problem("workflows.yml", (*at, "when"),
                                                f"unknown stage {arg!r}; pipeline.yml stages: "
                                                f"{', '.join(sorted(stages))}"))
    return problems


if TYPE_CHECKING:
    from opsys.config.models import SystemMap
    from opsys.config.problems import ConfigProblem
