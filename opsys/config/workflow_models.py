"""Typed shape of `system_map/workflows.yml`: each workflow, the systems it touches, its SOPs and rules."""

from __future__ import annotations

from pydantic import Field, model_validator

from opsys.config.strict import AtField, Strict

# A rule reference names the file and the thing in it that executes a step, e.g.
# "routing:hot-lead-notifies-sales" or "scoring:budget". Checked against the map by the loader.
RULE_SOURCES = ("routing", "scoring", "sequences")


class Workflow(Strict):
    """One thing the firm does again and again, from its trigger to its last step."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    trigger: str
    steps: list[str] = Field(min_length=1)
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
        return self
