"""CRM records: deals and contacts as an export has them, a deal as its history knows it, and the
joined rows pages show. sources/crm builds them, rules diff them, store keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)  # not frozen: frozen dataclasses build ~2x slower, and we build 150,000
class CrmDeal:
    crm: str
    external_id: str
    name: str
    stage: str
    status: str | None = None  # open | won | lost when the export says so; else the stage decides
    value: float | None = None
    currency: str | None = None
    owner: str | None = None
    company: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    created_at: str | None = None
    close_date: str | None = None
    closed_at: str | None = None
    last_activity_at: str | None = None
    next_activity_at: str | None = None
    next_step: str | None = None
    stage_changed_at: str | None = None
    modified_at: str | None = None
    pipeline: str | None = None


@dataclass(slots=True)  # not frozen: frozen dataclasses build ~2x slower, and we build 150,000
class CrmContact:
    crm: str
    kind: str  # contact | lead | organization
    external_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    owner: str | None = None
    created_at: str | None = None
    last_activity_at: str | None = None
    modified_at: str | None = None
    status: str | None = None
    source: str | None = None


@dataclass(slots=True)  # not frozen: frozen dataclasses build ~2x slower, and we build 150,000
class DealState:
    """A deal as stored: the export's values plus what only a history of snapshots can know."""

    external_id: str
    name: str
    stage: str
    stage_key: str | None
    status: str
    value: float | None = None
    currency: str | None = None
    owner: str | None = None
    company: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    created_at: str | None = None
    close_date: str | None = None
    closed_at: str | None = None
    last_activity_at: str | None = None
    next_activity_at: str | None = None
    next_step: str | None = None
    stage_since: str | None = None
    modified_at: str | None = None
    pipeline: str | None = None
    quiet_since: str | None = None
    present: bool = True


@dataclass(frozen=True)
class Snapshot:
    id: int
    crm: str
    object: str
    layout: str
    file_name: str
    sha256: str
    as_of: str
    as_of_source: str
    imported_at: str
    rows: int
    events: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class DealRow:
    """A deal as pages and `opsys pipeline` show it, with the intake lead it is linked to."""

    crm: str
    state: DealState
    lead_contact_id: int | None
    link_rule: str | None


@dataclass(frozen=True)
class LeadDeal:
    """An intake lead and the CRM deal linked to it: one record across both systems."""

    contact_id: int
    lead_name: str | None
    lead_email: str | None
    best_score: int | None
    first_received: str | None
    crm: str
    deal_id: str
    deal_name: str
    stage: str
    status: str
    value: float | None
    link_rule: str | None
