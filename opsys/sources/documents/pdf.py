"""PDF invoices by text extraction (pypdf): labelled header fields, a line table, and the totals below it.

Reads the text layer the invoicing tool wrote (Xero, QuickBooks, FreshBooks, Harvest and most others
write one); a scan has none and is refused with that reason, so intake can pass it to the LLM
extractor or the founder instead of trusting a guess.
"""

from __future__ import annotations

import io
import re

from opsys.records.documents import Invoice, InvoiceLine
from opsys.sources.crm.reader import DateReader, parse_money, slash_order
from opsys.sources.documents.columns import number, percent
from opsys.sources.documents.invoices import day
from opsys.sources.documents.spec import DocumentFile, DocumentFormatError
from opsys.sources.errors import SourceError

_FIX = "export the invoice again as PDF from the invoicing tool (not a scan), or drop its CSV export instead"
_MONEY = r"\(?-?(?:[A-Z]{3}\s?)?[$€£¥]?\s?-?\d(?:[\d.,']*\d)?(?:\s?[A-Z]{3})?\)?"
_LABELS: dict[str, re.Pattern[str]] = {
    "number": re.compile(r"^\s*(?:tax\s+)?invoice\s*(?:no\.?|number|nr\.?|#|id)\s*[:.#]?\s*(\S+)", re.I),
    "number_short": re.compile(r"^\s*invoice\s*[:#]\s*(\S+)", re.I),
    "client": re.compile(r"^\s*(?:bill(?:ed)?\s*to|client|customer|invoice\s*to)\s*:?\s*(.*)$", re.I),
    "project": re.compile(r"^\s*(?:project|job(?:\s*(?:no\.?|number|name))?|subject|reference)\s*:\s*(.+)$", re.I),
    "issued": re.compile(r"^\s*(?:invoice\s*date|date\s*(?:of\s*)?issue[d]?|issue\s*date|date)\s*:?\s*(.+)$", re.I),
    "currency": re.compile(r"^\s*currency\s*:?\s*([A-Z]{3})\b", re.I),
}
_TOTALS = {
    "subtotal": re.compile(rf"^\s*sub\s*-?\s*total\b[^\d$€£¥(-]*({_MONEY})\s*$", re.I),
    "discount": re.compile(rf"^\s*discount\b(.*?)\s({_MONEY})\s*$", re.I),
    "tax": re.compile(rf"^\s*(?:total\s+)?(?:tax|vat|gst|hst|pst|sales\s*tax|mwst|btw|iva)\b(.*?)\s({_MONEY})\s*$",
                      re.I),
    "total": re.compile(rf"^\s*(?:invoice\s+)?(?:total(?:\s*(?:due|amount))?|amount\s*due|balance\s*due)"
                        rf"\b[^\d$€£¥(-]*({_MONEY})\s*$", re.I),
}
_ENDS_TABLE = re.compile(r"^\s*(?:sub\s*-?\s*total|total|amount\s*due|balance\s*due)\b", re.I)
_TABLE_HEAD = re.compile(r"\b(?:description|item|service|task)\b.*\b(?:amount|total|line\s*total)\b", re.I)
_LINE = re.compile(rf"^(?P<desc>.+?)\s+(?P<qty>-?\d[\d.,]*)\s*(?P<unit>[A-Za-z][A-Za-z0-9²³/.]{{0,7}})?\s+"
                   rf"(?P<price>{_MONEY})\s+(?P<amount>{_MONEY})$")


def pdf_text(data: bytes, name: str) -> str:
    """The text layer of every page, in reading order; SourceError when it cannot be had."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError as err:  # pragma: no cover - a broken install, not a user's file
        raise SourceError(name, "reading PDF needs the pypdf package", "pip install pypdf") from err
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise SourceError(name, "this is not a PDF file (no %PDF header)", _FIX)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(name, "the PDF is password protected", "save an unprotected copy, or drop the CSV export")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as err:
        raise SourceError(name, f"the PDF cannot be opened ({type(err).__name__}: {err})", _FIX) from None


def read_pdf_invoice(data: bytes, name: str, slash_dates: str = "month_first") -> DocumentFile:
    """One invoice from a PDF's text; missing number or lines is a SourceError naming that field."""
    text = pdf_text(data, name)
    if not text.strip():
        raise SourceError(name, "the PDF has no text layer (a scan or an image)", _FIX, field="text")
    lines = [" ".join(t.split()) for t in text.splitlines()]
    head, head_at = _head_fields(lines)
    if not head.get("number"):
        raise DocumentFormatError(name, "no invoice number found in the PDF text (looked for 'Invoice No:', "
                                        "'Invoice #', 'Invoice number')", _FIX, field="invoice number")
    inv = Invoice(number=head["number"], client=head.get("client"), project=head.get("project"), source=name,
                  layout="pdf")
    dates = DateReader(slash_order([head["issued"]] if head.get("issued") else [], slash_dates))
    inv.issued = day(dates, head.get("issued"))
    currencies: list[str] = [head["currency"].upper()] if head.get("currency") else []
    in_table = False
    taxes: list[tuple[float | None, float | None]] = []
    for i, line in enumerate(lines, start=1):
        if i <= head_at:
            continue
        item = _LINE.match(line) if in_table else None
        found = None if item and not _ENDS_TABLE.match(line) else _total_line(line)
        if found:
            in_table = False  # totals end the table; a second page repeats its header
            field, value, cur, rate = found
            currencies += [cur] if cur else []
            if field == "tax":
                taxes.append((value, rate))
            elif getattr(inv, field) is None:
                setattr(inv, field, abs(value) if field == "discount" and value is not None else value)
        elif not in_table:
            in_table = bool(_TABLE_HEAD.search(line))
        elif m := item:
            price, cur = parse_money(m.group("price"))
            amount, cur2 = parse_money(m.group("amount"))
            currencies += [c for c in (cur, cur2) if c]
            inv.lines.append(InvoiceLine(description=m.group("desc").strip(), quantity=number(m.group("qty")),
                                         unit=m.group("unit"), unit_price=price, amount=amount, line=i))
    if taxes:
        inv.tax = sum(t for t, _ in taxes if t is not None)
        inv.tax_rate = taxes[0][1] if len(taxes) == 1 else None
    if not inv.lines:
        raise DocumentFormatError(name, "no line items found in the PDF text (a table with Description ... Amount "
                                        "columns and rows ending in quantity, price and amount)", _FIX,
                                  field="line items")
    inv.currency = next(iter(currencies), None)
    return DocumentFile(name=name, kind="invoice", layout="pdf", label="PDF invoice", invoices=[inv])


def _head_fields(lines: list[str]) -> tuple[dict[str, str], int]:
    """Labelled fields above the line table, and the index of the table's header line."""
    head: dict[str, str] = {}
    end = len(lines)
    for i, line in enumerate(lines):
        if _TABLE_HEAD.search(line):
            end = i
            break
        for field, rx in _LABELS.items():
            key = "number" if field == "number_short" else field
            if key in head or not (m := rx.match(line)):
                continue
            value = m.group(1).strip()
            if key == "client" and not value and i + 1 < len(lines):
                value = lines[i + 1].strip()  # "Bill To" on its own line, the name below
            if value:
                head[key] = value
            break
    return head, end


def _total_line(line: str) -> tuple[str, float | None, str | None, float | None] | None:
    """(field, value, currency, tax rate) for a subtotal, discount, tax or total line; else None."""
    for field, rx in _TOTALS.items():
        if m := rx.match(line):
            value, cur = parse_money(m.groups()[-1])
            rate = percent(m.group(1)) if field == "tax" and "%" in m.group(1) else None
            return field, value, cur, rate
    return None
