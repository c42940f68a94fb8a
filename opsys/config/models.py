"""Typed shape of `system_map/*.yml`: the firm's configuration, which is also its documentation."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from opsys.config.calendar_models import AwayPeriod, BusinessCalendar, PersonAvailability, WorkingHours
from opsys.config.lines import SourceLines
from opsys.config.mail_models import Mailbox, mailboxes_once
from opsys.config.outbound_models import Outbound
from opsys.config.intake_api_models import IntakeApi
from opsys.config.document_models import DocumentSettings
from opsys.config.founder_models import FounderSettings, JudgmentExample
from opsys.config.pipeline_models import CrmToolSettings, PipelineSettings
from opsys.config.strict import AtField, Strict
from opsys.config.sequence_models import SentimentExample, Sequences
from opsys.config.task_models import TaskKinds
from opsys.config.values import email_address, first_repeat, iana_timezone, phone_region
from opsys.config.workflow_models import Workflows

Role = str


# --- team.yml -----------------------------------------------------------------------------


class Service(Strict):
    label: str
    keywords: list[str] = Field(min_length=1)


class Firm(Strict):
    name: str
    timezone: str = Field("UTC", description="IANA time zone of the firm, e.g. Europe/London")
    default_region: str = Field("US", description="ISO country used to read phone numbers without +country")
    services: dict[str, Service] = {}
    calendar: BusinessCalendar = BusinessCalendar()
    review_link: str | None = Field(None, description="where happy clients leave a review (Google, Clutch…); "
                                    "the close-out's review request sends it")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        return iana_timezone(v)

    @field_validator("default_region")
    @classmethod
    def _region(cls, v: str) -> str:
        return phone_region(v)


class Person(Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    email: str

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return email_address(v)
    roles: list[Role] = Field(min_length=1)
    capacity: int = Field(ge=0, description="open tasks this person can hold")
    notify: list[str] = Field(default=[], description="Apprise URLs for immediate notifications")
    weekly_hours: float | None = Field(None, gt=0, le=168, description="hours a week for routed work; open "
                                       "task effort is counted against it (absent: only `capacity` counts)")
    skills: list[str] = Field(default=[], description="service keys of firm.services this person does")
    backup: str | None = Field(None, description="person who hears when this person's task is late")
    away: list[AwayPeriod] = Field(default=[], description="from/until (both included): no new work then")
    timezone: str | None = Field(None, description="own IANA timezone for their working hours and away days; "
                                 "default firm.timezone")
    working_hours: WorkingHours | None = Field(None, description="own hours, e.g. '08:00-16:30'; default the firm's")

    @field_validator("timezone")
    @classmethod
    def _own_timezone(cls, v: str | None) -> str | None:
        return v if v is None else iana_timezone(v)

    @field_validator("away")
    @classmethod
    def _away_apart(cls, periods: list[AwayPeriod]) -> list[AwayPeriod]:
        from pydantic import ValidationError

        try:  # overlaps are refused there, naming both periods
            return PersonAvailability(away=periods).away
        except ValidationError as e:
            raised = (e.errors()[0].get("ctx") or {}).get("error")
            if isinstance(raised, AtField):
                raise AtField(str(raised), *raised.loc) from None
            raise

    @property
    def availability(self) -> PersonAvailability:
        """The person's time for routed work, as business time reads it."""
        return PersonAvailability(weekly_hours=self.weekly_hours, away=self.away, timezone=self.timezone,
                                  working_hours=self.working_hours)


class Team(Strict):
    firm: Firm
    people: list[Person] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Team":
        repeat = first_repeat([p.id for p in self.people])
        if repeat:
            first, again = repeat
            raise AtField(f"person id {self.people[again].id!r} is used twice (also people[{first}]); "
                          "give each person their own id", "people", again, "id")
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


class ChannelConfig(Strict):
    label: str
    weight: int = Field(ge=-50, le=50, description="points a lead gets for arriving through this channel")


class IntakeSettings(Strict):
    max_file_mb: float = Field(20, gt=0, description="larger files are quarantined, not read")
    stable_seconds: float = Field(0.3, ge=0, description="a drop is read once its size and mtime held this long")
    rescan_seconds: float = Field(30, gt=0, description="the watcher also rescans the inbox this often")


class Sources(Strict):
    intake: IntakeSettings = IntakeSettings()
    channels: dict[ChannelName, ChannelConfig]
    mailboxes: list[Mailbox] = []  # opsys/config/mail_models.py
    outbound: Outbound = Outbound()  # opsys/config/outbound_models.py
    intake_api: IntakeApi = IntakeApi()  # opsys/config/intake_api_models.py

    _mailboxes_once = field_validator("mailboxes")(mailboxes_once)

    @field_validator("channels")
    @classmethod
    def _all_channels(cls, v: dict[str, ChannelConfig]) -> dict[str, ChannelConfig]:
        missing = {"email", "web_form", "phone", "referral", "csv"} - set(v)
        if missing:
            raise ValueError(f"channels missing: {', '.join(sorted(missing))}")
        return v


# --- scoring.yml --------------------------------------------------------------------------


class LengthSignal(Strict):
    min_words: int = Field(ge=1)
    points: int


def _listed_once(items: list[str]) -> list[str]:
    # a specificity term written twice scores twice, which nobody means; a phrase twice hides an edit
    repeat = first_repeat(items)
    if repeat:
        first, again = repeat
        raise AtField(f"{items[again]!r} is listed twice (also item [{first}]); keep one", again)
    return items


class TermsSignal(Strict):
    points_per_hit: int
    max_points: int
    terms: list[str] = Field(min_length=1)

    _once = field_validator("terms")(_listed_once)


class PhraseSignal(Strict):
    points: int
    phrases: list[str] = Field(min_length=1)

    _once = field_validator("phrases")(_listed_once)


class Quality(Strict):
    length: LengthSignal
    specificity: TermsSignal
    concrete_ask: PhraseSignal


class BudgetBand(Strict):
    min: float = Field(ge=0)
    points: int


class TimelineBand(Strict):
    within_days: int = Field(ge=0)
    points: int


class SizeBand(Strict):
    min_employees: int = Field(ge=0)
    points: int


class Currency(Strict):
    base: str = Field("USD", pattern=r"^[A-Z]{3}$", description="the currency the budget bands are written in")
    rates: dict[str, float] = Field({}, description="value of one unit of each currency in `base` (fixed, no internet)")

    @field_validator("rates")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, r in v.items() if r <= 0 or len(k) != 3 or not k.isupper()]
        if bad:
            raise ValueError(f"rates need a 3-letter code and a positive rate: fix {', '.join(bad)}")
        return v


class Scoring(Strict):
    hot_threshold: int = Field(ge=0, le=100)
    target_recall: float = Field(0.9, gt=0, le=1, description="hot recall `opsys scoring fit` aims for")
    examples_as_of: date | None = Field(None, description="the day the hot examples were written: their "
                                                          "timelines are read as of it (default: today)")
    currency: Currency = Currency()
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
Strategy = Literal["least_loaded", "round_robin", "sticky", "skills"]


class When(Strict):
    """All given conditions must hold; an absent condition matches anything."""

    category: list[Literal["urgent", "routine", "faq", "spam"]] | None = None
    is_lead: bool | None = None
    hot: bool | None = None
    channel: list[ChannelName] | None = None
    service: list[str] | None = None
    min_score: int | None = None
    max_score: int | None = None
    client_tier: list[str] | None = Field(None, description="'none' matches contacts with no tier")
    task_kind: list[str] | None = Field(None, description="kinds of tasks.yml; an inquiry from intake has none")


class Assign(Strict):
    role: str | None = None
    person: str | None = None
    account_manager: bool = Field(False, description="prefer the client's own account manager")
    strategy: Strategy = Field("least_loaded", description="how one of the role is chosen: least_loaded, "
                               "round_robin (fair turns, cursor kept), sticky (whoever had the contact last), "
                               "skills (people whose skills include the service)")

    @model_validator(mode="after")
    def _one_target(self) -> "Assign":
        if not (self.role or self.person or self.strategy == "skills"):
            raise ValueError("assign needs a role or a person (or strategy: skills)")
        if self.person and self.strategy != "least_loaded":
            raise AtField(f"strategy {self.strategy!r} chooses among a role; a named person needs none "
                          "(remove `strategy`, or give a role instead of `person`)", "strategy")
        return self


class RoutingRule(Strict):
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


class Routing(Strict):
    overflow_owner: str = Field(description="person who takes work when everyone eligible is at capacity")
    rules: list[RoutingRule] = Field(min_length=1)


# --- clients.yml --------------------------------------------------------------------------


class ClientAccount(Strict):
    name: str
    domains: list[str] = []
    tier: str
    account_manager: str | None = None


class Clients(Strict):
    clients: list[ClientAccount] = []


# --- classifier.yml -----------------------------------------------------------------------


class EmbeddingSettings(Strict):
    model: str = Field("bundled", description="'bundled' or a folder holding a sentence-transformers model")
    min_confidence: float = Field(0.5, ge=0, le=1, description="below this, the LLM is asked")
    urgent_at: float = Field(1.0, ge=0, le=1, description="urgent whenever its probability reaches this, even "
                                                         "if another label is likelier (a missed urgent costs most)")


class LlmSettings(Strict):
    enabled: bool = True
    model_path: str = Field("bundled", description="'bundled' (SmolLM2-135M) or the path of any GGUF file")
    n_ctx: int = Field(1024, ge=768)  # the few-shot prompt alone is ~480 tokens
    n_threads: int | None = None
    max_tokens: int = Field(48, ge=8)


class ClassifierSettings(Strict):
    embedding: EmbeddingSettings = EmbeddingSettings()
    llm: LlmSettings = LlmSettings()


class Example(Strict):
    text: str = Field(min_length=3)
    category: Literal["urgent", "routine", "faq", "spam"]
    is_lead: bool
    # optional labels for `opsys eval` and `opsys scoring fit` (the classifier reads only the three above)
    hot: bool | None = Field(None, description="a lead the firm would call today: scoring is fitted and measured on it")
    channel: ChannelName | None = Field(None, description="how it arrived, for the source signal (default email)")
    budget: str | None = Field(None, pattern=r"^(none|\d+(\.\d+)?( [A-Z]{3})?)$",
                               description="the budget the text states, low end as written: '25000 USD', "
                                           "'18000 EUR', '12000' (no currency said) or 'none'")


# --- tools.yml ----------------------------------------------------------------------------


class Tool(Strict):
    """One of the firm's systems (CRM, project tool, invoicing, email, website...)."""

    name: str
    kind: Literal["crm", "project", "invoicing", "email", "website", "calendar", "chat", "storage", "other"]
    holds: list[str] = Field(default=[], description="what data lives there")
    notes: str = ""
    settings: CrmToolSettings | None = Field(
        None, description="the CRM's export format and column mapping (only a tool of kind crm has settings)")

    @field_validator("settings", mode="before")
    @classmethod
    def _settings_of_kind(cls, v: object, info: ValidationInfo) -> object:
        if "kind" not in info.data:
            return None  # the kind itself is wrong and reported; its settings cannot be judged
        kind = info.data["kind"]
        if v in (None, {}) and kind != "crm":
            return None
        if kind != "crm":
            raise ValueError(f"a tool of kind {kind!r} takes no settings; only the CRM (kind: crm) has them")
        return v


class Flow(Strict):
    source: str
    target: str
    data: str
    how: str = ""


class Tools(Strict):
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
    tasks: TaskKinds
    documents: DocumentSettings = Field(default_factory=DocumentSettings)  # documents.yml
    founder: FounderSettings = Field(default_factory=FounderSettings, description="founder.yml")
    judgment_examples: list[JudgmentExample] = Field(default=[], description="examples/judgment.yml")
    sequences: Sequences = Field(default_factory=Sequences, description="sequences.yml")
    sentiment_examples: list[SentimentExample] = Field(default=[], description="examples/sentiment.yml")
    lines: SourceLines = Field(default_factory=SourceLines, exclude=True,
                               description="each file's YAML node tree, kept from loading")

    @property
    def crm(self) -> CrmToolSettings:
        """The settings of the first tool of kind crm (validated with tools.yml); defaults without one."""
        for tool in self.tools.tools.values():
            if tool.kind == "crm":
                return tool.settings or CrmToolSettings()
        return CrmToolSettings()
