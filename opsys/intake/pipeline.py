"""The consume pipeline: check -> hash -> parse -> normalise -> classify -> score -> route -> store.

Each file is one SQLite transaction keyed by its content hash, committed *before* the file moves
to the archive. A crash in between leaves a file whose hash is already processed: the next run
completes the move and changes nothing else, so every file ends processed exactly once.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from opsys.config.models import SystemMap
from opsys.intake.files import ERROR_SUFFIX, place, sha256_of, unique_target
from opsys.intake.normalise import normalise
from opsys.records import Classification, Lead
from opsys.rules.clients import find_client
from opsys.rules.routing import route
from opsys.rules.scoring import score_lead
from opsys.sources import SUPPORTED_SUFFIXES, read_source
from opsys.sources.errors import SourceError
from opsys.store.contacts import upsert_contact
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.inquiries import add_assignment, insert_inquiry, open_loads, queue_notification
from opsys.store.locks import exclusive
from opsys.store.source_files import file_status, mark_file
from opsys.workspace import Workspace

log = logging.getLogger(__name__)
BINARY_SNIFF_BYTES = 8192


class Classifier(Protocol):
    """What intake needs from ai/: labels with confidences, and whether the LLM is usable."""

    def classify_many(self, texts: list[str]) -> list[Classification]: ...

    @property
    def llm_status(self) -> str | None: ...


@dataclass
class FileOutcome:
    path: Path
    status: str  # processed | quarantined | duplicate | recovered | skipped
    detail: str = ""
    inquiry_ids: list[int] = field(default_factory=list)
    stored_at: Path | None = None


@dataclass
class IntakeReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def inquiries(self) -> int:
        return sum(len(o.inquiry_ids) for o in self.outcomes)


class QuarantineReason(Exception):
    """A file we can't consume; `fix` tells the user what to do."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(problem)


@dataclass
class _Parsed:
    path: Path
    sha256: str
    size: int
    leads: list[Lead]


@contextmanager
def intake_lock(ws: Workspace) -> Iterator[None]:
    """One consumer at a time per workspace (watcher and `opsys ingest` may run together)."""
    with exclusive(ws.var / "intake.lock"):
        yield


class Intake:
    """Consumes files into the store. Built once with config and models, then fed batches."""

    def __init__(self, ws: Workspace, system_map: SystemMap, db: sqlite3.Connection,
                 classifier: Classifier, now: Callable[[], datetime] | None = None):
        self.ws, self.map, self.db, self.classifier = ws, system_map, db, classifier
        self.now = now or (lambda: datetime.now(timezone.utc))
        self._llm_note_given = False

    # -- public ------------------------------------------------------------------------------

    def consume(self, paths: list[Path]) -> IntakeReport:
        """Process files; drops inside the inbox are moved, files given from elsewhere are copied."""
        report = IntakeReport()
        with intake_lock(self.ws):
            parsed: list[_Parsed] = []
            seen: set[Path] = set()
            for path in paths:
                if Path(path).resolve() in seen:  # a path given twice counts once
                    continue
                seen.add(Path(path).resolve())
                outcome = self._prepare(path, parsed)
                if outcome:
                    report.outcomes.append(outcome)
            if parsed:
                self._classify_and_store(parsed, report)
        self._note_llm_status(report)
        return report

    # -- steps -------------------------------------------------------------------------------

    def _in_inbox(self, path: Path) -> bool:
        return path.resolve().parent == self.ws.inbox.resolve()

    def _prepare(self, path: Path, parsed: list[_Parsed]) -> FileOutcome | None:
        """Checks that need no model: size, hash, already-seen, parse, normalise."""
        path = Path(path)
        if not path.is_file():
            return FileOutcome(path, "skipped", "not a file (already moved?)")
        limit_mb = self.map.sources.intake.max_file_mb
        try:
            size = path.stat().st_size
            # one read: the bytes hashed are the bytes parsed (a file over the limit is only hashed)
            data = path.read_bytes() if size <= limit_mb * 1024 * 1024 else None
            sha = hashlib.sha256(data).hexdigest() if data is not None else sha256_of(path)
        except FileNotFoundError:
            return FileOutcome(path, "skipped", "gone before it could be read (moved by someone else?)")
        except OSError as e:  # unreadable now: left where it is, retried at the next scan
            return FileOutcome(path, "skipped", f"cannot be read ({e}); fix its permissions")
        size = len(data) if data is not None else size
        seen = file_status(self.db, sha)
        if seen is not None and seen["status"] == "processed":
            return self._already_processed(path, sha, seen)
        try:
            leads = self._parse(path, size, data)
        except QuarantineReason as q:
            return self._quarantine(path, sha, size, q)
        except Exception as e:  # a reader bug on one odd file must not stop the rest of the inbox
            log.exception("reading %s failed", path)
            return self._quarantine(path, sha, size, QuarantineReason(
                f"unexpected error while reading it ({type(e).__name__}: {e})",
                "check that the file opens in a mail client or text editor; if it does, report it as an "
                "opsys bug together with the file"))
        parsed.append(_Parsed(path, sha, size, leads))
        return None

    def _parse(self, path: Path, size: int, data: bytes | None) -> list[Lead]:
        limit_mb = self.map.sources.intake.max_file_mb
        if size == 0:
            raise QuarantineReason("the file is empty", "drop the file again once it has content")
        if size > limit_mb * 1024 * 1024:
            raise QuarantineReason(
                f"the file is {size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit",
                "split it into smaller files, or raise intake.max_file_mb in system_map/sources.yml",
            )
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise QuarantineReason(
                f"'{path.suffix or path.name}' files are not an inbound format",
                f"save it as one of {', '.join(SUPPORTED_SUFFIXES)} (see README, 'Inbound formats')",
            )
        if data is None:  # _prepare reads every file within the limit; this is for other callers
            data = path.read_bytes()
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # Excel's "Unicode text": NULs are fine
        if b"\x00" in data[:BINARY_SNIFF_BYTES] and not utf16:
            raise QuarantineReason(
                "the file is binary (it contains NUL bytes), not text",
                f"export it as text in one of {', '.join(SUPPORTED_SUFFIXES)}",
            )
        try:
            messages = read_source(path, data)
        except SourceError as e:
            where = f"field '{e.field}': " if e.field else ""
            raise QuarantineReason(f"{where}{e.problem}", e.fix) from e
        if not messages:
            raise QuarantineReason("no messages or rows found in the file", "check the file is not just headers")
        region, now = self.map.team.firm.default_region, self.now()
        return [normalise(m, region, now) for m in messages]

    def _classify_and_store(self, parsed: list[_Parsed], report: IntakeReport) -> None:
        texts = [lead.text for p in parsed for lead in p.leads]
        try:
            labels = self.classifier.classify_many(texts)
        except Exception as e:  # a model failure must not lose the batch: quarantine with the reason
            log.exception("classification failed")
            for p in parsed:
                report.outcomes.append(self._quarantine(p.path, p.sha256, p.size, QuarantineReason(
                    f"classification failed: {e}", "check the model settings in system_map/classifier.yml, "
                    "then move the file back into var/inbox/")))
            return
        i = 0
        for p in parsed:
            cls = labels[i:i + len(p.leads)]
            i += len(p.leads)
            report.outcomes.append(self._store(p, cls))

    def _store(self, p: _Parsed, labels: list[Classification]) -> FileOutcome:
        move = self._in_inbox(p.path)
        target = self.ws.archive / self.now().strftime("%Y-%m") / f"{p.sha256[:12]}-{p.path.name}"
        ids: list[int] = []
        with write_transaction(self.db):
            seen = file_status(self.db, p.sha256)
            if seen is not None and seen["status"] == "processed":
                # the same content twice in one batch (two names): the first copy was just stored
                return self._already_processed_locked(p.path, p.sha256, seen)
            for lead, cls in zip(p.leads, labels):
                ids.append(self._store_one(p.sha256, lead, cls))
            mark_file(self.db, p.sha256, p.path.name, p.size, "processed", str(target.relative_to(self.ws.root)))
            record_event(self.db, "file_processed", decided_by="intake", subject_type="file",
                         subject_id=p.sha256, inputs={"name": p.path.name, "size": p.size},
                         decision={"inquiries": ids, "archived_to": str(target.relative_to(self.ws.root))},
                         message=f"{p.path.name}: {len(ids)} inquir{'y' if len(ids) == 1 else 'ies'} stored")
        place(p.path, target, move=move)
        return FileOutcome(p.path, "processed", f"{len(ids)} stored", ids, target)

    def _store_one(self, sha: str, lead: Lead, cls: Classification) -> int:
        db, m = self.db, self.map
        client = find_client(lead.email, lead.company, m.clients)
        score = score_lead(lead, client, m, self.now())
        loads = open_loads(db)
        decision = route(lead, cls, score, client, loads, m)
        match = upsert_contact(db, name=lead.name, email=lead.email, phone=lead.phone, company=lead.company,
                               client_account=client.name if client else None,
                               tier=client.tier if client else None,
                               match_phone=lead.fields.get("phone_source") != "body")
        inquiry = insert_inquiry(db, contact_id=match.contact_id, sha256=sha, lead=lead, cls=cls,
                                 score=score, route=decision)
        subj = {"subject_type": "inquiry", "subject_id": inquiry}
        record_event(
            db, "contact_created" if match.created else "contact_matched", decided_by="rule:dedupe-email-then-phone",
            inputs={"email": lead.email, "phone": lead.phone, "name": lead.name},
            decision={"contact_id": match.contact_id, "matched_on": match.matched_on, "filled": list(match.filled),
                      "conflict": match.conflict}, **subj,
            message=(f"new contact {match.contact_id}" if match.created
                     else f"known contact {match.contact_id} (same {match.matched_on}): new inquiry on it"),
        )
        record_event(db, "classified", decided_by=cls.decided_by, confidence=cls.category_confidence,
                     inputs={"text_chars": len(lead.text), **cls.detail},
                     decision={"category": cls.category, "is_lead": cls.is_lead,
                               "lead_confidence": cls.lead_confidence}, **subj,
                     message=f"{cls.category}, {'lead' if cls.is_lead else 'not a lead'}")
        record_event(db, "scored", decided_by="rule:system_map/scoring.yml",
                     inputs={"signals": [s.__dict__ for s in score.signals],
                             "hot_threshold": m.scoring.hot_threshold},
                     decision={"score": score.value, "hot": score.hot, "service": score.service,
                               "budget": score.budget}, **subj, message=f"{score.value}: {score.explain()}")
        record_event(db, "routed", decided_by=f"rule:routing.yml#{decision.rule}", inputs=decision.inputs,
                     decision={"action": decision.action, "owner": decision.owner_id}, **subj,
                     message=decision.reason)
        if decision.owner_id and decision.action != "spam":
            kind = ("escalation" if decision.action == "escalate" else "lead" if cls.is_lead
                    else "client" if client else "other")
            add_assignment(db, inquiry, decision.owner_id, kind)
            if decision.action in ("notify", "escalate"):
                self._queue_notifications(inquiry, decision.owner_id, lead, score, decision.action)
        return inquiry

    def _queue_notifications(self, inquiry: int, owner: str, lead: Lead, score, action: str) -> None:
        person = self.map.team.person(owner)
        who = lead.name or lead.email or lead.phone or "unknown sender"
        title = (f"Hot lead ({score.value}): {who}" if action == "notify"
                 else f"Escalation: {who} — {lead.subject[:60]}")
        body = f"{lead.subject}\nScore {score.value}: {score.explain()}\nInquiry #{inquiry} via {lead.channel}."
        if not person.notify:
            record_event(self.db, "notification_skipped", decided_by="rule:team.yml", subject_type="inquiry",
                         subject_id=inquiry, inputs={"person": owner},
                         message=f"{person.name} has no notify URLs in team.yml")
        for idx, _url in enumerate(person.notify):
            nid = queue_notification(self.db, inquiry, owner, idx, title, body)
            record_event(self.db, "notification_queued", decided_by=f"rule:routing.yml ({action})",
                         subject_type="inquiry", subject_id=inquiry,
                         inputs={"person": owner, "url_index": idx}, decision={"notification_id": nid},
                         message=title)

    # -- already seen / quarantine --------------------------------------------------------------

    def _already_processed(self, path: Path, sha: str, seen: sqlite3.Row) -> FileOutcome:
        with write_transaction(self.db):
            return self._already_processed_locked(path, sha, seen)

    def _already_processed_locked(self, path: Path, sha: str, seen: sqlite3.Row) -> FileOutcome:
        stored = self.ws.root / seen["stored_path"] if seen["stored_path"] else None
        move = self._in_inbox(path)
        if move and stored is not None and not stored.exists():
            # committed but not yet moved when the last run stopped: finish the move, nothing else
            place(path, stored, move=True)
            record_event(self.db, "file_recovered", decided_by="intake", subject_type="file", subject_id=sha,
                         inputs={"name": path.name}, message=f"{path.name} was stored before a stop; archived now")
            return FileOutcome(path, "recovered", "stored before a stop; archive completed", stored_at=stored)
        dup_at = None
        if move:
            dup_at = place(path, unique_target(self.ws.archive / "duplicates", path.name), move=True)
        record_event(self.db, "duplicate_drop", decided_by="rule:content-hash", subject_type="file", subject_id=sha,
                     inputs={"name": path.name, "first_seen_as": seen["name"]},
                     decision={"moved_to": str(dup_at.relative_to(self.ws.root)) if dup_at else None},
                     message=f"{path.name} has the same content as {seen['name']}, already processed: no-op")
        return FileOutcome(path, "duplicate", f"same content as {seen['name']}", stored_at=dup_at)

    def _quarantine(self, path: Path, sha: str, size: int, q: QuarantineReason) -> FileOutcome:
        move = self._in_inbox(path)
        target = unique_target(self.ws.quarantine, path.name)
        note = (f"{path.name} could not be processed.\n\nWhat was wrong: {q.problem}\nHow to fix it: {q.fix}\n\n"
                f"Then move the fixed file back into var/inbox/ (or run `opsys ingest FILE`).\n"
                f"sha256: {sha}\n")
        Path(str(target) + ERROR_SUFFIX).write_text(note, encoding="utf-8")
        place(path, target, move=move)
        with write_transaction(self.db):
            mark_file(self.db, sha, path.name, size, "quarantined", str(target.relative_to(self.ws.root)), q.problem)
            record_event(self.db, "file_quarantined", decided_by="intake", subject_type="file", subject_id=sha,
                         inputs={"name": path.name, "size": size},
                         decision={"quarantined_to": str(target.relative_to(self.ws.root))},
                         message=f"{q.problem}. Fix: {q.fix}")
        return FileOutcome(path, "quarantined", f"{q.problem}. Fix: {q.fix}", stored_at=target)

    def _note_llm_status(self, report: IntakeReport) -> None:
        status = self.classifier.llm_status
        if status and not self._llm_note_given:
            self._llm_note_given = True
            report.notes.append(status)
            with write_transaction(self.db):
                record_event(self.db, "llm_unavailable", decided_by="intake", message=status)
