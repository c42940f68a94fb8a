"""Read a business document dropped in the inbox: an invoice, a timesheet or a measurement sheet.

CSV exports are recognised by their header row, as CRM exports are: QuickBooks Online, Xero,
FreshBooks and Harvest invoices; Harvest, Toggl Track and Clockify timesheets; take-offs with
Item / Quantity / Unit / Job columns (also as .xlsx). PDF invoices are read from their text layer.
A layout is one module that calls `spec.register`; the readers per file type are in `_READERS`.
"""

from __future__ import annotations

from collections.abc import Callable

from opsys.sources.crm.reader import Table, read_table
from opsys.sources.documents import clockify, freshbooks, harvest, quickbooks, takeoff, toggl, xero  # noqa: F401
from opsys.sources.documents.columns import find_columns, has_field, header_key, matched_fields, signature_hits
from opsys.sources.documents.invoices import invoices_from_table
from opsys.sources.documents.measurements import lines_from_table, xlsx_rows
from opsys.sources.documents.spec import LAYOUTS, DocumentFile, DocumentFormatError, DocumentSpec, register
from opsys.sources.documents.timesheets import entries_from_table
from opsys.sources.errors import SourceError

__all__ = ["DOCUMENT_SUFFIXES", "LAYOUTS", "DocumentFile", "DocumentFormatError", "DocumentSpec", "detect_layout",
           "is_document", "read_document", "register"]

_FIX_UNKNOWN = ("export invoices from QuickBooks Online, Xero, FreshBooks or Harvest and timesheets from Harvest, "
                "Toggl Track or Clockify as CSV; a measurement sheet needs the columns Item, Quantity, Unit and Job")
_PREAMBLE_KEYS = {"job": "job", "jobno": "job", "jobnumber": "job", "jobname": "job", "project": "job", "site": "job",
                  "client": "client", "customer": "client", "invoice": "invoice", "invoiceno": "invoice",
                  "invoicenumber": "invoice"}
_HEADER_SEARCH = 15  # rows a title block above the header may take (QuickBooks reports, take-off sheets)


def read_document(data: bytes, name: str, slash_dates: str = "month_first") -> DocumentFile:
    """Every record in one document file, chosen by suffix then by header; raises SourceError saying the fix."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    reader = _READERS.get(suffix)
    if reader is None:
        raise SourceError(name, f"'.{suffix}' is not a document type opsys reads" if suffix else "no suffix",
                          f"save it as one of {', '.join('.' + s for s in _READERS)}")
    return reader(data, name, slash_dates)


def _read_csv(data: bytes, name: str, slash_dates: str) -> DocumentFile:
    table = read_table(data, name)
    first = (table.line_of_row[0] - 1) if table.line_of_row else 1
    return _read_rows([table.headers] + table.rows, [first] + table.line_of_row, name, slash_dates, table.warnings)


def _read_xlsx(data: bytes, name: str, slash_dates: str) -> DocumentFile:
    rows = xlsx_rows(data, name)
    lines = list(range(1, len(rows) + 1))
    keep = [i for i, r in enumerate(rows) if "".join(r).strip()]
    return _read_rows([rows[i] for i in keep], [lines[i] for i in keep], name, slash_dates, [])


def _read_pdf(data: bytes, name: str, slash_dates: str) -> DocumentFile:
    from opsys.sources.documents.pdf import read_pdf_invoice

    return read_pdf_invoice(data, name, slash_dates)


_READERS: dict[str, Callable[[bytes, str, str], DocumentFile]] = {
    "csv": _read_csv, "tsv": _read_csv, "txt": _read_csv, "xlsx": _read_xlsx, "xlsm": _read_xlsx, "pdf": _read_pdf,
}
DOCUMENT_SUFFIXES: tuple[str, ...] = tuple("." + s for s in _READERS)


_ALWAYS_DOCUMENTS = (".pdf", ".xlsx", ".xlsm")  # no lead arrives as these
_CSV_SNIFF_BYTES = 65536
_TOOL_HEADERS = 2  # headers only one invoicing or time tool writes (InvoiceNumber, Hours Rounded ...)


def is_document(data: bytes, name: str) -> bool:
    """Whether a dropped file is a business document: a PDF or workbook, or a CSV whose header row (or a
    row under a title block) is a known invoice, timesheet or take-off layout with its required columns.
    So is a CSV with two or more headers only one tool's export writes, though a column is missing (its
    reader then names it). Anything else (a lead list) is not; an unreadable CSV is left to the lead reader."""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix in _ALWAYS_DOCUMENTS:
        return True
    if suffix not in (".csv", ".tsv"):
        return False
    head = data[:_CSV_SNIFF_BYTES]
    if len(data) > _CSV_SNIFF_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n")]
    try:
        table = read_table(head, name)
    except SourceError:
        return False
    for row in ([table.headers] + table.rows)[:_HEADER_SEARCH]:
        cells = [" ".join(c.replace("\ufeff", "").split()) for c in row if c.strip()]
        found = detect_layout(cells)
        if found is None:
            continue
        spec, keys = found[1], {header_key(c) for c in cells}
        durations = [f for f in ("hours", "duration") if f in spec.columns]
        if all(has_field(spec, f, cells, keys) for f in spec.required) and (
                spec.kind != "timesheet" or any(has_field(spec, f, cells, keys) for f in durations)):
            return True
        if spec.kind != "measurement sheet" and signature_hits(spec, cells) >= _TOOL_HEADERS:
            return True  # a tool's own export missing a column: its reader names the column and the fix
    return False


def _read_rows(rows: list[list[str]], lines: list[int], name: str, slash_dates: str,
               warnings: list[str]) -> DocumentFile:
    at, spec = _header_row(rows, name)
    headers = [" ".join(h.replace("\ufeff", "").split()) for h in rows[at]]
    table = Table(headers, rows[at + 1:], lines[at + 1:], list(warnings))
    cols = find_columns(table, spec, name)
    out = DocumentFile(name=name, kind=spec.kind, layout=spec.tool, label=spec.label, warnings=table.warnings)
    if spec.kind == "invoice":
        out.invoices = invoices_from_table(table, spec, cols, name, slash_dates, out.warnings)
    elif spec.kind == "timesheet":
        out.entries = entries_from_table(table, spec, cols, name, slash_dates, out.warnings)
    else:
        out.measurements = lines_from_table(table, spec, cols, name, _preamble(rows[:at]), out.warnings)
    return out


def detect_layout(headers: list[str]) -> tuple[int, DocumentSpec] | None:
    """The registered layout whose own headers the row has most, with its score; None when none fits."""
    best: tuple[int, DocumentSpec] | None = None
    keys = {header_key(h) for h in headers}
    for spec in LAYOUTS:
        hits = signature_hits(spec, headers)
        if hits:
            score = hits * 10 + matched_fields(spec, headers)
        elif spec.kind == "measurement sheet" and all(has_field(spec, f, headers, keys) for f in spec.required):
            score = 1  # Item/Description + Quantity and nothing else known: a plain take-off
        else:
            continue
        if best is None or score > best[0]:
            best = (score, spec)
    return best


def _header_row(rows: list[list[str]], name: str) -> tuple[int, DocumentSpec]:
    """The header row (a title block may stand above it) and its layout; unknown headers name the fix."""
    best: tuple[int, int, DocumentSpec] | None = None
    for i, row in enumerate(rows[:_HEADER_SEARCH]):
        found = detect_layout([c.strip() for c in row if c.strip()])
        if found and (best is None or found[0] > best[0]):
            best = (found[0], i, found[1])
    if best is None:
        head = [c for c in rows[0] if c.strip()] if rows else []
        shown = ", ".join(head[:8]) + (", ..." if len(head) > 8 else "")
        raise DocumentFormatError(name, f"not an invoice, timesheet or measurement sheet layout we recognise "
                                        f"(headers: {shown})", _FIX_UNKNOWN)
    return best[1], best[2]


def _preamble(rows: list[list[str]]) -> dict[str, str]:
    """`Job: 2291 Harbour St` or [`Job`, `2291 Harbour St`] lines above a table."""
    out: dict[str, str] = {}
    for row in rows:
        cells = [c.strip() for c in row if c.strip()]
        if not cells:
            continue
        if ":" in cells[0] and not cells[0].endswith(":"):
            key, value = cells[0].split(":", 1)
        elif len(cells) >= 2:
            key, value = cells[0].rstrip(":"), cells[1]
        else:
            continue
        field = _PREAMBLE_KEYS.get(header_key(key))
        if field and value.strip() and field not in out:
            out[field] = value.strip()
    return out
