"""Document files in the tools' real export layouts, written for one test each: Xero invoice export,
Harvest detailed time report, a take-off workbook (openpyxl), and a PDF invoice with a text layer."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("make_fixtures", make_fixtures)  # its dataclasses look their module up by name
_spec.loader.exec_module(make_fixtures)  # type: ignore[union-attr]
XERO_HEADER = make_fixtures.XERO_HEADER
pdf_bytes = make_fixtures._pdf  # a one-page PDF written by hand, text in Helvetica

HARVEST_HEADER = ["Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded", "Billable?",
                  "Invoiced?", "Approved?", "First Name", "Last Name", "Roles", "Employee?", "Billable Rate",
                  "Billable Amount", "Cost Rate", "Cost Amount", "Currency", "External Reference URL"]


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def xero_invoice(number: str, client: str, project: str, lines: list[tuple[str, float, float]], *,
                 tax_rate: float = 20.0, amounts: dict[int, float] | None = None, tax_total: float | None = None,
                 total: float | None = None) -> bytes:
    """Xero's Business > Invoices > Export CSV; `amounts` overrides a line's LineAmount (a planted error)."""
    amounts = amounts or {}
    values = [amounts.get(i, round(q * p, 2)) for i, (_, q, p) in enumerate(lines)]
    line_tax = [round(v * tax_rate / 100, 2) for v in values]
    tax = round(sum(line_tax), 2) if tax_total is None else tax_total
    grand = round(sum(values) + tax, 2) if total is None else total
    rows = []
    for (name, qty, price), value, lt in zip(lines, values, line_tax):
        rows.append([client, "accounts@example.test", "12 High St", "", "", "", "Bristol", "", "BS1 4DJ", "GB",
                     "", "", "", "", "", "", "", "", number, project, "15/03/2026", "14/04/2026", "",
                     f"{grand:.2f}", f"{tax:.2f}", "0.00", f"{grand:.2f}", "", name, f"{qty:g}", f"{price:.2f}", "",
                     f"{value:.2f}", "200", f"{tax_rate:g}% (VAT on Income)", f"{lt:.2f}", "", "", "", "", "GBP",
                     "Sales invoice", "Sent", "Awaiting Payment"])
    return _csv(XERO_HEADER, rows)


def harvest_time(client: str, project: str, tasks: list[tuple[str, list[float]]], rate: float = 75.0) -> bytes:
    """Harvest's Reports > Detailed time > Export CSV: one row per entry, in March 2026."""
    rows, day = [], 2
    for task, hours in tasks:
        for h in hours:
            rows.append([f"2026-03-{day:02d}", client, project, "P-043", task, f"{task} work", f"{h:g}", f"{h:g}",
                         "Yes", "No", "Yes", "Hugo", "Bernard", "Designer", "Yes", f"{rate:.2f}",
                         f"{h * rate:.2f}", "45.00", f"{h * 45:.2f}", "British Pound - GBP", ""])
            day += 1
    return _csv(HARVEST_HEADER, rows)


def takeoff_xlsx(job: str, items: list[tuple[str, float, str]]) -> bytes:
    """A take-off workbook as estimators keep it: a title block with `Job:`, then Item / Quantity / Unit."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Take-off"
    sheet.append(["Quantity take-off"])
    sheet.append(["Job:", job])
    sheet.append([])
    sheet.append(["Item", "Measured Qty", "Unit", "Notes"])
    for name, qty, unit in items:
        sheet.append([name, qty, unit, "measured on site"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def pdf_invoice(number: str, client: str, project: str, lines: list[tuple[str, float, float]],
                tax_rate: float = 20.0) -> bytes:
    """A PDF invoice with labels, a Description / Qty / Unit / Rate / Amount table and VAT."""
    sub = round(sum(q * p for _, q, p in lines), 2)
    tax = round(sub * tax_rate / 100, 2)
    cells = [(50, 800, "Northlight Studio Ltd", True), (420, 800, "INVOICE", True),
             (50, 770, f"Invoice No: {number}", False), (50, 758, "Date: 2026-03-15", False),
             (50, 746, f"Bill To: {client}", False), (50, 734, f"Project: {project}", False),
             (50, 700, "Description", True), (300, 700, "Qty", True), (350, 700, "Unit", True),
             (400, 700, "Rate", True), (480, 700, "Amount", True)]
    y = 686
    for name, qty, price in lines:
        cells += [(50, y, name, False), (300, y, f"{qty:g}", False), (350, y, "h", False),
                  (400, y, f"£{price:,.2f}", False), (480, y, f"£{qty * price:,.2f}", False)]
        y -= 14
    cells += [(400, y - 20, "Subtotal", False), (480, y - 20, f"£{sub:,.2f}", False),
              (400, y - 34, f"VAT {tax_rate:g}%", False), (480, y - 34, f"£{tax:,.2f}", False),
              (400, y - 48, "Total", True), (480, y - 48, f"£{sub + tax:,.2f}", True)]
    return pdf_bytes(cells)
