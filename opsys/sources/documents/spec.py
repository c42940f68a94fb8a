"""What a document export layout looks like (DocumentSpec), the registry layouts add themselves to,
and what reading a document file gives (DocumentFile)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from opsys.records.documents import Invoice, MeasurementLine, TimeEntry
from opsys.sources.errors import SourceError

LayoutKind = Literal["invoice", "timesheet", "measurement sheet"]


@dataclass(frozen=True)
class DocumentSpec:
    """One export layout: which headers identify it and which header holds each of our fields."""

    tool: str  # "xero", "harvest", ...
    kind: LayoutKind
    label: str  # "Xero invoice export", as error messages name it
    signature: tuple[str, ...]  # headers only this layout writes; any one marks it (the best-matching wins)
    columns: dict[str, tuple[str, ...]]  # our field -> header spellings, best first
    required: tuple[str, ...]
    fix: str = ""  # how to export this layout again, for error messages


@dataclass
class DocumentFile:
    """One document file, read: its layout and the records in it."""

    name: str
    kind: LayoutKind
    layout: str  # the spec's tool, or "pdf"
    label: str
    invoices: list[Invoice] = field(default_factory=list)
    entries: list[TimeEntry] = field(default_factory=list)
    measurements: list[MeasurementLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class DocumentFormatError(SourceError):
    """A document we cannot read: names the file, the column and the layout it was taken for."""


LAYOUTS: list[DocumentSpec] = []


def register(*specs: DocumentSpec) -> None:
    """Add built-in or extra layouts; a layout module calls this once at import."""
    for spec in specs:
        if spec not in LAYOUTS:
            LAYOUTS.append(spec)
