"""Typed shape of `system_map/pipeline.yml` (deal stages, freshness, write-back) and of the CRM
tool's `settings:` in `tools.yml` (export format and a column mapping for any other CRM)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from opsys.config.strict import AtField, Strict

CrmLayout = Literal["hubspot", "pipedrive", "salesforce"]


def stage_key(text: str) -> str:
    """`Closed Won`, `closedwon` and `closed_won` compare equal: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", text.casefold())


class Stage(Strict):
    """One step of the sales pipeline, with the names each CRM uses for it."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    label: str
    aliases: list[str] = Field(default=[], description="stage names or ids as they appear in CRM exports")
    probability: float = Field(ge=0, le=1, description="chance a deal in this stage is won (weighted forecast)")
    max_days_in_stage: int | None = Field(None, ge=1, description="deals longer in this stage are 'aging'")
    quiet_after_days: int | None = Field(None, ge=1, description="no activity for this long: 'gone quiet'")
    outcome: Literal["open", "won", "lost"] = "open"
    delivered: bool = Field(False, description="a deal entering this stage closes the job: the close-out "
                                               "sequence of sequences.yml starts")


class PipelineSettings(Strict):
    stale_export_hours: float = Field(48, gt=0, description="pages warn when the newest export is older")
    currency: str = Field("USD", description="currency shown on pages; values are not converted")
    quiet_after_days: int = Field(14, ge=1, description="default for stages without quiet_after_days")
    slash_dates: Literal["month_first", "day_first"] = Field(
        "month_first", description="how 03/04/2026 is read when a file's dates cannot tell")
    write_back: Literal["auto", "hubspot", "pipedrive", "salesforce"] = Field(
        "auto", description="import layout of var/outbox/crm/ files; auto = the CRM of the newest export")
    owners: dict[str, str] = Field(
        default={}, description="CRM owner names, emails or ids -> person id in team.yml")
    tick_seconds: float = Field(300, gt=0, description="the watcher runs `opsys tick` this often")
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "PipelineSettings":
        seen: dict[str, str] = {}
        for i, s in enumerate(self.stages):
            names = [(s.key, ("key",)), (s.label, ("label",)), *((a, ("aliases", j)) for j, a in enumerate(s.aliases))]
            for name, where in names:
                k = stage_key(name)
                if k in seen and seen[k] != s.key:
                    raise AtField(f"stage name {name!r} is used by both {seen[k]!r} and {s.key!r}",
                                  "stages", i, *where)
                seen[k] = s.key
        return self

    def stage_for(self, name: str | None) -> Stage | None:
        """The configured stage a CRM stage name or id stands for, or None."""
        if not name:
            return None
        k = stage_key(name)
        for s in self.stages:
            if k in {stage_key(s.key), stage_key(s.label), *(stage_key(a) for a in s.aliases)}:
                return s
        return None


# --- tools.yml: tools.crm.settings --------------------------------------------------------

DEAL_FIELDS = ("id", "name", "stage", "status", "value", "currency", "owner", "company", "contact_name",
               "contact_email", "contact_phone", "created_at", "close_date", "last_activity_at",
               "next_activity_at", "next_step", "stage_changed_at", "closed_at", "modified_at", "pipeline", "won",
               "closed")
CONTACT_FIELDS = ("id", "name", "first_name", "last_name", "email", "phone", "company", "owner", "created_at",
                  "last_activity_at", "modified_at", "status", "source")


def _check_columns(columns: dict[str, str], known: tuple[str, ...], required: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(columns) - set(known))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}")
    missing = [f for f in required if f not in columns]
    if missing:
        raise ValueError(f"the mapping needs a column for {', '.join(missing)}")
    return columns


class DealMapping(Strict):
    """Our deal field -> the column header in the other CRM's export; id, name and stage are required."""

    columns: dict[str, str]

    @field_validator("columns")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_columns(v, DEAL_FIELDS, ("id", "name", "stage"))


class ContactMapping(Strict):
    """Our contact field -> the column header in the other CRM's export; id is required."""

    columns: dict[str, str]

    @field_validator("columns")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_columns(v, CONTACT_FIELDS, ("id",))


class CrmMapping(Strict):
    deals: DealMapping | None = None
    contacts: ContactMapping | None = None


class CrmToolSettings(Strict):
    format: Literal["auto", "hubspot", "pipedrive", "salesforce", "mapped"] = Field(
        "auto", description="auto: recognise HubSpot, Pipedrive and Salesforce exports by their headers")
    crm_name: str = Field("other", pattern=r"^[a-z0-9_-]+$", description="name stored for mapped exports")
    mapping: CrmMapping | None = None

    @model_validator(mode="after")
    def _mapped_needs_mapping(self) -> "CrmToolSettings":
        if self.format == "mapped" and self.mapping is None:
            raise ValueError("format 'mapped' needs a 'mapping' of deals and/or contacts columns")
        return self
