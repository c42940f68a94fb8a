"""Documents that disagree: an invoice against its own arithmetic, its timesheet and its measurement sheet.

Pure: records and a tolerance in, `(mismatches, notes)` out; no I/O, no clock. Each mismatch says in
plain words what differs, by how much, and in which two documents ("invoice 1043 bills 14 h for *menu
update*; the timesheet logs 8 h for that task"); a note says what could not be compared and why, so
nothing passes silently. The checks run in the order of `CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opsys.records.documents import (
    DocumentMismatch,
    DocumentRef,
    Invoice,
    InvoiceLine,
    MeasurementLine,
    MismatchKind,
    Severity,
    TimeEntry,
)
from opsys.rules.document_matching import (
    DocumentSet,
    SheetItem,
    match_documents,
    name_key,
    pair_lines,
    sheet_items,
    unit_key,
)

__all__ = ["CHECKS", "DocumentSet", "DocumentTolerance", "check_against_sheets", "check_documents",
           "check_invoice_arithmetic", "match_documents"]

Result = tuple[list[DocumentMismatch], list[str]]


@dataclass(frozen=True)
class DocumentTolerance:
    """How far numbers may differ before it is a mismatch (system_map/ declares it; these are the defaults)."""

    hours: float = 0.25  # Harvest and Clockify round entries to the quarter hour
    quantity_abs: float = 0.01
    quantity_rel: float = 0.01  # take-offs are rounded: 1 % of the measured quantity
    money: float = 0.02  # per compared amount: cent rounding
    money_per_line: float = 0.005  # a sum of n rounded lines may drift n half-cents
    rate_rel: float = 0.005  # a rate derived from amount / hours carries rounding
    name_match: float = 80.0  # 0-100 similarity for an invoice line to be the sheet's task or item
    high_money: float = 500.0  # money at stake from which a mismatch is high severity
    medium_money: float = 50.0
    not_compared: tuple[str, ...] = ("expense", "expenses", "travel", "mileage", "disbursement", "discount",
                                     "deposit", "retainer", "reimbursable", "shipping", "postage")


# --- one invoice's own arithmetic ----------------------------------------------------------------

def check_invoice_arithmetic(invoice: Invoice, tolerance: DocumentTolerance) -> Result:
    """Lines x price = line amount, lines add up to the subtotal, tax is what the rates say, total adds up."""
    out: list[DocumentMismatch] = []
    notes: list[str] = []
    ref = _invoice_ref(invoice)
    n, cur = invoice.number, invoice.currency
    for ln in invoice.lines:
        if ln.quantity is None or ln.unit_price is None or ln.amount is None:
            continue
        expected = round(ln.quantity * ln.unit_price * (1 - (ln.discount_percent or 0) / 100), 2)
        if abs(expected - ln.amount) > tolerance.money:
            disc = f" less {_num(ln.discount_percent)} % discount" if ln.discount_percent else ""
            out.append(_mismatch(
                "line_amount", tolerance,
                f"invoice {n}: *{ln.description}* is {_num(ln.quantity)} x {_money(ln.unit_price, cur)}{disc} = "
                f"{_money(expected, cur)}, but the line says {_money(ln.amount, cur)}",
                (_line_ref(invoice, ln),), ln.amount, expected, cur, ln.description))
    amounts = [ln.amount for ln in invoice.lines if ln.amount is not None]
    lines_sum = round(sum(amounts), 2)
    drift = tolerance.money + tolerance.money_per_line * len(amounts)
    if invoice.subtotal is not None and abs(lines_sum - invoice.subtotal) > drift:
        out.append(_mismatch(
            "subtotal", tolerance,
            f"invoice {n}: its {len(amounts)} lines add up to {_money(lines_sum, cur)}, but the subtotal says "
            f"{_money(invoice.subtotal, cur)}", (ref,), invoice.subtotal, lines_sum, cur))
    base = invoice.subtotal if invoice.subtotal is not None else lines_sum
    taxed = _expected_tax(invoice, base)
    if taxed is not None and invoice.tax is not None and abs(taxed[0] - invoice.tax) > drift:
        out.append(_mismatch(
            "tax", tolerance, f"invoice {n}: tax is {_money(invoice.tax, cur)}, but {taxed[1]} give "
                              f"{_money(taxed[0], cur)}", (ref,), invoice.tax, taxed[0], cur))
    if invoice.total is not None:
        if invoice.tax is None and taxed is None:
            notes.append(f"invoice {n} ({invoice.source}): no tax stated; the total is checked as tax-free")
        tax = invoice.tax if invoice.tax is not None else 0.0
        expected_total = round(base - (invoice.discount or 0) + tax, 2)
        if abs(expected_total - invoice.total) > tolerance.money:
            less = f" - {_money(invoice.discount, cur)} discount" if invoice.discount else ""
            parts = f"{_money(base, cur)}{less}"
            out.append(_mismatch(
                "total", tolerance, f"invoice {n}: {parts} + {_money(tax, cur)} tax = {_money(expected_total, cur)}, "
                                    f"but the total says {_money(invoice.total, cur)}",
                (ref,), invoice.total, expected_total, cur))
    return out, notes


def _expected_tax(invoice: Invoice, base: float) -> tuple[float, str] | None:
    """The tax the invoice's own line taxes or rates give, and how it was worked out; None when it says none."""
    line_taxes = [ln.tax_amount for ln in invoice.lines if ln.tax_amount is not None]
    if line_taxes:
        return round(sum(line_taxes), 2), f"its line taxes ({len(line_taxes)} lines)"
    if invoice.tax_rate is not None:
        taxed_lines = [ln for ln in invoice.lines if ln.tax_rate != 0]  # Harvest: an untaxed line has rate 0
        if len(taxed_lines) == len(invoice.lines):
            taxable = base - (invoice.discount or 0)  # a discount on the whole invoice lowers the taxed base
        else:
            taxable = sum(ln.amount or 0 for ln in taxed_lines)
        how = f"{_num(invoice.tax_rate)} % of {_money(taxable, invoice.currency)}"
        return round(taxable * invoice.tax_rate / 100, 2), how
    rated = [ln for ln in invoice.lines if ln.tax_rate is not None and ln.amount is not None]
    if rated and len(rated) == len(invoice.lines):
        return round(sum((ln.amount or 0) * (ln.tax_rate or 0) / 100 for ln in rated), 2), "the lines' tax rates"
    return None



# --- an invoice against its timesheet and measurement sheet ----------------------------------------

def check_against_sheets(found: DocumentSet, tolerance: DocumentTolerance) -> Result:
    """Billed hours, quantities and prices against the sheet; work not billed; lines the sheet does not have."""
    inv, cur = found.invoice, found.invoice.currency
    items = sheet_items(found)
    if not items:
        return [], []
    out: list[DocumentMismatch] = []
    notes: list[str] = []
    compared = []
    for ln in inv.lines:
        words = set(name_key(f"{ln.description} {ln.item or ''}").split())
        if words & set(tolerance.not_compared):
            notes.append(f"invoice {inv.number}: *{ln.description}* is not work on a sheet; not compared")
        else:
            compared.append(ln)
    pairs = pair_lines(compared, items, tolerance.name_match)
    for ln, it in pairs:
        out += _compare(inv, ln, it, tolerance, notes)
    paired_lines = {id(ln) for ln, _ in pairs}
    paired_items = {id(it) for _, it in pairs}
    for it in items:
        if id(it) in paired_items or it.quantity <= _qty_tol(it, tolerance):
            continue
        money = round(it.quantity * it.rate, 2) if it.rate else None
        what = f"logs {_num(it.quantity)} h for *{it.name}*" if it.kind == "timesheet" else \
            f"has {_num(it.quantity)} {it.unit or ''} of *{it.name}*".replace("  ", " ")
        out.append(_mismatch(
            "missing_line", tolerance,
            f"the {it.kind} {what}; invoice {inv.number} bills nothing for it"
            + (f" ({_money(money, cur)} not billed)" if money else ""),
            (_invoice_ref(inv), _item_ref(it)), 0.0, it.quantity, cur, it.name, money=money))
    for ln in compared:
        if id(ln) in paired_lines:
            continue
        kinds = " or ".join(sorted({it.kind for it in items}))
        out.append(_mismatch(
            "extra_line", tolerance,
            f"invoice {inv.number} bills *{ln.description}*"
            + (f" ({_num(ln.quantity)} {ln.unit or ''}, {_money(ln.amount, cur)})".replace(" ,", ",")
               if ln.quantity is not None else f" ({_money(ln.amount, cur)})")
            + f"; the {kinds} has nothing like it",
            (_line_ref(inv, ln), _item_ref(items[0], lines=False)), ln.quantity, 0.0, cur, ln.description,
            money=abs(ln.amount) if ln.amount is not None else None))
    return out, notes


def _qty_tol(it: SheetItem, tolerance: DocumentTolerance) -> float:
    if it.kind == "timesheet":
        return tolerance.hours
    return max(tolerance.quantity_abs, tolerance.quantity_rel * abs(it.quantity))


def _compare(inv: Invoice, ln: InvoiceLine, it: SheetItem, tolerance: DocumentTolerance,
             notes: list[str]) -> list[DocumentMismatch]:
    out: list[DocumentMismatch] = []
    cur = inv.currency
    refs = (_line_ref(inv, ln), _item_ref(it))
    hours = it.kind == "timesheet"
    if not hours and ln.unit and it.unit and unit_key(ln.unit) != unit_key(it.unit):
        notes.append(f"invoice {inv.number}: *{ln.description}* is billed in {ln.unit} but the measurement sheet "
                     f"counts {it.unit}; quantities not compared")
    elif ln.quantity is not None:
        diff = ln.quantity - it.quantity
        if abs(diff) > _qty_tol(it, tolerance):
            price = ln.unit_price if ln.unit_price is not None else it.rate
            money = round(abs(diff) * price, 2) if price is not None else None
            unit = "h" if hours else (ln.unit or it.unit or "")
            more = "more" if diff > 0 else "less"
            at_stake = f"; {_money(money, cur)} at stake" if money else ""
            if hours:
                text = (f"invoice {inv.number} bills {_num(ln.quantity)} h for *{ln.description}*; the timesheet "
                        f"logs {_num(it.quantity)} h for that task ({_num(abs(diff))} h {more} billed than logged"
                        f"{at_stake})")
            else:
                text = (f"invoice {inv.number} bills {_num(ln.quantity)} {unit} of *{ln.description}*; the "
                        f"measurement sheet{' for job ' + it.ref if it.ref else ''} has {_num(it.quantity)} {unit} "
                        f"({_num(abs(diff))} {unit} {more} billed than measured{at_stake})")
            out.append(_mismatch("hours" if hours else "quantity", tolerance, text, refs, ln.quantity, it.quantity,
                                 cur, ln.description, money=money))
    if ln.unit_price is not None and it.rate is not None:
        gap = ln.unit_price - it.rate
        if abs(gap) > max(tolerance.money, tolerance.rate_rel * abs(it.rate)):
            qty = ln.quantity if ln.quantity is not None else it.quantity
            money = round(abs(gap) * qty, 2)
            per = "h" if hours else (ln.unit or it.unit or "unit")
            source = "the timesheet's billable rate for that task" if hours else "the take-off's agreed rate"
            out.append(_mismatch(
                "unit_price", tolerance,
                f"invoice {inv.number} charges {_money(ln.unit_price, cur)} per {per} for *{ln.description}*; "
                f"{source} is {_money(it.rate, cur)} ({_money(money, cur)} {'over' if gap > 0 else 'under'} "
                f"on {_num(qty)} {per})", refs, ln.unit_price, it.rate, cur, ln.description, money=money))
    return out


# --- all of it ------------------------------------------------------------------------------------

CHECKS: tuple[Callable[[DocumentSet, DocumentTolerance], Result], ...] = (
    lambda s, t: check_invoice_arithmetic(s.invoice, t),
    check_against_sheets,
)


def check_documents(invoices: Sequence[Invoice], entries: Sequence[TimeEntry],
                    measurements: Sequence[MeasurementLine], tolerance: DocumentTolerance) -> Result:
    """Match the documents, then run every check on each invoice in `CHECKS` order."""
    sets, notes = match_documents(invoices, entries, measurements, tolerance.name_match)
    out: list[DocumentMismatch] = []
    for found in sets:
        for check in CHECKS:
            found_mm, found_notes = check(found, tolerance)
            out += found_mm
            notes += found_notes
    return out, notes


# --- wording and references --------------------------------------------------------------------------

_GAP = -1.0  # money at stake: the gap between the billed and the expected number (arithmetic checks)


def _mismatch(kind: MismatchKind, tolerance: DocumentTolerance, text: str, refs: tuple[DocumentRef, ...],
              billed: float | None, expected: float | None, currency: str | None, subject: str | None = None,
              money: float | None = _GAP) -> DocumentMismatch:
    """A mismatch whose severity follows the money at stake (|billed - expected| unless given)."""
    if money == _GAP:
        money = round(abs((billed or 0) - (expected or 0)), 2)
    return DocumentMismatch(kind=kind, severity=_severity(money, tolerance), explanation=text, documents=refs,
                            billed=billed, expected=expected, money_at_stake=money, currency=currency,
                            subject=subject)


def _severity(money: float | None, tolerance: DocumentTolerance) -> Severity:
    if money is None:
        return "medium"
    return "high" if money >= tolerance.high_money else "medium" if money >= tolerance.medium_money else "low"


def _invoice_ref(inv: Invoice) -> DocumentRef:
    return DocumentRef("invoice", inv.source, inv.number)


def _line_ref(inv: Invoice, ln: InvoiceLine) -> DocumentRef:
    return DocumentRef("invoice", inv.source, inv.number, (ln.line,) if ln.line else ())


def _item_ref(it: SheetItem, lines: bool = True) -> DocumentRef:
    return DocumentRef(it.kind, it.source, it.ref, tuple(sorted(it.lines)) if lines else ())  # type: ignore[arg-type]


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{round(v, 2):,.2f}".rstrip("0").rstrip(".") if round(v, 2) != int(round(v, 2)) else f"{int(round(v)):,}"


def _money(v: float | None, currency: str | None) -> str:
    if v is None:
        return "?"
    return f"{v:,.2f} {currency}" if currency else f"{v:,.2f}"
