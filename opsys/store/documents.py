"""Stored documents (an invoice, or one job's part of a timesheet or measurement sheet) and the
mismatches between them.

A document that arrives with the same identity (`doc_key`: the invoice number, or the sheet's
client, job and period) supersedes the current one, so a corrected invoice replaces the wrong one
and the checks run on what is current. A mismatch is keyed by invoice, kind and subject: found again
it stays one row (first_seen kept), no longer found it is resolved by the document that agrees.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from opsys.store.times import from_iso as _dt, to_iso


def _iso(dt: datetime) -> str:
    return to_iso(dt, seconds=True)


@dataclass(frozen=True)
class NewDocument:
    """One document read from a dropped file, about to be stored."""

    file_sha256: str
    file_name: str
    stored_path: str | None
    position: int
    kind: str  # invoice | timesheet | measurement sheet
    layout: str
    label: str
    number: str | None
    job: str | None
    client: str | None
    doc_key: str
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    total: float | None
    extraction: str = "rules"  # rules | llm
    confidence: float = 1.0
    check_status: str = "ok"  # ok | needs_check
    check_note: str | None = None


@dataclass(frozen=True)
class StoredDocument:
    id: int
    file_sha256: str
    file_name: str
    stored_path: str | None
    position: int
    kind: str
    layout: str
    label: str
    number: str | None
    job: str | None
    client: str | None
    doc_key: str
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    total: float | None
    extraction: str
    confidence: float
    check_status: str
    check_note: str | None
    superseded_by: int | None
    stored_at: datetime

    def describe(self) -> str:
        """`invoice 1043 (Xero invoice export, var/archive/2026-03/ab12-export.csv)`, for evidence lines."""
        what = f"{self.kind} {self.number}" if self.number else f"{self.kind} for {self.job or self.client or '?'}"
        return f"document {self.id}: {what} ({self.label}, {self.stored_path or self.file_name})"


def _document(r: sqlite3.Row) -> StoredDocument:
    return StoredDocument(
        id=r["id"], file_sha256=r["file_sha256"], file_name=r["file_name"], stored_path=r["stored_path"],
        position=r["position"], kind=r["kind"], layout=r["layout"], label=r["label"], number=r["number"],
        job=r["job"], client=r["client"], doc_key=r["doc_key"], header=json.loads(r["header_json"]),
        lines=json.loads(r["lines_json"]), total=r["total"], extraction=r["extraction"], confidence=r["confidence"],
        check_status=r["check_status"], check_note=r["check_note"], superseded_by=r["superseded_by"],
        stored_at=_dt(r["stored_at"]) or datetime.min.replace(tzinfo=UTC))


def store_document(db: sqlite3.Connection, doc: NewDocument, now: datetime) -> tuple[int, list[int]]:
    """Insert the document (in the caller's transaction); the current one of the same identity is superseded."""
    cur = db.execute(
        "INSERT INTO documents (file_sha256, file_name, stored_path, position, kind, layout, label, number, job,"
        " client, doc_key, header_json, lines_json, total, extraction, confidence, check_status, check_note,"
        " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (doc.file_sha256, doc.file_name, doc.stored_path, doc.position, doc.kind, doc.layout, doc.label, doc.number,
         doc.job, doc.client, doc.doc_key, json.dumps(doc.header, ensure_ascii=False, default=str),
         json.dumps(doc.lines, ensure_ascii=False, default=str), doc.total, doc.extraction, doc.confidence,
         doc.check_status, doc.check_note, _iso(now)))
    new_id = int(cur.lastrowid)
    old = [r[0] for r in db.execute(
        "SELECT id FROM documents WHERE kind = ? AND doc_key = ? AND superseded_by IS NULL AND id != ?",
        (doc.kind, doc.doc_key, new_id))]
    if old:
        db.execute(f"UPDATE documents SET superseded_by = ? WHERE id IN ({','.join('?' * len(old))})",
                   (new_id, *old))
    return new_id, old


_HEAD_COLUMNS = ("id, file_sha256, file_name, stored_path, position, kind, layout, label, number, job, client, doc_key,"
                 " header_json, '[]' AS lines_json, total, extraction, confidence, check_status, check_note,"
                 " superseded_by, stored_at")


def current_documents(db: sqlite3.Connection, kinds: Iterable[str] | None = None,
                      with_lines: bool = True) -> list[StoredDocument]:
    """The documents no later one replaced, oldest first; without their lines (empty) when not needed."""
    sql = f"SELECT {'*' if with_lines else _HEAD_COLUMNS} FROM documents WHERE superseded_by IS NULL"
    args: tuple[str, ...] = ()
    if kinds is not None:
        args = tuple(kinds)
        sql += f" AND kind IN ({','.join('?' * len(args))})"
    return [_document(r) for r in db.execute(sql + " ORDER BY id", args)]


def lines_of(db: sqlite3.Connection, doc_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The lines of these documents, by id (the heads came from `current_documents(with_lines=False)`)."""
    ids = tuple(doc_ids)
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        for r in db.execute(f"SELECT id, lines_json FROM documents WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            out[r[0]] = json.loads(r[1])
    return out


def get_document(db: sqlite3.Connection, doc_id: int) -> StoredDocument | None:
    r = db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
    return _document(r) if r else None


def documents_of_file(db: sqlite3.Connection, sha256: str) -> list[StoredDocument]:
    return [_document(r) for r in db.execute("SELECT * FROM documents WHERE file_sha256 = ? ORDER BY position",
                                             (sha256,))]


def documents_to_check(db: sqlite3.Connection) -> list[StoredDocument]:
    """Current documents the LLM read below the confidence the system map asks for, not yet confirmed."""
    return [_document(r) for r in db.execute(
        "SELECT * FROM documents WHERE superseded_by IS NULL AND check_status = 'needs_check' ORDER BY id")]


def confirm_document(db: sqlite3.Connection, doc_id: int, note: str | None) -> bool:
    """A person checked an LLM-read document; False when there is nothing to confirm."""
    cur = db.execute("UPDATE documents SET check_status = 'confirmed', check_note = COALESCE(?, check_note)"
                     " WHERE id = ? AND check_status = 'needs_check'", (note, doc_id))
    return cur.rowcount == 1


# --- mismatches ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FoundMismatch:
    """A mismatch as the checks found it now, with the stored documents it is between."""

    key: str
    invoice_number: str
    invoice_doc_id: int | None
    sheet_doc_id: int | None
    kind: str
    severity: str
    explanation: str
    subject: str | None
    billed: float | None
    expected: float | None
    money_at_stake: float | None
    currency: str | None
    refs: tuple[str, ...]


@dataclass(frozen=True)
class StoredMismatch(FoundMismatch):
    """A found mismatch as the store keeps it: its row id, status and when it was seen and resolved."""

    id: int
    status: str
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    def as_dict(self) -> dict[str, Any]:
        """The shape `opsys documents --json` prints."""
        out: dict[str, Any] = {}
        for f in sorted(fields(self), key=lambda f: f.name != "id"):  # the id first, as it always printed
            v = getattr(self, f.name)
            out[f.name] = v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v
        return out


def _mismatch(r: sqlite3.Row) -> StoredMismatch:
    return StoredMismatch(
        id=r["id"], key=r["key"], invoice_number=r["invoice_number"], invoice_doc_id=r["invoice_doc_id"],
        sheet_doc_id=r["sheet_doc_id"], kind=r["kind"], severity=r["severity"], explanation=r["explanation"],
        subject=r["subject"], billed=r["billed"], expected=r["expected"], money_at_stake=r["money_at_stake"],
        currency=r["currency"], refs=tuple(json.loads(r["refs_json"])), status=r["status"],
        first_seen=_dt(r["first_seen"]) or datetime.min.replace(tzinfo=UTC),
        last_seen=_dt(r["last_seen"]) or datetime.min.replace(tzinfo=UTC), resolved_at=_dt(r["resolved_at"]),
        resolved_by=r["resolved_by"], resolution=r["resolution"])


def open_mismatches(db: sqlite3.Connection) -> list[StoredMismatch]:
    """Every mismatch no document or person has resolved, highest money at stake first."""
    return [_mismatch(r) for r in db.execute(
        "SELECT * FROM document_mismatches WHERE status = 'open' ORDER BY COALESCE(money_at_stake, 0) DESC, id")]


def all_mismatches(db: sqlite3.Connection) -> list[StoredMismatch]:
    return [_mismatch(r) for r in db.execute("SELECT * FROM document_mismatches ORDER BY id")]


def get_mismatch(db: sqlite3.Connection, mismatch_id: int) -> StoredMismatch | None:
    r = db.execute("SELECT * FROM document_mismatches WHERE id = ?", (mismatch_id,)).fetchone()
    return _mismatch(r) if r else None


def mismatches_of_invoices(db: sqlite3.Connection, invoice_keys: Iterable[str]) -> list[StoredMismatch]:
    """Stored mismatches (open or resolved) of these invoices, by the invoice-number key their key starts with."""
    keys = tuple(invoice_keys)
    if not keys:
        return []
    return [_mismatch(r) for r in db.execute(
        "SELECT * FROM document_mismatches WHERE substr(key, 1, instr(key, '|') - 1)"
        f" IN ({','.join('?' * len(keys))}) ORDER BY id", keys)]


def save_mismatch(db: sqlite3.Connection, m: FoundMismatch, now: datetime) -> tuple[int, str]:
    """Insert or refresh a found mismatch; returns its id and 'new', 'reopened', 'changed' or 'same'.

    A mismatch a person resolved stays resolved while it reads the same; one a document resolved
    reopens when it is found again.
    """
    row = db.execute("SELECT * FROM document_mismatches WHERE key = ?", (m.key,)).fetchone()
    values = (m.invoice_number, m.invoice_doc_id, m.sheet_doc_id, m.kind, m.severity, m.explanation, m.subject,
              m.billed, m.expected, m.money_at_stake, m.currency, json.dumps(list(m.refs), ensure_ascii=False))
    if row is None:
        cur = db.execute(
            "INSERT INTO document_mismatches (key, invoice_number, invoice_doc_id, sheet_doc_id, kind, severity,"
            " explanation, subject, billed, expected, money_at_stake, currency, refs_json, status, first_seen,"
            " last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (m.key, *values, _iso(now), _iso(now)))
        return int(cur.lastrowid), "new"
    old = _mismatch(row)
    if old.status == "resolved" and (old.resolved_by or "").startswith("person") and old.explanation == m.explanation:
        status, outcome = "resolved", "same"
    elif old.status == "resolved":
        status, outcome = "open", "reopened"
    else:
        status, outcome = "open", "same" if old.explanation == m.explanation else "changed"
    db.execute(
        "UPDATE document_mismatches SET invoice_number = ?, invoice_doc_id = ?, sheet_doc_id = ?, kind = ?,"
        " severity = ?, explanation = ?, subject = ?, billed = ?, expected = ?, money_at_stake = ?, currency = ?,"
        " refs_json = ?, status = ?, last_seen = ?,"
        " resolved_at = CASE WHEN ? = 'open' THEN NULL ELSE resolved_at END,"
        " resolved_by = CASE WHEN ? = 'open' THEN NULL ELSE resolved_by END,"
        " resolution = CASE WHEN ? = 'open' THEN NULL ELSE resolution END WHERE id = ?",
        (*values, status, _iso(now), status, status, status, old.id))
    return old.id, outcome


def resolve_mismatch(db: sqlite3.Connection, mismatch_id: int, now: datetime, by: str, resolution: str) -> bool:
    """Close an open mismatch, saying who (`document:12`, `person`) and why; False when it was not open."""
    cur = db.execute("UPDATE document_mismatches SET status = 'resolved', resolved_at = ?, resolved_by = ?,"
                     " resolution = ? WHERE id = ? AND status = 'open'", (_iso(now), by, resolution, mismatch_id))
    return cur.rowcount == 1
