"""Measurement sheets / quantity take-offs -> MeasurementLine records; XLSX sheets become a Table first.

A sheet often names its job once above the table (`Job: 2291 Harbour St`); those `key: value` lines
(or two-cell rows) before the header give the job, client and invoice for every line below.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from opsys.records.documents import MeasurementLine
from opsys.sources.crm.reader import Table
from opsys.sources.documents.columns import Columns, number, quantity_and_unit
from opsys.sources.documents.spec import DocumentFormatError, DocumentSpec
from opsys.sources.errors import SourceError

_FIX_XLSX = "save the sheet again from Excel or LibreOffice as .xlsx (or as CSV), with one header row"


def lines_from_table(table: Table, spec: DocumentSpec, cols: Columns, name: str, preamble: dict[str, str],
                     warnings: list[str]) -> list[MeasurementLine]:
    """Every item with a quantity; the job comes from its column, else the sheet's `Job:` line."""
    job, client, invoice = preamble.get("job"), preamble.get("client"), preamble.get("invoice")
    out: list[MeasurementLine] = []
    for row, line in zip(table.rows, table.line_of_row):
        v = cols.pick(row)
        item = v.get("item")
        qty, unit = quantity_and_unit(v.get("quantity"))
        if not item or qty is None:
            if item and len(warnings) < 50:
                warnings.append(f"{name} line {line}: item {item!r} has no quantity we can read; skipped")
            continue
        if item.casefold().startswith(("total", "subtotal", "sum")):
            continue  # a totals row under the table is not an item
        out.append(MeasurementLine(
            job=v.get("job") or job, item=item, quantity=qty, unit=v.get("unit") or unit,
            rate=number(v.get("rate")), client=v.get("client") or client, invoice=v.get("invoice") or invoice,
            source=name, line=line))
    if not out:
        raise DocumentFormatError(name, "no items with a quantity in this measurement sheet", spec.fix,
                                  field=spec.columns["quantity"][0])
    return out


def xlsx_rows(data: bytes, name: str) -> list[list[str]]:
    """The rows of the first worksheet that has cells, as text (numbers without a trailing .0)."""
    try:
        from openpyxl import load_workbook
    except ImportError as err:  # pragma: no cover - a broken install, not a user's file
        raise SourceError(name, "reading .xlsx needs the openpyxl package", "pip install openpyxl") from err
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError and its own errors for broken files
        raise SourceError(name, f"not an Excel workbook we can open ({type(err).__name__}: {err})", _FIX_XLSX) from None
    try:
        for sheet in book.worksheets:
            rows = [[_cell(c) for c in r] for r in sheet.iter_rows(values_only=True)]
            if any(any(c for c in r) for r in rows):
                return rows
    finally:
        book.close()
    raise SourceError(name, "the workbook has no cells with values", _FIX_XLSX)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return str(value)
