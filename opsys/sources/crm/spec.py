"""What a CRM export layout looks like (FormatSpec) and what reading one gives (CrmExport)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from opsys.sources.errors import SourceError
from opsys.records.crm import CrmContact, CrmDeal

CrmObject = Literal["deals", "contacts", "organizations"]


@dataclass(frozen=True)
class FormatSpec:
    """One export layout: which headers identify it and which header holds each of our fields."""

    crm: str
    object: CrmObject
    label: str  # "HubSpot deals export", as error messages name it
    signature: tuple[str, ...]  # any one of these headers marks the layout (the best-matching layout wins)
    columns: dict[str, tuple[str, ...]]  # our field -> header spellings, best first
    required: tuple[str, ...]
    contact_kind: str = "contact"  # what a contacts row is in this CRM: contact | lead | organization


@dataclass
class CrmExport:
    """One export file, read: its layout, rows as records, and when it was last modified inside."""

    name: str
    spec: FormatSpec
    deals: list[CrmDeal] = field(default_factory=list)
    contacts: list[CrmContact] = field(default_factory=list)
    newest_modified: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def crm(self) -> str:
        return self.spec.crm

    @property
    def object(self) -> str:
        return self.spec.object

    @property
    def rows(self) -> int:
        return len(self.deals) + len(self.contacts)


class CrmFormatError(SourceError):
    """An export we cannot read: names the file, the column and the layout it was taken for."""
