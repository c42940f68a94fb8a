"""Timesheet exports (Harvest, Toggl Track, Clockify; one row per time entry) -> TimeEntry records."""

from __future__ import annotations

from opsys.records.documents import TimeEntry
from opsys.sources.crm.reader import DateReader, Table, parse_flag, slash_order
from opsys.sources.documents.columns import Columns, currency_code, hours, number
from opsys.sources.documents.invoices import day
from opsys.sources.documents.spec import DocumentFormatError, DocumentSpec


def entries_from_table(table: Table, spec: DocumentSpec, cols: Columns, name: str, slash_dates: str,
                       warnings: list[str]) -> list[TimeEntry]:
    """Every time entry with a duration; a row whose hours cannot be read is a warning, not a guess."""
    idx = cols.index.get("date", [])
    dates = DateReader(slash_order([r[i] for r in table.rows[:2000] for i in idx if i < len(r) and "/" in r[i]],
                                   slash_dates))
    if "hours" not in cols.index and "duration" not in cols.index:
        raise DocumentFormatError(name, f"no hours or duration column in this {spec.label}", spec.fix,
                                  field=(spec.columns.get("hours") or spec.columns["duration"])[0])
    entries: list[TimeEntry] = []
    for row, line in zip(table.rows, table.line_of_row):
        v = cols.pick(row)
        h = hours(v.get("hours")) if "hours" in v else hours(v.get("duration"))
        if h is None:
            if any(v.values()) and len(warnings) < 50:
                warnings.append(f"{name} line {line}: no hours we can read "
                                f"({v.get('hours') or v.get('duration')!r}); the entry is skipped")
            continue
        rate = number(v.get("rate"))
        amount = number(v.get("billable_amount"))
        if rate is None and amount and h:
            rate = round(amount / h, 4)
        person = v.get("person")
        if not person and (v.get("first_name") or v.get("last_name")):
            person = " ".join(p for p in (v.get("first_name"), v.get("last_name")) if p)
        entries.append(TimeEntry(
            date=day(dates, v.get("date")), person=person, client=v.get("client"), project=v.get("project"),
            task=v.get("task"), hours=h, billable_rate=rate or None,
            billable=parse_flag(v["billable"]) if "billable" in v else None, notes=v.get("notes"),
            invoice=v.get("invoice"), currency=currency_code(v.get("currency")) or cols.header_currency,
            source=name, line=line, layout=spec.tool,
        ))
    if not entries:
        raise DocumentFormatError(name, f"no time entries with hours in this {spec.label}", spec.fix)
    return entries
