"""Which documents belong together, and which invoice line is which task or item.

An invoice is paired with the time entries and measured items it bills: by invoice number when the
sheet names it, else by client and project or job (names equal but for case, punctuation, a typo, a
legal suffix or an added code or date). Within a pair, lines meet tasks and items by their words.
Pure, like the checks that use it (`document_checks.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from opsys.records.documents import Invoice, InvoiceLine, MeasurementLine, TimeEntry


@dataclass
class DocumentSet:
    """One invoice and the sheets it is checked against, with how they were matched."""

    invoice: Invoice
    entries: list[TimeEntry] = field(default_factory=list)
    measurements: list[MeasurementLine] = field(default_factory=list)
    matched_by: str = ""


_LEGAL = re.compile(r"\b(ltd|llc|inc|gmbh|bv|sarl|sas|plc|pty|co|corp|limited|company)\b")


def name_key(text: str | None) -> str:
    """`Menu-Update`, `menu update ` and `MENU UPDATE` compare equal."""
    return " ".join(re.sub(r"[\W_]+", " ", (text or "").casefold()).split())


def number_key(number: str | None) -> str:
    """`INV-01043`, `#1043` and `1043` are the same invoice."""
    k = re.sub(r"[\W_]+", "", (number or "").casefold())
    k = re.sub(r"^(invoice|inv|no|nr)", "", k)
    return k.lstrip("0") or k


_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
           "february", "march", "april", "june", "july", "august", "september", "october", "november", "december"}


def _tokens(text: str | None, client: bool) -> list[str]:
    """Words, with codes kept whole (`p-204`, `j/1187`)."""
    words = re.findall(r"\w+(?:[-/.]\w+)*", (text or "").casefold())
    return [w for w in words if not (client and _LEGAL.fullmatch(w))]


def _typo(ta: list[str], tb: list[str]) -> bool:
    """The same words but for a typo in a long one: `Websit refresh` is `Website refresh`; a short word or a
    number differs for real (`Phase 1`/`Phase 2`, `east`/`west`, `Unit 4`/`Unit 5` are other jobs)."""
    if len(ta) != len(tb):
        return False
    typos = 0
    for a, b in zip(ta, tb):
        if a == b:
            continue
        if min(len(a), len(b)) < 5 or any(c.isdigit() for c in a + b) or fuzz.ratio(a, b) < 80:
            return False
        typos += 1
    return typos <= 1


def _same_name(a: str | None, b: str | None, client: bool = False) -> bool:
    """Same client or project: equal but for case, punctuation, a typo, a legal suffix, or a code or date
    added (`P-204 Website refresh`, `Website refresh - March 2026`); `Retainer Website refresh` is another."""
    ka, kb = name_key(a), name_key(b)
    if client:
        ka, kb = " ".join(_LEGAL.sub(" ", ka).split()), " ".join(_LEGAL.sub(" ", kb).split())
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    if _typo(ka.split(), kb.split()):
        return True
    ta, tb = _tokens(a, client), _tokens(b, client)
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    extra = list(long_)
    for t in short:
        if t not in extra:
            return False
        extra.remove(t)
    return all(any(c.isdigit() for c in t) or t in _MONTHS for t in extra)


def match_documents(invoices: Sequence[Invoice], entries: Sequence[TimeEntry],
                    measurements: Sequence[MeasurementLine], name_match: float = 80.0,
                    ) -> tuple[list[DocumentSet], list[str]]:
    """Pair each invoice with its sheets: by invoice number first, else by client and job/project."""
    notes: list[str] = []
    billable = [e for e in entries if e.billable is not False]
    by_number: dict[str, list[TimeEntry]] = {}
    for e in billable:
        if e.invoice:
            by_number.setdefault(number_key(e.invoice), []).append(e)
    sheet_by_number: dict[str, list[MeasurementLine]] = {}
    for m in measurements:
        if m.invoice:
            sheet_by_number.setdefault(number_key(m.invoice), []).append(m)
    free = [e for e in billable if not e.invoice]
    free_sheet = [m for m in measurements if not m.invoice]
    windows = _billing_windows(invoices)
    sets: list[DocumentSet] = []
    for inv in invoices:
        key = number_key(inv.number)
        found = DocumentSet(inv)
        if key in by_number or key in sheet_by_number:
            found.entries = by_number.get(key, [])
            found.measurements = sheet_by_number.get(key, [])
            found.matched_by = "invoice number"
        else:
            start, end = windows.get(id(inv), (None, None))
            found.entries = [e for e in free if _for_invoice(inv, e.client, e.project)
                             and (start is None or (e.date or "") > start) and (end is None or (e.date or "") <= end)]
            found.measurements = [m for m in free_sheet if _for_invoice(inv, m.client, m.job)]
            found.matched_by = "client and project" if found.entries or found.measurements else ""
            if not inv.project and (found.entries or found.measurements):
                _pick_project(found, notes, name_match)
        if not found.entries and not found.measurements:
            notes.append(f"invoice {inv.number} ({inv.source}): no timesheet or measurement sheet for client "
                         f"{inv.client or '?'!r}, project {inv.project or '?'!r}; only its own arithmetic was checked")
        sets.append(found)
    return sets, notes


def _pick_project(found: DocumentSet, notes: list[str], name_match: float) -> None:
    """An invoice naming no project, for a client with several: keep the project whose tasks its lines bill."""
    groups: dict[str, tuple[list[TimeEntry], list[MeasurementLine]]] = {}
    for e in found.entries:
        groups.setdefault(name_key(e.project), ([], []))[0].append(e)
    for m in found.measurements:
        groups.setdefault(name_key(m.job), ([], []))[1].append(m)
    if len(groups) < 2:
        return

    def billed(group: tuple[list[TimeEntry], list[MeasurementLine]]) -> int:
        items = sheet_items(DocumentSet(found.invoice, group[0], group[1]))
        return len(pair_lines(found.invoice.lines, items, name_match))

    ranked = sorted(groups.values(), key=billed, reverse=True)
    found.entries, found.measurements = ranked[0]
    first = (ranked[0][0][0].project if ranked[0][0] else ranked[0][1][0].job) or "?"
    found.matched_by = "client, and the project whose work the lines bill"
    notes.append(f"invoice {found.invoice.number} names no project and client {found.invoice.client!r} has "
                 f"{len(groups)}; compared with {first!r}, whose tasks its lines bill")


def belongs_to(inv: Invoice, client: str | None, project: str | None) -> bool:
    """Whether a sheet's client and job/project are the invoice's (intake asks it to find what a new sheet touches)."""
    return _for_invoice(inv, client, project)


def _for_invoice(inv: Invoice, client: str | None, project: str | None) -> bool:
    """Same project or job, and the same client when both name one; an invoice naming no project, by client."""
    if not inv.project:
        return _same_name(inv.client, client, client=True)
    if not _same_name(inv.project, project):
        return False
    return not (inv.client and client) or _same_name(inv.client, client, client=True)


def _billing_windows(invoices: Sequence[Invoice]) -> dict[int, tuple[str | None, str | None]]:
    """Invoices of one client and project bill the time after the previous one's date, up to their own."""
    groups: dict[tuple[str, str], list[Invoice]] = {}
    for inv in invoices:
        groups.setdefault((name_key(inv.client), name_key(inv.project)), []).append(inv)
    out: dict[int, tuple[str | None, str | None]] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        dated = sorted((i for i in group if i.issued), key=lambda i: i.issued or "")
        previous: str | None = None
        for inv in dated:
            start = (inv.period_start and _day_before(inv.period_start)) or previous
            out[id(inv)] = start, inv.period_end or inv.issued
            previous = inv.issued
    return out


def _day_before(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day[:10]) - timedelta(days=1)).isoformat()


@dataclass
class SheetItem:
    """A task's hours summed over a timesheet, or an item's quantity summed over a measurement sheet."""

    kind: str  # "timesheet" | "measurement sheet"
    name: str
    quantity: float
    unit: str | None
    rate: float | None
    source: str
    ref: str | None
    lines: list[int]


_HOUR_UNITS = {"h", "hr", "hrs", "hour", "hours", "std", "uur", "heures"}
_UNIT_ALIASES = {"sqm": "m2", "sq m": "m2", "m^2": "m2", "sq ft": "ft2", "sqft": "ft2", "lm": "m", "lin m": "m",
                 "ea": "each", "no": "each", "nr": "each", "pcs": "each", "pc": "each", "unit": "each",
                 "units": "each", "cum": "m3", "cu m": "m3", "m^3": "m3"}


def unit_key(u: str | None) -> str | None:
    if not u:
        return None
    k = " ".join(u.casefold().replace("²", "2").replace("³", "3").replace(".", "").split())
    return "h" if k in _HOUR_UNITS else _UNIT_ALIASES.get(k, k)


def sheet_items(found: DocumentSet) -> list[SheetItem]:
    items: dict[tuple[str, str], SheetItem] = {}
    money: dict[tuple[str, str], tuple[float, float]] = {}
    for e in found.entries:
        name = e.task or e.project or "time"
        k = ("timesheet", name_key(name))
        it = items.setdefault(k, SheetItem("timesheet", name, 0.0, "h", None, e.source, e.project, []))
        it.quantity += e.hours
        it.lines += [e.line] if e.line else []
        paid, hrs = money.get(k, (0.0, 0.0))
        money[k] = (paid + e.hours * e.billable_rate, hrs + e.hours) if e.billable_rate else (float("nan"), hrs)
    for m in found.measurements:
        k = ("measurement sheet", name_key(m.item) + "|" + (unit_key(m.unit) or ""))
        it = items.setdefault(k, SheetItem("measurement sheet", m.item, 0.0, m.unit, m.rate, m.source, m.job, []))
        it.quantity += m.quantity
        it.lines += [m.line] if m.line else []
    for k, (paid, hrs) in money.items():
        if hrs and paid == paid:  # nan when some entry had no rate: no rate to compare then
            items[k].rate = round(paid / hrs, 4)
    for it in items.values():
        it.quantity = round(it.quantity, 4)
    return list(items.values())


def _compatible(ln: InvoiceLine, it: SheetItem) -> bool:
    u = unit_key(ln.unit)
    if it.kind == "timesheet":
        return u in (None, "h")
    return u != "h" or unit_key(it.unit) == "h"


def pair_lines(lines: list[InvoiceLine], items: list[SheetItem],
               threshold: float) -> list[tuple[InvoiceLine, SheetItem]]:
    """Each line with the task or item its words match best (one to one), above the threshold."""
    scored = []
    for i, ln in enumerate(lines):
        text = name_key(f"{ln.description} {ln.item or ''}")
        for j, it in enumerate(items):
            if not _compatible(ln, it):
                continue
            name = name_key(it.name)
            score = fuzz.token_set_ratio(text, name)
            if score >= threshold:
                scored.append((score, fuzz.ratio(text, name), -i, -j))
    scored.sort(reverse=True)
    used_l: set[int] = set()
    used_i: set[int] = set()
    pairs = []
    for _, _, ni, nj in scored:
        if -ni in used_l or -nj in used_i:
            continue
        used_l.add(-ni)
        used_i.add(-nj)
        pairs.append((lines[-ni], items[-nj]))
    return pairs
