"""Business documents as plain records: invoices, timesheet entries, measurement-sheet lines, and a
mismatch between two of them. sources/documents builds them, rules/document_checks compares them,
the founder page shows the mismatches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DocumentKind = Literal["invoice", "timesheet", "measurement sheet"]
MismatchKind = Literal[
    "hours",        # billed hours differ from the logged hours for that task
    "quantity",     # billed quantity differs from the measured quantity for that item
    "unit_price",   # billed price per unit differs from the timesheet rate or the take-off rate
    "line_amount",  # quantity x unit price (less discount) is not the line's amount
    "subtotal",     # the lines do not add up to the invoice's subtotal
    "tax",          # the tax on the invoice is not the sum of its line taxes, or not rate x base
    "total",        # subtotal - discount + tax is not the invoice's total
    "missing_line",  # the sheet has work or an item the invoice does not bill
    "extra_line",   # the invoice bills something the sheet does not have
]
Severity = Literal["high", "medium", "low"]


@dataclass(slots=True)
class InvoiceLine:
    description: str
    quantity: float | None = None
    unit: str | None = None  # "h", "m2", "each" ... as the invoice writes it
    unit_price: float | None = None
    amount: float | None = None  # the line total before tax, as the invoice states it
    item: str | None = None  # product/service code or kind ("Service", "Product")
    discount_percent: float | None = None
    tax_amount: float | None = None
    tax_rate: float | None = None  # percent, when the line says it (e.g. Xero "20% (VAT on Income)")
    line: int | None = None  # line of the source file (CSV line, or PDF text line)


@dataclass(slots=True)
class Invoice:
    number: str
    client: str | None = None
    project: str | None = None  # job or project the invoice is for, when the document says it
    issued: str | None = None  # ISO date
    currency: str | None = None
    lines: list[InvoiceLine] = field(default_factory=list)
    subtotal: float | None = None
    discount: float | None = None  # invoice-level discount amount
    tax: float | None = None
    tax_rate: float | None = None  # invoice-level percent (Harvest's "tax")
    total: float | None = None
    period_start: str | None = None
    period_end: str | None = None
    source: str = ""  # file name
    layout: str = ""  # "xero", "quickbooks", "freshbooks", "harvest", "pdf"


@dataclass(slots=True)
class TimeEntry:
    date: str | None
    person: str | None
    client: str | None
    project: str | None
    task: str | None
    hours: float
    billable_rate: float | None = None
    billable: bool | None = None
    notes: str | None = None
    invoice: str | None = None  # the invoice this entry was billed on, when the export says so
    currency: str | None = None
    source: str = ""
    line: int | None = None
    layout: str = ""  # "harvest", "toggl", "clockify"


@dataclass(slots=True)
class MeasurementLine:
    job: str | None
    item: str
    quantity: float
    unit: str | None = None
    rate: float | None = None  # a priced take-off (bill of quantities) states the agreed rate
    client: str | None = None
    invoice: str | None = None
    source: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """Where a compared number comes from: the document, its reference and the source lines."""

    kind: DocumentKind
    name: str  # file name
    ref: str | None = None  # invoice number, or the job/project of a sheet
    lines: tuple[int, ...] = ()

    def __str__(self) -> str:
        what = f"{self.kind} {self.ref}" if self.ref else self.kind
        where = f" line{'s' if len(self.lines) > 1 else ''} {', '.join(map(str, self.lines))}" if self.lines else ""
        return f"{what} ({self.name}{where})"


@dataclass(slots=True)
class DocumentMismatch:
    kind: MismatchKind
    severity: Severity
    explanation: str  # plain words, for the founder: what differs, by how much, in which documents
    documents: tuple[DocumentRef, ...]  # the invoice first, then the sheet it was compared with (if any)
    billed: float | None  # the number the invoice states
    expected: float | None  # the number the other document (or the invoice's own arithmetic) gives
    money_at_stake: float | None  # absolute, in `currency`
    currency: str | None = None
    subject: str | None = None  # the task, item or line the mismatch is about
