"""Find a layout's columns in a header row and read the values in them: numbers, quantities with a
unit, durations, percents, currencies. Money and dates are the CRM reader's (`parse_money`, `DateReader`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from opsys.sources.crm.reader import Table, parse_money
from opsys.sources.crm.reader import header_key as _header_key
from opsys.sources.documents.spec import DocumentFormatError, DocumentSpec

_CODE = re.compile(r"\b([A-Z]{3})\b")
_IN_PARENS = re.compile(r"\(([A-Z]{3})\)")


@lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    """The CRM reader's header comparison key, cached: detection compares every header with every alias."""
    return _header_key(header)


def header_matches(alias: str, header: str) -> bool:
    """`Amount (*)` matches `Amount (EUR)`; any other alias compares ignoring case, spacing and punctuation."""
    if alias.endswith("(*)"):
        base = header_key(alias[:-3])
        key = header_key(header)
        return key == base or (key.startswith(base) and len(key) == len(base) + 3 and bool(_IN_PARENS.search(header)))
    return header_key(alias) == header_key(header)


def signature_hits(spec: DocumentSpec, headers: list[str]) -> int:
    """How many of the layout's own headers the file has, as written (case aside); `(*)` for a currency code."""
    exact = {h.strip().casefold() for h in headers}
    hits = 0
    for sig in spec.signature:
        if sig.endswith("(*)"):
            hits += any(header_matches(sig, h) for h in headers)
        else:
            hits += sig.casefold() in exact
    return hits


def has_field(spec: DocumentSpec, field: str, headers: list[str], keys: set[str]) -> bool:
    """Whether the headers (and their keys, precomputed) hold one of the field's spellings."""
    return any(header_key(a) in keys if not a.endswith("(*)") else any(header_matches(a, h) for h in headers)
               for a in spec.columns[field])


def matched_fields(spec: DocumentSpec, headers: list[str]) -> int:
    """How many of the layout's fields the headers hold."""
    keys = {header_key(h) for h in headers}
    return sum(1 for f in spec.columns if has_field(spec, f, headers, keys))


@dataclass
class Columns:
    """Column indexes per field, best spelling first, and the currency a header names (`Amount (EUR)`)."""

    index: dict[str, list[int]]
    header_currency: str | None

    def pick(self, row: list[str]) -> dict[str, str]:
        """Our fields from one row: the first non-empty cell among a field's columns, stripped."""
        out: dict[str, str] = {}
        for f, idx in self.index.items():
            for i in idx:
                if i < len(row) and (v := row[i].strip()):
                    out[f] = v
                    break
        return out


def find_columns(table: Table, spec: DocumentSpec, name: str) -> Columns:
    """Where each field is; a missing required column names the file, the column, the layout and the fix."""
    index: dict[str, list[int]] = {}
    currency = None
    for f, alts in spec.columns.items():
        idx: list[int] = []
        for alt in alts:
            for i, h in enumerate(table.headers):
                if i not in idx and header_matches(alt, h):
                    idx.append(i)
                    if alt.endswith("(*)") and (m := _IN_PARENS.search(h)):
                        currency = currency or m.group(1)
        if idx:
            index[f] = idx
    missing = [f for f in spec.required if f not in index]
    if missing:
        f = missing[0]
        raise DocumentFormatError(
            name, f"required column {spec.columns[f][0]!r} ({f.replace('_', ' ')}) is missing; the file was read "
                  f"as a {spec.label}",
            f"{spec.fix or 'export the file again'}; the column is also read under "
            f"{', '.join(repr(a) for a in spec.columns[f])}",
            field=spec.columns[f][0])
    return Columns(index, currency)


# --- values ---------------------------------------------------------------------------------

def number(text: str | None) -> float | None:
    """`1,050.00`, `1.050,00 €`, `(12.50)`, `14 h` -> a float; None when no digits."""
    if not text:
        return None
    value, _ = parse_money(text)
    return value


_QTY_UNIT = re.compile(r"^\s*([-+(]?[\d.,'\s]*\d[\d.,]*\)?)\s*([^\d\s].*)?$")


def quantity_and_unit(text: str | None) -> tuple[float | None, str | None]:
    """`14 h` -> (14.0, 'h'); `12.5 m²` -> (12.5, 'm²'); `3` -> (3.0, None)."""
    if not text:
        return None, None
    m = _QTY_UNIT.match(text)
    if not m:
        return number(text), None
    unit = (m.group(2) or "").strip() or None
    return number(m.group(1)), unit


_HMS = re.compile(r"^(\d+):(\d{2})(?::(\d{2}))?$")
_MIN = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(min|mins|minutes|m)$", re.I)


def hours(text: str | None) -> float | None:
    """Hours from `02:30:00`, `2:30`, `18:25 min`, `2,5` or `2.5`."""
    if not text:
        return None
    s = text.strip()
    if m := _HMS.match(s.split()[0] if s.endswith(("min", "h")) else s):
        h, mnt, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if s.endswith("min"):  # Toggl's short form: "18:25 min" is 18 minutes 25 seconds
            return round((h * 60 + mnt) / 3600, 6)
        return round(h + mnt / 60 + sec / 3600, 6)
    if m := _MIN.match(s):
        return round(float(m.group(1).replace(",", ".")) / 60, 6)
    return number(s)


_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


def percent(text: str | None) -> float | None:
    """`20% (VAT on Income)` -> 20.0; `No VAT`, `Tax Exempt`, `Zero Rated` -> 0.0; `8.5` -> 8.5; else None."""
    if not text:
        return None
    if m := _PERCENT.search(text):
        return float(m.group(1).replace(",", "."))
    low = text.casefold()
    if any(w in low for w in ("no vat", "no gst", "exempt", "zero rated", "tax free", "no tax", "non")):
        return 0.0
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


def currency_code(text: str | None) -> str | None:
    """`EUR`, `Euro - EUR`, `US Dollar - USD`, `$` -> an ISO code."""
    if not text:
        return None
    if m := _CODE.search(text):
        return m.group(1)
    return parse_money(text + " 1")[1]
