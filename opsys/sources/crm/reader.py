"""A tolerant reader for CRM export CSVs and the values inside them (money, dates, flags).

Real exports arrive as UTF-8 with BOM, Windows-1252 or UTF-16; with `,` `;` or tab; with
quoted newlines, blank rows, duplicate and renamed columns; with amounts like `$12,500.00` or
`12.500,00 €` and dates as ISO, `01/15/2026`, `15.01.2026`, Unix milliseconds or Excel serials.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from opsys.sources.errors import SourceError
from opsys.sources.decoding import decode_text

_DELIMITERS = ",;\t"
FIX_EXPORT = "export the data again from the CRM as CSV, with the header row"
csv.field_size_limit(10 * 1024 * 1024)  # long notes fields are real; the default 128 KB is not enough


@dataclass
class Table:
    """The header row and data rows of a CSV file, blank rows dropped."""

    headers: list[str]
    rows: list[list[str]]
    line_of_row: list[int]
    warnings: list[str] = field(default_factory=list)

    def indexes(self, names: tuple[str, ...]) -> list[int]:
        """Columns whose header is any of `names` (compared ignoring case, spacing and punctuation)."""
        wanted = {header_key(n) for n in names}
        return [i for i, h in enumerate(self.headers) if header_key(h) in wanted]


def header_key(header: str) -> str:
    """`Deal - Owner`, `deal owner` and `DEAL_OWNER` compare equal."""
    return re.sub(r"[\W_]+", "", header.casefold())


def read_table(data: bytes, name: str) -> Table:
    """Decode, sniff the delimiter and split into rows; a broken CSV is a SourceError naming the line."""
    text, warnings = decode_text(data, name, "a CRM export", FIX_EXPORT)
    if not text.strip():
        raise SourceError(name, "the file is empty", FIX_EXPORT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as err:
        raise SourceError(name, f"broken CSV near line {reader.line_num}: {err}",
                          "look for an unclosed quote on that line, or export the file again") from None
    start = next((i for i, r in enumerate(rows) if "".join(r).strip()), None)
    if start is None:
        raise SourceError(name, "the file has no cells with text", FIX_EXPORT)
    headers = [" ".join(h.replace("\ufeff", "").split()) for h in rows[start]]
    body, body_lines = [], []
    for r, ln in zip(rows[start + 1:], lines[start + 1:]):
        if "".join(r).strip():
            body.append(r)
            body_lines.append(ln)
    return Table(headers, body, body_lines, warnings)


def _delimiter(text: str) -> str:
    """The delimiter the header row uses most (exports never mix them in the header)."""
    first = next((line for line in text[:65536].splitlines() if line.strip()), "")
    return max(_DELIMITERS, key=first.count)


# --- values ---------------------------------------------------------------------------------

_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "CHF": "CHF", "US$": "USD", "A$": "AUD",
             "C$": "CAD"}
_CODE = re.compile(r"\b([A-Z]{3})\b")
_NOT_NUMBER = re.compile(r"[^\d,.\-]")


def parse_money(text: str) -> tuple[float | None, str | None]:
    """`$12,500.00` -> (12500.0, 'USD'); `12.500,00 €` -> (12500.0, 'EUR'); `12,5` -> (12.5, None)."""
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not s:
        return None, None
    # longest symbol first: "A$1,200" is AUD, not the "$" inside it
    currency = next((_CURRENCY[sym] for sym in sorted(_CURRENCY, key=len, reverse=True) if sym in s), None)
    if currency is None and (m := _CODE.search(s)):
        currency = m.group(1)
    negative = s.startswith("(") and s.endswith(")")
    num = _NOT_NUMBER.sub("", s.replace(" ", "").replace("'", ""))
    if num.startswith("-"):
        negative, num = True, num[1:]
    num = num.replace("-", "")
    if not num or not any(c.isdigit() for c in num):
        return None, currency
    last_dot, last_comma = num.rfind("."), num.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        tail = len(num) - num.rfind(sep) - 1
        # one separator followed by exactly three digits is a thousands mark (12,500 or 12.500)
        decimal = None if (tail == 3 or num.count(sep) > 1) else sep
    else:
        decimal = None
    if decimal is None:
        clean = num.replace(",", "").replace(".", "")
    else:
        thousands = "," if decimal == "." else "."
        clean = num.replace(thousands, "").replace(decimal, ".")
    try:
        value = float(clean)
    except ValueError:
        return None, currency
    return (-value if negative else value), currency


_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
_SLASH = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2,4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")
_NAMED = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%b %d %Y", "%d-%b-%Y", "%d-%b-%y",
          "%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M %p", "%d %b %Y %H:%M", "%Y/%m/%d", "%Y/%m/%d %H:%M",
          "%Y/%m/%d %H:%M:%S")


def slash_order(values: list[str], default: str) -> str:
    """'day_first' or 'month_first' for a file: a first part over 12 proves day-first, a second proves month-first."""
    for v in values:
        m = _SLASH.match(v.strip())
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b:
            return "day_first"
        if b > 12 >= a:
            return "month_first"
    return default


class DateReader:
    """Reads every date form seen in CRM exports to an ISO string in UTC; caches repeats (exports repeat a lot)."""

    def __init__(self, order: str = "month_first"):
        self.order = order
        self._cache: dict[str, str | None] = {}

    def __call__(self, text: str) -> str | None:
        try:
            return self._cache[text]
        except KeyError:
            pass
        s = text.strip()
        if len(s) >= 10 and s[4] == "-" and s[7] == "-":  # ISO, by far the most common: skip the slow path
            try:
                if len(s) == 10:
                    out: str | None = date.fromisoformat(s).isoformat()
                else:
                    iso = datetime.fromisoformat(s.replace("Z", "+00:00"))
                    out = (iso.replace(tzinfo=UTC) if iso.tzinfo is None else iso.astimezone(UTC)).isoformat(
                        timespec="seconds")
                self._cache[text] = out
                return out
            except ValueError:
                pass
        when = self._parse(s) if s else None
        out = None if when is None else (when.date().isoformat() if _date_only(s, when) else
                                         when.astimezone(UTC).isoformat(timespec="seconds"))
        self._cache[text] = out
        return out

    def _parse(self, s: str) -> datetime | None:
        if re.fullmatch(r"\d{4,6}(\.\d+)?", s):
            serial = float(s)
            if 20000 <= serial <= 80000:  # Excel serial day numbers: 1954..2119
                return _EXCEL_EPOCH + timedelta(days=serial)
            return None
        if re.fullmatch(r"\d{9,13}", s):
            n = int(s)
            return datetime.fromtimestamp(n / 1000 if n > 1e11 else n, UTC)
        try:
            when = datetime.fromisoformat(s.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            pass
        m = _SLASH.match(s)
        if m:
            a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
            if year < 100:
                year += 2000
            day, month = (a, b) if (self.order == "day_first" or m.group(2) == ".") else (b, a)
            if month > 12:  # the file's order cannot hold for this value: the other one must
                day, month = month, day
            hour, minute, sec = int(m.group(5) or 0), int(m.group(6) or 0), int(m.group(7) or 0)
            if m.group(8):
                hour = hour % 12 + (12 if m.group(8).lower() == "pm" else 0)
            try:
                return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)
            except ValueError:
                return None
        for fmt in _NAMED:
            try:
                return datetime.strptime(s, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        return None


def _date_only(text: str, when: datetime) -> bool:
    return when.hour == when.minute == when.second == 0 and not re.search(r"\d:\d", text) \
        and not re.fullmatch(r"\d{9,13}", text)


_TRUE = {"true", "yes", "y", "1", "ja", "oui", "si", "x", "won"}
_FALSE = {"false", "no", "n", "0", "nein", "non", ""}


def parse_flag(text: str) -> bool | None:
    s = text.strip().casefold()
    return True if s in _TRUE else False if s in _FALSE else None

