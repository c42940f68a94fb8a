"""Read a lead list exported as CSV (channel "csv"): one InboundMessage per data row.

Encodings: UTF-8 with or without BOM, UTF-16 with BOM (Excel "Unicode text"), else
Windows-1252 with a warning. Delimiter `,`, `;` or tab, sniffed from the first lines and
checked against the header row. The first non-blank row is the header; its names are
stripped and matched like form fields (`First Name`/`Last Name`, `Email Address`,
`Phone Number`, `Company Name`, `Notes`, `Lead Source`, `Job Title`, ...). Unknown columns
are kept in `fields` as `extra.<header>`. `position` is the 1-based data row number.
"""

from __future__ import annotations

import csv
import io

from opsys.records import InboundMessage
from opsys.sources.decoding import decode_text
from opsys.sources.errors import SourceError
from opsys.sources.fields import canonical_field, sort_fields

_IDENTIFYING = {"email", "phone", "name", "first_name", "last_name"}
_DELIMITERS = ",;\t"
_FIX_EXPORT = "export the lead list again as CSV with a header row (Name, Email, Phone, ...)"


def parse_csv(data: bytes, name: str) -> list[InboundMessage]:
    """Every non-blank data row of a lead list; rows lacking contact details get a warning."""
    text, file_warnings = decode_text(data, name, "a CSV lead list", _FIX_EXPORT)
    if not text.strip():
        raise SourceError(name, "the file is empty", _FIX_EXPORT)
    # strict: an unclosed quote must be an error, not the rest of the file merged into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as err:
        raise SourceError(
            name, f"broken CSV near line {reader.line_num}: {err}",
            "look for an unclosed quote or a very long cell on that line, or export the list again",
        ) from None

    header_at = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_at is None:
        raise SourceError(name, "the file has no cells with text", _FIX_EXPORT)
    headers = _headers(rows[header_at])
    if not {canonical_field(h) for h in headers} & _IDENTIFYING:
        raise SourceError(
            name, f"no email, phone or name column among the headers found: {', '.join(headers)}",
            "make the first row a header row with at least an Email, Phone or Name column",
        )

    messages: list[InboundMessage] = []
    for number, row in enumerate(rows[header_at + 1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        pairs = list(zip(headers, row))
        # Cells past the last header are kept, not dropped.
        pairs += [(f"column {i + 1}", cell) for i, cell in enumerate(row) if i >= len(headers)]
        messages.append(_row_message(name, number, pairs, list(file_warnings)))
    return messages


def _row_message(name: str, number: int, pairs: list[tuple[str, str]], warnings: list[str]) -> InboundMessage:
    found = sort_fields(pairs)
    email, phone = found.known.get("email"), found.known.get("phone")
    if not email and not phone:
        warnings.append(f"row {number} has no email or phone")
    fields = found.message_fields()
    received_at = found.received_at(fields, warnings, f"row {number}: date")
    summary = "; ".join(f"{h}: {' '.join(v.split())}" for h, v in pairs if v.strip())
    return InboundMessage(
        channel="csv",
        source_name=name,
        position=number,
        name=found.name(),
        email=email,
        phone=phone,
        company=found.known.get("company"),
        subject=f"Lead list: {name}",
        body=found.known.get("message") or summary,
        received_at=received_at,
        fields=fields,
        warnings=warnings,
    )


def _headers(row: list[str]) -> list[str]:
    """Stripped header names; blanks get `column N`, repeats get `_2`, `_3`."""
    out: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(row, start=1):
        base = cell.strip() or f"column {i}"
        header, n = base, 2
        while header.casefold() in seen:
            header, n = f"{base}_{n}", n + 1
        seen.add(header.casefold())
        out.append(header)
    return out


def _delimiter(text: str) -> str:
    """The Sniffer's pick when the header row agrees with it, else the header's most common one."""
    sample = text[:8192]
    first = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = best
    return sniffed if counts.get(sniffed, 0) >= counts[best] else best
