"""Read a CRM export: recognise its layout by the header row, then turn each row into a record.

HubSpot (contacts, deals), Pipedrive (deals, persons, organizations) and Salesforce (leads,
opportunities; API names or report labels) are recognised by their headers; any other CRM
through the column mapping in `system_map/tools.yml` (see `mapped.py`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from opsys.config.pipeline_models import CrmToolSettings
from opsys.sources.crm import hubspot, pipedrive, salesforce
from opsys.sources.crm.mapped import mapped_specs
from opsys.sources.crm.reader import (
    DateReader,
    Table,
    header_key,
    parse_flag,
    parse_money,
    read_table,
    slash_order,
)
from opsys.sources.crm.spec import CrmContact, CrmDeal, CrmExport, CrmFormatError, FormatSpec
from opsys.sources.errors import SourceError

BUILTIN_SPECS: tuple[FormatSpec, ...] = hubspot.SPECS + pipedrive.SPECS + salesforce.SPECS
_DATE_FIELDS = {"created_at", "close_date", "closed_at", "last_activity_at", "next_activity_at",
                "stage_changed_at", "modified_at"}
_FIX_UNKNOWN = ("export deals or contacts from HubSpot, Pipedrive or Salesforce as CSV, or declare the columns "
                "under tools.crm.settings.mapping in system_map/tools.yml (see README, 'CRM sync')")

@dataclass
class ExportRead:
    """One export file read and parsed: its hash, and the records or the reason it cannot be read."""

    sha256: str
    export: CrmExport | None = None
    error: SourceError | None = None


def read_export(path: Path, settings: CrmToolSettings, slash_dates: str) -> ExportRead:
    """Hash and parse the same bytes; a top-level function of a light module, so a worker process can run it."""
    return read_export_bytes(path.read_bytes(), path.name, settings, slash_dates)


def read_export_bytes(data: bytes, name: str, settings: CrmToolSettings, slash_dates: str) -> ExportRead:
    """The same for bytes already read (and hashed) by the drop folder."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        return ExportRead(sha, read_crm_export(data, name, settings, slash_dates))
    except SourceError as e:
        return ExportRead(sha, error=e)


def read_crm_export(data: bytes, name: str, settings: CrmToolSettings | None = None,
                    slash_dates: str = "month_first") -> CrmExport:
    """Every data row of one export file as CrmDeal or CrmContact records; raises CrmFormatError."""
    settings = settings or CrmToolSettings()
    table = read_table(data, name)
    spec = detect_format(table, name, settings)
    cols = _columns(table, spec, name)
    export = CrmExport(name=name, spec=spec, warnings=list(table.warnings))
    dates = DateReader(slash_order(_date_samples(table, cols), slash_dates))
    seen: dict[str, int] = {}
    records: list = []
    no_id = 0
    date_fields = [f for f in cols if f in _DATE_FIELDS]
    pick = _RowReader(cols, max(i for idx in cols.values() for i in idx) + 1)
    for row, line in zip(table.rows, table.line_of_row):
        values = pick(row)
        ext_id = _clean_id(values.get("id"))
        if not ext_id:
            no_id += 1
            continue
        for f in date_fields:
            raw = values.get(f)
            if raw is None:
                continue
            values[f] = dates(raw)
            if values[f] is None and len(export.warnings) < 50:
                export.warnings.append(f"{name} line {line}: {f} {raw!r} is not a date we can read; left empty")
        rec = _deal(spec, ext_id, values) if spec.object == "deals" else _contact(spec, ext_id, values)
        if ext_id in seen:
            export.warnings.append(f"{name} line {line}: id {ext_id} appears again; the later row is kept")
            records[seen[ext_id]] = rec
        else:
            seen[ext_id] = len(records)
            records.append(rec)
    if no_id:
        export.warnings.append(f"{name}: {no_id} row(s) without {spec.columns['id'][0]!r} were skipped")
    if not records:
        raise CrmFormatError(name, f"no rows with a {spec.columns['id'][0]!r} value in this {spec.label}",
                             "export again including the record id column", field=spec.columns["id"][0])
    if spec.object == "deals":
        export.deals = records
    else:
        export.contacts = records
    modified = [r.modified_at for r in records if r.modified_at]
    export.newest_modified = max(modified) if modified else None
    return export


def detect_format(table: Table, name: str, settings: CrmToolSettings) -> FormatSpec:
    """The layout whose headers match best: a declared mapping with all its required columns wins."""
    present = {header_key(h) for h in table.headers}
    best: tuple[int, FormatSpec] | None = None
    specs: list[FormatSpec] = []
    if settings.format in ("auto", "mapped"):
        specs += mapped_specs(settings)
    if settings.format != "mapped":
        specs += [s for s in BUILTIN_SPECS if settings.format in ("auto", s.crm)]
    # signatures compare the header as written (case aside): Zoho's "Is Converted" is not Salesforce's IsConverted
    exact = {h.strip().casefold() for h in table.headers}
    for spec in specs:
        matched = sum(1 for alts in spec.columns.values() if any(header_key(a) in present for a in alts))
        hits = sum(1 for h in spec.signature if h.casefold() in exact)
        if spec in BUILTIN_SPECS:
            if not hits:
                continue
            score = hits * 10 + matched
        elif hits == len(spec.signature):  # a declared mapping whose every column is there wins
            score = 1000 + matched
        elif settings.format == "mapped" or all(
                any(header_key(a) in present for a in spec.columns[f]) for f in spec.required):
            score = 1  # a partial match is only a fallback; a missing required column is reported later
        else:
            continue
        if best is None or score > best[0]:
            best = (score, spec)
    if best is None:
        shown = ", ".join(table.headers[:8]) + (", ..." if len(table.headers) > 8 else "")
        raise CrmFormatError(name, f"not a CRM export we recognise (headers: {shown})", _FIX_UNKNOWN)
    return best[1]


def _columns(table: Table, spec: FormatSpec, name: str) -> dict[str, list[int]]:
    """Column indexes per field, best spelling first; a missing required column names file, column, layout."""
    cols: dict[str, list[int]] = {}
    for f, alts in spec.columns.items():
        idx: list[int] = []
        for alt in alts:  # duplicates of a column are all kept; the first non-empty cell wins
            idx += [i for i in table.indexes((alt,)) if i not in idx]
        if idx:
            cols[f] = idx
    missing = [f for f in spec.required if f not in cols]
    if missing:
        f = missing[0]
        raise CrmFormatError(
            name,
            f"required column {spec.columns[f][0]!r} ({f}) is missing; the file was read as a {spec.label}",
            f"export again with the {spec.columns[f][0]!r} column included (renamed columns are read under "
            f"{', '.join(repr(a) for a in spec.columns[f])})",
            field=spec.columns[f][0],
        )
    return cols


class _RowReader:
    """Picks our fields out of a row: one itemgetter for the columns that appear once (nearly all),
    first-non-empty for duplicated ones; short rows are padded. Hot loop: 150,000 rows per bench file."""

    def __init__(self, cols: dict[str, list[int]], width: int):
        from operator import itemgetter

        self.width = width
        self.single = [f for f, idx in cols.items() if len(idx) == 1]
        self.get = itemgetter(*[cols[f][0] for f in self.single]) if self.single else None
        self.multi = [(f, idx) for f, idx in cols.items() if len(idx) > 1]

    def __call__(self, row: list[str]) -> dict[str, str]:
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        out: dict[str, str] = {}
        if self.get is not None:
            got = self.get(row)
            for f, v in zip(self.single, got if len(self.single) > 1 else (got,)):
                if v and (v := v.strip()):
                    out[f] = v
        for f, idx in self.multi:
            for i in idx:
                if (v := row[i]) and (v := v.strip()):
                    out[f] = v
                    break
        return out


def _date_samples(table: Table, cols: dict[str, list[int]]) -> list[str]:
    idx = [i for f, ii in cols.items() if f in _DATE_FIELDS for i in ii]
    return [r[i] for r in table.rows[:5000] for i in idx if i < len(r) and "/" in r[i]]


def _clean_id(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip()
    return v[:-2] if v.endswith(".0") and v[:-2].isdigit() else v  # Excel turned 1234 into 1234.0


def _email(value: str | None) -> str | None:
    if not value:
        return None
    first = value.replace(";", ",").split(",")[0].strip().lower()
    return first if "@" in first else None


_MONEY_CACHE: dict[str, tuple[float | None, str | None]] = {}


def _money(text: str) -> tuple[float | None, str | None]:
    try:
        return _MONEY_CACHE[text]
    except KeyError:
        if len(_MONEY_CACHE) > 100_000:
            _MONEY_CACHE.clear()
        out = _MONEY_CACHE[text] = parse_money(text)
        return out


def _deal(spec: FormatSpec, ext_id: str, v: dict[str, str]) -> CrmDeal:
    value, currency = _money(v["value"]) if "value" in v else (None, None)
    status = None
    if "status" in v:
        s = v["status"].strip().casefold()
        status = s if s in ("open", "won", "lost") else None
    if status is None and ("won" in v or "closed" in v):
        won, closed = parse_flag(v.get("won", "")), parse_flag(v.get("closed", ""))
        if won:
            status = "won"
        elif closed:
            status = "lost"
        elif closed is False:
            status = "open"
    return CrmDeal(
        crm=spec.crm, external_id=ext_id, name=v.get("name", ""), stage=v.get("stage", ""), status=status,
        value=value, currency=(v.get("currency") or currency), owner=v.get("owner"), company=v.get("company"),
        contact_name=v.get("contact_name"), contact_email=_email(v.get("contact_email")),
        contact_phone=v.get("contact_phone"), created_at=v.get("created_at"), close_date=v.get("close_date"),
        closed_at=v.get("closed_at"), last_activity_at=v.get("last_activity_at"),
        next_activity_at=v.get("next_activity_at"), next_step=v.get("next_step"),
        stage_changed_at=v.get("stage_changed_at"), modified_at=v.get("modified_at"), pipeline=v.get("pipeline"),
    )


def _contact(spec: FormatSpec, ext_id: str, v: dict[str, str]) -> CrmContact:
    name = v.get("name")
    if not name:
        first, last = v.get("first_name"), v.get("last_name")
        name = f"{first} {last}" if first and last else (first or last)
    return CrmContact(
        crm=spec.crm, kind=spec.contact_kind, external_id=ext_id, name=name, email=_email(v.get("email")),
        phone=v.get("phone"), company=v.get("company") if spec.contact_kind != "organization" else name,
        owner=v.get("owner"), created_at=v.get("created_at"), last_activity_at=v.get("last_activity_at"),
        modified_at=v.get("modified_at"), status=v.get("status"), source=v.get("source"),
    )
