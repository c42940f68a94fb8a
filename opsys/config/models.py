"""Typed shape of `system_map/*.yml`: the firm's configuration, which is also its documentation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from opsys.config.pipeline_models import PipelineSettings
from opsys.config.workflow_models import Workflows

Role = str


class _Strict(BaseModel):
    # Unknown keys are almost always typos in hand-edited YAML: refuse them loudly.
    model_config = ConfigDict(extra="forbid")


# --- team.yml -----------------------------------------------------------------------------


class Service(_Strict):
    label: str
    keywords: list[str] = Field(min_length=1)


class Firm(_Strict):
    name: str
    timezone: str = "UTC"
    default_region: str = Field("US", description="ISO country used to read phone numbers without +country")
    services: dict[str, Service] = {}


class Person(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    email: str
    roles: list[Role] = Field(min_length=1)
    capacity: int = Field(ge=0, description="open assignments this person can hold")
    notify: list[str] = Field(default=[], description="Apprise URLs for immediate notifications")


class Team(_Strict):
    firm: Firm
    people: list[Person] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Team":
        seen: set[str] = set()
        for p in self.people:
            if p.id in seen:
                raise ValueError(f"person id {p.id!r} is used twice")
            seen.add(p.id)
        return self

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    @property
    def roles(self) -> set[str]:
        return {r for p in self.people for r in p.roles}


# --- sources.yml --------------------------------------------------------------------------

ChannelName = Literal["email", "web_form", "phone", "referral", "csv"]


class ChannelConfig(_Strict):
    label: str
    weight: int = Field(ge=-50, le=50, description="points a lead gets for arriving through this channel")


class IntakeSettings(_Strict):
    max_file_mb: float = Field(20, gt=0, description="larger files are quarantined, not read")
    stable_seconds: float = Field(0.3, ge=0, description="a drop is read once its size and mtime held this long")
    rescan_seconds: float = Field(30, gt=0, description="the watcher also rescans the inbox this often")


class Sources(_Strict):
    intake: IntakeSettings = IntakeSettings()
    channels: dict[ChannelName, ChannelConfig]

    @field_validator("channels")
    @classmethod
    def _all_channels(cls, v: dict[str, ChannelConfig]) -> dict[str, ChannelConfig]:
        missing = {"email", "web_form", "phone", "referral", "csv"} - set(v)
        if missing:
            raise ValueError(f"channels missing: {', '.join(sorted(missing))}")
        return v


# --- scoring.yml --------------------------------------------------------------------------


class LengthSignal(_Strict):
    min_words: int = Field(ge=1)
    points: int


class TermsSignal(_Strict):
    points_per_hit: int
    max_points: int
    terms: list[str] = Field(min_length=1)


class PhraseSignal(_Strict):
    points: int
    phrases: list[str] = Field(min_length=1)


class Quality(_Strict):
    length: LengthSignal
    specificity: TermsSignal
    concrete_ask: PhraseSignal


class BudgetBand(_Strict):
    min: float = Field(ge=0)
    points: int


class TimelineBand(_Strict):
    within_days: int = Field(ge=0)
    points: int


class SizeBand(_Strict):
    min_employees: int = Field(ge=0)
    points: int


class Scoring(_Strict):
    hot_threshold: int = Field(ge=0, le=100)
    quality: Quality
    budget: list[BudgetBand] = Field(min_length=1)
    timeline: list[TimelineBand] = Field(min_length=1)
    company_size: list[SizeBand] = Field(min_length=1)
    service_match: int = 0
    referral: int = 0
    client_tier: dict[str, int] = {}

    @field_validator("budget", "timeline", "company_size")
    @classmethod
    def _sorted_bands(cls, v: list) -> list:
        # Bands are tried best first; sorting here keeps the YAML order free.
        key = {BudgetBand: "min", TimelineBand: "within_days", SizeBand: "min_employees"}[type(v[0])]
        return sorted(v, key=lambda b: getattr(b, key), reverse=key != "within_days")


# --- routing.yml --------------------------------------------------------------------------

Action = Literal["notify", "queue", "escalate", "spam", "client_queue"]


class When(_Strict):
    """All given conditions must hold; an absent condition matches anything."""

    category: list[Literal["urgent", "routine", "faq", "spam"]] | None = None
    is_lead: bool | None = None
    hot: bool | None = None
    channel: list[ChannelName] | None = None
    service: list[str] | None = None
    min_score: int | None = None
    max_score: int | None = None
    client_tier: list[str] | None = Field(None, description="'none' matches contacts with no tier")


class Assign(_Strict):
    role: str | None = None
    person: str | None = None
    account_manager: bool = Field(False, description="prefer the client's own account manager")

    @model_validator(mode="after")
    def _one_target(self) -> "Assign":
        if not (self.role or self.person):
            raise ValueError("assign needs a role or a person")
        return self


class RoutingRule(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    when: When = When()
    action: Action
    assign: Assign | None = None

    @model_validator(mode="after")
    def _assign_needed(self) -> "RoutingRule":
        if self.action != "spam" and self.assign is None:
            raise ValueError(f"rule {self.name!r}: action {self.action!r} needs 'assign'")
        return self


class Routing(_Strict):
    overflow_owner: str = Field(description="person who takes work when everyone eligible is at capacity")
    rules: list[RoutingRule] = Field(min_length=1)


# --- clients.yml --------------------------------------------------------------------------


class ClientAccount(_Strict):
    name: str
    domains: list[str] = []
    tier: str
    account_manager: str | None = None


class Clients(_Strict):
    clients: list[ClientAccount] = []


# --- classifier.yml -----------------------------------------------------------------------


class EmbeddingSettings(_Strict):
    model: str = Field("bundled", description="'bundled' or a folder holding a sentence-transformers model")
    min_confidence: float = Field(0.5, ge=0, le=1, description="below this, the LLM is asked")


class LlmSettings(_Strict):
    enabled: bool = True
    model_path: str = Field("bundled", description="'bundled' (SmolLM2-135M) or the path of any GGUF file")
    n_ctx: int = Field(1024, ge=768)  # the few-shot prompt alone is ~480 tokens
    n_threads: int | None = None
    max_tokens: int = Field(48, ge=8)


class ClassifierSettings(_Strict):
    embedding: EmbeddingSettings = EmbeddingSettings()
    llm: LlmSettings = LlmSettings()


class Example(_Strict):
    text: str = Field(min_length=3)
    category: Literal["urgent", "routine", "faq", "spam"]
    is_lead: bool


# --- tools.yml ----------------------------------------------------------------------------


class Tool(_Strict):
    """One of the firm's systems (CRM, project tool, invoicing, email, website...)."""

    name: str
    kind: Literal["crm", "project", "invoicing", "email", "website", "calendar", "chat", "storage", "other"]
    holds: list[str] = Field(default=[], description="what data lives there")
    notes: str = ""
    # Format-specific settings (e.g. the CRM's export format and a column mapping) are owned
    # by the component that reads them; kept as plain data here and validated there.
    settings: dict[str, object] = {}


class Flow(_Strict):
    source: str
    target: str
    data: str
    how: str = ""


class Tools(_Strict):
    tools: dict[str, Tool] = Field(min_length=1)
    flows: list[Flow] = []

    @model_validator(mode="after")
    def _flows_known(self) -> "Tools":
        known = set(self.tools) | {"opsys"}
        for f in self.flows:
            for end in (f.source, f.target):
                if end not in known:
                    raise ValueError(f"flow {f.source} -> {f.target}: unknown system {end!r}")
        return self


# --- the whole map ------------------------------------------------------------------------


class SystemMap(BaseModel):
    """Everything under `system_map/`, validated together and loaded once."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    team: Team
    sources: Sources
    scoring: Scoring
    routing: Routing
    clients: Clients
    classifier: ClassifierSettings
    examples: list[Example]
    tools: Tools
    workflows: Workflows
    pipeline: PipelineSettings
