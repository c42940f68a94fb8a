"""Invoice exports (one row per invoice line) -> Invoice records, grouped by invoice number in file order.

Invoice-level values (client, date, tax, total) are repeated on every line by Xero and QuickBooks and
given once by others: the first non-empty value wins, and a different later one is a warning.
"""

from __future__ import annotations

from opsys.records.documents import Invoice, InvoiceLine
from opsys.sources.crm.reader import DateReader, Table, parse_flag, slash_order
from opsys.sources.documents.columns import Columns, currency_code, number, percent, quantity_and_unit
from opsys.sources.documents.spec import DocumentFormatError, DocumentSpec

_HEAD_TEXT = ("client", "project", "subject", "currency")
_HEAD_DATES = ("issued", "period_start", "period_end")
_HEAD_MONEY = ("subtotal", "discount", "tax", "tax2", "total")


def invoices_from_table(table: Table, spec: DocumentSpec, cols: Columns, name: str, slash_dates: str,
                        warnings: list[str]) -> list[Invoice]:
    """Every invoice in the file, its lines in file order; rows without a number belong to the one above."""
    dates = DateReader(slash_order(_samples(table, cols), slash_dates))
    heads: dict[str, dict[str, str]] = {}
    invoices: dict[str, Invoice] = {}
    current: str | None = None
    for row, line in zip(table.rows, table.line_of_row):
        v = cols.pick(row)
        number_text = v.get("number")
        if number_text:
            current = number_text[:-2] if number_text.endswith(".0") and number_text[:-2].isdigit() else number_text
        if current is None:
            warnings.append(f"{name} line {line}: no invoice number above this row; skipped")
            continue
        head = heads.setdefault(current, {})
        for f in _HEAD_TEXT + _HEAD_DATES + _HEAD_MONEY + ("tax_rate",):
            if f in v:
                if f not in head:
                    head[f] = v[f]
                elif head[f] != v[f] and len(warnings) < 50:
                    warnings.append(f"{name} line {line}: invoice {current} {f.replace('_', ' ')} {v[f]!r} "
                                    f"differs from {head[f]!r} above; the first is kept")
        inv = invoices.setdefault(current, Invoice(number=current, source=name, layout=spec.tool))
        if (ln := _line(v, line)) is not None:
            inv.lines.append(ln)
    for num, inv in invoices.items():
        _head(inv, heads[num], dates, cols)
    if not invoices:
        raise DocumentFormatError(name, f"no invoice lines with a {spec.columns['number'][0]!r} in this {spec.label}",
                                  spec.fix or "export the invoices again", field=spec.columns["number"][0])
    return list(invoices.values())


def _line(v: dict[str, str], line: int) -> InvoiceLine | None:
    qty, unit = quantity_and_unit(v.get("quantity"))
    amount = number(v.get("amount"))
    description = v.get("description") or v.get("item") or ""
    if amount is None and qty is None and not description:
        return None
    taxes = [t for t in (number(v.get("line_tax")), number(v.get("line_tax2"))) if t is not None]
    return InvoiceLine(
        description=description, quantity=qty, unit=v.get("unit") or unit, unit_price=number(v.get("unit_price")),
        amount=amount, item=v.get("item") if v.get("description") else None,
        discount_percent=percent(v["discount_percent"]) if v.get("discount_percent") else None,
        tax_amount=sum(taxes) if taxes else None,
        tax_rate=0.0 if parse_flag(v.get("taxed", "yes")) is False else percent(v.get("line_tax_rate")),
        line=line,
    )


def _head(inv: Invoice, head: dict[str, str], dates: DateReader, cols: Columns) -> None:
    inv.client = head.get("client")
    inv.project = head.get("project") or head.get("subject")
    if inv.client and ":" in inv.client and not inv.project:  # QuickBooks writes a project as Customer:Project
        inv.client, inv.project = (p.strip() for p in inv.client.split(":", 1))
    inv.issued, inv.period_start, inv.period_end = (day(dates, head.get(f)) for f in _HEAD_DATES)
    money = {f: number(head.get(f)) for f in _HEAD_MONEY}
    inv.subtotal, inv.discount, inv.total = money["subtotal"], money["discount"], money["total"]
    taxes = [t for t in (money["tax"], money["tax2"]) if t is not None]
    inv.tax = sum(taxes) if taxes else None
    inv.tax_rate = percent(head.get("tax_rate"))
    inv.currency = currency_code(head.get("currency")) or cols.header_currency or _symbol_currency(head)


def day(dates: DateReader, text: str | None) -> str | None:
    """The ISO day of a date cell, or None."""
    when = dates(text) if text else None
    return when[:10] if when else None


def _symbol_currency(head: dict[str, str]) -> str | None:
    from opsys.sources.crm.reader import parse_money

    for f in ("total", "subtotal", "tax"):
        if head.get(f) and (code := parse_money(head[f])[1]):
            return code
    return None


def _samples(table: Table, cols: Columns) -> list[str]:
    idx = [i for f in _HEAD_DATES for i in cols.index.get(f, [])]
    return [r[i] for r in table.rows[:2000] for i in idx if i < len(r) and "/" in r[i]]
