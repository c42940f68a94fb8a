"""Document intake: an invoice, timesheet or measurement sheet dropped in var/inbox/, exactly once.

    read        sources/documents (layout by header; PDF by its text layer); a PDF no rule reads goes
                to the local LLM (ai/document_extraction.py) as a proposal with a confidence
    store       one row per invoice, or per job/project of a sheet (store/documents.py); a document
                with the same identity (invoice number; sheet client, job and period) supersedes it
    match+check every current invoice the new document touches is checked again against the current
                sheets (rules/document_checks.py, tolerances from system_map/documents.yml)
    reconcile   mismatches found are opened or kept (first_seen stays); the invoice's mismatches no
                longer found are resolved by the document that agrees

All of it is one SQLite transaction keyed by the file's content hash, in the lead files' ledger
(`source_files`), so the drop core's exactly-once rules hold: the same file twice is a duplicate,
a crash before the move is finished on restart. LeadIntake hands a drop here when
`sources.documents.is_document` says it is one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opsys.config.models import SystemMap
from opsys.intake.drops import Drop, DropFolder, DropOutcome, QuarantineReason
from opsys.intake.files import place
from opsys.records.documents import DocumentMismatch, Invoice, InvoiceLine, MeasurementLine, TimeEntry
from opsys.records.events import Decider, EventKind, rule
from opsys.rules.document_checks import CHECKS, DocumentTolerance
from opsys.rules.document_matching import belongs_to, match_documents, name_key, number_key
from opsys.sources.documents import DocumentFile, is_document, read_document
from opsys.sources.errors import SourceError
from opsys.store import documents as store
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.source_files import mark_file

if TYPE_CHECKING:
    from opsys.ai.document_extraction import InvoiceExtractor, LlmExtraction

log = logging.getLogger(__name__)
DECIDED_BY = f"{Decider.INTAKE}:documents"
CHECKED_BY = rule("documents.yml")


def tolerance_of(m: SystemMap) -> DocumentTolerance:
    """The rules' tolerance from system_map/documents.yml."""
    t = m.documents.tolerances
    return DocumentTolerance(hours=t.hours, quantity_abs=t.quantity_abs, quantity_rel=t.quantity_rel, money=t.money,
                             money_per_line=t.money_per_line, rate_rel=t.rate_rel, name_match=t.name_match,
                             high_money=t.high_money, medium_money=t.medium_money,
                             not_compared=tuple(t.not_compared))


@dataclass
class Reconciled:
    """What one evaluation changed: mismatch ids opened (new or reopened), kept, resolved."""

    opened: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class DocumentIntake:
    """Consumes document drops; built by LeadIntake with the same folder, map, store and clock."""

    def __init__(self, system_map: SystemMap, db: sqlite3.Connection, now: Callable[[], datetime],
                 extractor: "InvoiceExtractor | None | str" = "auto"):
        """`extractor`: "auto" builds one on first need from classifier.yml's LLM; None never asks an LLM."""
        self.map, self.db, self.now = system_map, db, now
        self.tolerance = tolerance_of(system_map)
        self._extractor = extractor

    @staticmethod
    def claims(drop: Drop) -> bool:
        """A PDF, a workbook, or a CSV whose header is an invoice, timesheet or take-off layout."""
        if drop.data is None:  # over the size limit: only the suffix can tell
            return drop.path.suffix.lower() in (".pdf", ".xlsx", ".xlsm")
        return is_document(drop.data, drop.path.name)

    def consume(self, drop: Drop, folder: DropFolder) -> DropOutcome:
        """Read, store, check and reconcile one document file; quarantine it with the fix when unreadable."""
        try:
            doc, extraction = self._read(drop)
        except QuarantineReason as q:
            return folder.quarantine(drop, q)
        except Exception as err:  # our bug on one odd file: that file only is set aside
            return folder.quarantine_unexpected(drop, "reading", err)
        target = folder.archive_target(drop)
        rel = folder.rel(target)
        try:
            with write_transaction(self.db):
                seen = folder.ledger.seen(self.db, drop.sha256)
                if seen is not None:  # the same content twice in one batch (two names): the first was just stored
                    return folder.seen_locked(drop, seen)
                ids = self._store(drop, doc, extraction, rel)
                result = self.reevaluate(ids)
                mark_file(self.db, drop.sha256, drop.path.name, drop.size, "processed", rel)
                record_event(self.db, EventKind.FILE_PROCESSED, decided_by=Decider.INTAKE, subject_type="file",
                             subject_id=drop.sha256, inputs={"name": drop.path.name, "size": drop.size},
                             decision={"documents": ids, "archived_to": rel, "mismatches_opened": result.opened,
                                       "mismatches_resolved": result.resolved, "warnings": doc.warnings[:20],
                                       "notes": sorted(set(result.notes))[:20]},
                             message=f"{drop.path.name}: {doc.label}, {len(ids)} document(s) stored; "
                                     f"{len(result.opened)} mismatch(es) opened, {len(result.resolved)} resolved")
        except Exception as err:  # rolled back: nothing of it is stored
            return folder.quarantine_unexpected(drop, "storing", err)
        place(drop.path, target, move=drop.move)
        detail = f"{doc.label}: {len(ids)} document(s); {len(result.opened)} mismatch(es) opened, " \
                 f"{len(result.resolved)} resolved"
        if extraction is not None:
            detail += f"; read by the LLM (confidence {extraction.confidence:.2f})"
        if doc.warnings:  # rows the reader skipped are said, never dropped silently
            detail += f"; {len(doc.warnings)} warning(s), first: {doc.warnings[0]}"
        return DropOutcome(drop.path, "processed", detail, target, [])

    # -- reading --------------------------------------------------------------------------------

    def _read(self, drop: Drop) -> "tuple[DocumentFile, LlmExtraction | None]":
        if drop.size == 0:
            raise QuarantineReason("the file is empty", "drop the file again once it has content")
        if drop.data is None:
            limit = self.map.sources.intake.max_file_mb
            raise QuarantineReason(f"the file is {drop.size / 1024 / 1024:.1f} MB, over the {limit:g} MB limit",
                                   "split it, or raise intake.max_file_mb in system_map/sources.yml")
        try:
            doc = read_document(drop.data, drop.path.name, self.map.pipeline.slash_dates)
        except SourceError as err:
            if drop.path.suffix.lower() != ".pdf" or err.field not in ("invoice number", "line items"):
                where = f"field '{err.field}': " if err.field else ""
                raise QuarantineReason(f"{where}{err.problem}", err.fix) from err
            return self._ask_llm(drop, err)
        for inv in doc.invoices:  # QuickBooks and Harvest exports may name none: the firm's own (pipeline.yml)
            inv.currency = inv.currency or self.map.pipeline.currency
        return doc, None

    def _ask_llm(self, drop: Drop, err: SourceError) -> "tuple[DocumentFile, LlmExtraction]":
        """A PDF with text but no structure the rules know: the LLM's reading, to be checked below confidence."""
        from opsys.ai.document_extraction import llm_unavailable_reason
        from opsys.sources.documents.pdf import pdf_text

        extractor = self.extractor
        if extractor is None:
            raise QuarantineReason(f"{err.problem}; no LLM may read it (documents.yml extraction.llm_fallback or "
                                   "classifier.yml llm.enabled is off)", err.fix)
        text = pdf_text(drop.data or b"", drop.path.name)
        try:
            got = extractor.extract(text)
        except Exception as e:  # the model cannot load: say so instead of guessing
            raise QuarantineReason(f"{err.problem}; the LLM could not read it either ({llm_unavailable_reason(e)})",
                                   err.fix) from e
        inv = invoice_from_extraction(got.fields, drop.path.name)
        return DocumentFile(name=drop.path.name, kind="invoice", layout="pdf-llm",
                            label="PDF invoice (read by the LLM)", invoices=[inv],
                            warnings=[f"rules: {err.problem}"]), got

    @property
    def extractor(self) -> "InvoiceExtractor | None":
        if self._extractor == "auto":
            settings = self.map.classifier.llm
            if not (settings.enabled and self.map.documents.extraction.llm_fallback):
                self._extractor = None
            else:
                from opsys.ai.document_extraction import InvoiceExtractor
                from opsys.ai.llm import LocalLlm

                # one thread: llama.cpp's spinning threads thrash a busy 2-core machine (10x slower measured)
                threads = settings.n_threads or 1
                self._extractor = InvoiceExtractor(LocalLlm(settings.model_copy(update={"n_threads": threads})),
                                                   self.map.documents.extraction.max_text_chars)
        return self._extractor  # type: ignore[return-value]

    # -- storing --------------------------------------------------------------------------------

    def _store(self, drop: Drop, doc: DocumentFile, extraction: "LlmExtraction | None", rel: str) -> list[int]:
        now = self.now()
        ids: list[int] = []
        floor = self.map.documents.extraction.min_confidence
        for pos, new in enumerate(new_documents(drop, doc, rel, extraction, floor)):
            new = replace(new, position=pos)
            doc_id, superseded = store.store_document(self.db, new, now)
            ids.append(doc_id)
            what = f"{new.kind} {new.number}" if new.number else f"{new.kind} for {new.job or new.client or '?'}"
            record_event(self.db, EventKind.DOCUMENT_STORED, decided_by=DECIDED_BY, subject_type="document",
                         subject_id=doc_id, confidence=new.confidence,
                         inputs={"file": drop.path.name, "sha256": drop.sha256, "layout": new.layout}
                         | ({"llm_answer": extraction.raw, "model_confidence": extraction.model_confidence,
                             "grounded": extraction.grounded} if extraction else {}),
                         decision={"kind": new.kind, "number": new.number, "job": new.job, "client": new.client,
                                   "extraction": new.extraction, "supersedes": superseded, "lines": len(new.lines)},
                         message=f"{what} stored from {drop.path.name} ({new.label})"
                                 + (f"; replaces document {', '.join(map(str, superseded))}" if superseded else ""))
            if new.check_status == "needs_check":
                record_event(self.db, EventKind.DOCUMENT_NEEDS_CHECK, decided_by=f"{Decider.LLM}:{extraction.model}"
                             if extraction else DECIDED_BY, subject_type="document", subject_id=doc_id,
                             confidence=new.confidence, inputs={"file": drop.path.name},
                             decision={"fields": new.header, "lines": new.lines},
                             message=f"please check document {doc_id} ({drop.path.name}): {new.check_note}")
        return ids

    # -- checking -------------------------------------------------------------------------------

    def reevaluate(self, new_ids: list[int]) -> Reconciled:
        """Check every current invoice the new documents touch; open, keep and resolve their mismatches."""
        now = self.now()
        heads = store.current_documents(self.db, with_lines=False)  # lines only for what is compared
        new = [d for d in heads if d.id in set(new_ids)]
        # an LLM reading nobody confirmed is a "please check" item, not evidence to raise mismatches on
        invoices = {d.id: (d, invoice_record(d)) for d in heads
                    if d.kind == "invoice" and d.number and d.check_status != "needs_check"}
        sheets = [d for d in heads if d.kind != "invoice"]
        touched = {d.id for d in new if d.id in invoices}
        for d in new:
            if d.kind == "invoice":
                continue
            ref = number_key(d.header.get("invoice")) if d.header.get("invoice") else None
            for inv_id, (_, inv) in invoices.items():
                if number_key(inv.number) == ref or (ref is None and belongs_to(inv, d.client, d.job)):
                    touched.add(inv_id)
        # invoices of the same client and project bill consecutive periods: check them together
        groups = {(name_key(invoices[i][1].client), name_key(invoices[i][1].project)) for i in touched}
        batch = [i for i, (_, inv) in invoices.items() if (name_key(inv.client), name_key(inv.project)) in groups]
        keys = {number_key(invoices[i][1].number) for i in batch}
        wanted = [d for d in sheets if (number_key(d.header["invoice"]) in keys if d.header.get("invoice") else
                                        any(belongs_to(invoices[i][1], d.client, d.job) for i in batch))]
        lines = store.lines_of(self.db, [*batch, *(d.id for d in wanted)])
        for i in batch:
            invoices[i] = (invoices[i][0], invoice_record(invoices[i][0], lines[i]))
        records: dict[int, int] = {}  # id(record) -> document id
        entries: list[TimeEntry] = []
        measured: list[MeasurementLine] = []
        for d in wanted:
            for r in sheet_records(d, lines[d.id]):
                records[id(r)] = d.id
                (entries if isinstance(r, TimeEntry) else measured).append(r)
        out = Reconciled()
        if not batch:
            return out
        sets, out.notes = match_documents([invoices[i][1] for i in batch], entries, measured, self.tolerance.name_match)
        by_invoice = {id(invoices[i][1]): i for i in batch}
        found: dict[str, store.FoundMismatch] = {}
        for s in sets:
            inv_doc = by_invoice[id(s.invoice)]
            sheet_ids = [records[id(r)] for r in [*s.entries, *s.measurements] if id(r) in records]
            for check in CHECKS:
                mismatches, notes = check(s, self.tolerance)
                out.notes += notes
                for m in mismatches:
                    f = _found(m, s.invoice, inv_doc, _sheet_of(m, sheet_ids, wanted), found)
                    found[f.key] = f
        for f in found.values():
            mid, outcome = store.save_mismatch(self.db, f, now)
            if outcome in ("new", "reopened", "changed"):
                out.opened.append(mid)
                record_event(self.db, EventKind.DOCUMENT_MISMATCH, decided_by=CHECKED_BY, subject_type="mismatch",
                             subject_id=mid, inputs={"documents": [f.invoice_doc_id, f.sheet_doc_id],
                                                     "refs": list(f.refs)},
                             decision={"kind": f.kind, "severity": f.severity, "billed": f.billed,
                                       "expected": f.expected, "money_at_stake": f.money_at_stake,
                                       "outcome": outcome},
                             message=f.explanation)
            else:
                out.kept.append(mid)
        agrees = ", ".join(f"document {i}" for i in new_ids)
        for old in store.mismatches_of_invoices(self.db, keys):
            if old.status == "open" and old.key not in found:
                store.resolve_mismatch(self.db, old.id, now, f"document:{new_ids[0]}" if new_ids else "documents",
                                       f"no longer found after {agrees} arrived")
                out.resolved.append(old.id)
                record_event(self.db, EventKind.DOCUMENT_MISMATCH_RESOLVED, decided_by=CHECKED_BY,
                             subject_type="mismatch", subject_id=old.id, inputs={"documents": new_ids},
                             decision={"kind": old.kind, "by": "documents"},
                             message=f"resolved: {old.explanation} — {agrees} agree(s) now")
        return out


def _sheet_of(m: DocumentMismatch, sheet_ids: list[int], sheets: list[store.StoredDocument]) -> int | None:
    """The stored sheet a mismatch names (its file and job), else the first sheet the invoice was matched with."""
    if len(m.documents) < 2:
        return None
    ref = m.documents[1]
    for d in sheets:
        if d.id in sheet_ids and d.file_name == ref.name and name_key(d.job) == name_key(ref.ref):
            return d.id
    return sheet_ids[0] if sheet_ids else None


def _found(m: DocumentMismatch, inv: Invoice, inv_doc: int, sheet_doc: int | None,
           seen: dict[str, store.FoundMismatch]) -> store.FoundMismatch:
    """The stored shape of a mismatch; its key is the invoice, the kind and the subject (numbered if repeated)."""
    base = f"{number_key(inv.number)}|{m.kind}|{name_key(m.subject)}"
    key, n = base, 1
    while key in seen:
        n += 1
        key = f"{base}|{n}"
    return store.FoundMismatch(
        key=key, invoice_number=inv.number, invoice_doc_id=inv_doc, sheet_doc_id=sheet_doc, kind=m.kind,
        severity=m.severity, explanation=m.explanation, subject=m.subject, billed=m.billed, expected=m.expected,
        money_at_stake=m.money_at_stake, currency=m.currency, refs=tuple(str(r) for r in m.documents))


# --- records <-> stored documents ---------------------------------------------------------------------

def new_documents(drop: Drop, doc: DocumentFile, rel: str, extraction: "LlmExtraction | None",
                  min_confidence: float) -> list[store.NewDocument]:
    """One stored document per invoice, and per client + job/project (+ period) of a sheet."""
    base = {"file_sha256": drop.sha256, "file_name": drop.path.name, "stored_path": rel, "position": 0,
            "layout": doc.layout, "label": doc.label}
    out: list[store.NewDocument] = []
    for inv in doc.invoices:
        header = {k: v for k, v in asdict(inv).items() if k != "lines"}
        lines = [asdict(ln) for ln in inv.lines]
        method, conf, status, note = "rules", 1.0, "ok", None
        if extraction is not None:
            method, conf = "llm", extraction.confidence
            problems = list(extraction.problems)
            if conf < min_confidence:
                problems.append(f"confidence {conf:.2f} is below documents.yml min_confidence {min_confidence:g}")
            if problems:
                status = "needs_check"
                note = (f"the LLM ({extraction.model}) read it as invoice {inv.number or '?'} for "
                        f"{inv.client or '?'}, {len(lines)} line(s), total "
                        f"{inv.total if inv.total is not None else '?'}"
                        f"; {'; '.join(problems)}")
        key = f"invoice|{number_key(inv.number)}" if inv.number else f"file|{drop.sha256}"
        out.append(store.NewDocument(**base, kind="invoice", number=inv.number or None, job=inv.project,
                                     client=inv.client, doc_key=key, header=header, lines=lines, total=inv.total,
                                     extraction=method, confidence=conf, check_status=status, check_note=note))
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for r in [*doc.entries, *doc.measurements]:
        job = r.project if isinstance(r, TimeEntry) else r.job
        groups.setdefault((r.client or "", job or "", r.invoice or ""), []).append(r)
    for (client, job, invoice), rs in groups.items():
        kind = "timesheet" if isinstance(rs[0], TimeEntry) else "measurement sheet"
        days = sorted(d for d in (getattr(r, "date", None) for r in rs) if d)
        period = f"{days[0]}..{days[-1]}" if days else ""
        key = f"{kind}|{name_key(client)}|{name_key(job)}|{number_key(invoice) if invoice else ''}|{period}"
        out.append(store.NewDocument(**base, kind=kind, number=None, job=job or None, client=client or None,
                                     doc_key=key, header={"period": period, "invoice": invoice or None},
                                     lines=[asdict(r) for r in rs], total=None))
    return out


def invoice_record(d: store.StoredDocument, lines: list[dict[str, Any]] | None = None) -> Invoice:
    """The Invoice a stored document holds (its lines from `lines` when the head was read without them)."""
    return Invoice(**d.header, lines=[InvoiceLine(**ln) for ln in (d.lines if lines is None else lines)])


def sheet_records(d: store.StoredDocument,
                  lines: list[dict[str, Any]] | None = None) -> list[TimeEntry] | list[MeasurementLine]:
    """The time entries or measured items a stored sheet holds."""
    rows = d.lines if lines is None else lines
    if d.kind == "timesheet":
        return [TimeEntry(**x) for x in rows]
    return [MeasurementLine(**x) for x in rows]


def invoice_from_extraction(fields: dict[str, Any], name: str) -> Invoice:
    """The LLM's fields as an Invoice (zeros and empty strings mean the text did not say)."""
    def num(v: Any) -> float | None:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0 else None

    def text(v: Any) -> str | None:
        return str(v).strip() or None if v is not None else None

    lines = [InvoiceLine(description=text(x.get("description")) or "", quantity=num(x.get("quantity")),
                         unit_price=num(x.get("unit_price")), amount=num(x.get("amount")))
             for x in fields.get("lines") or [] if isinstance(x, dict)]
    return Invoice(number=text(fields.get("invoice_number")) or "", client=text(fields.get("client")),
                   project=text(fields.get("project")), issued=None, currency=text(fields.get("currency")),
                   lines=lines, subtotal=num(fields.get("subtotal")), tax=num(fields.get("tax")),
                   total=num(fields.get("total")), source=name, layout="pdf-llm")


# --- what a person does (`opsys documents resolve|confirm`) -------------------------------------------

class NothingToDo(Exception):
    """The mismatch is not open, or the document is not waiting for a check: say which and what is."""


def resolve_by_person(db: sqlite3.Connection, mismatch_id: int, now: datetime, by: str, note: str | None) -> None:
    """A person says the difference is fine (agreed extra, rounding the client accepted); audited."""
    with write_transaction(db):
        m = store.get_mismatch(db, mismatch_id)
        if m is None or m.status != "open":
            raise NothingToDo(f"mismatch {mismatch_id} is {'not stored' if m is None else 'already ' + m.status}; "
                              "`opsys documents` lists the open ones")
        store.resolve_mismatch(db, mismatch_id, now, f"person:{by}", note or "resolved by hand")
        record_event(db, EventKind.DOCUMENT_MISMATCH_RESOLVED, decided_by=f"{Decider.PERSON}:{by}",
                     subject_type="mismatch", subject_id=mismatch_id, inputs={"note": note},
                     decision={"kind": m.kind, "by": "person"}, message=f"resolved by {by}: {m.explanation}"
                     + (f" — {note}" if note else ""))


def confirm_reading(intake: DocumentIntake, doc_id: int, by: str, note: str | None) -> Reconciled:
    """A person checked an LLM reading: it becomes evidence, and its invoice is checked like any other."""
    db = intake.db
    with write_transaction(db):
        if not store.confirm_document(db, doc_id, note):
            d = store.get_document(db, doc_id)
            raise NothingToDo(f"document {doc_id} is {'not stored' if d is None else 'not waiting for a check'}; "
                              "`opsys documents` lists what is")
        record_event(db, EventKind.DOCUMENT_CHECKED, decided_by=f"{Decider.PERSON}:{by}", subject_type="document",
                     subject_id=doc_id, inputs={"note": note}, message=f"{by} confirmed the LLM reading of "
                     f"document {doc_id}" + (f": {note}" if note else ""))
        return intake.reevaluate([doc_id])
