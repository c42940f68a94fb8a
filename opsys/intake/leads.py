"""Lead intake: a dropped file becomes stored, scored, routed inquiries — exactly once.

    FILE_STEPS  (each file, no model)   refuse empty / oversize / unknown type / binary -> parse -> normalise
    classify    (the whole batch)       one classifier call for the batch; lead-list rows are leads
                                        by the channel rule (rules/channels.py)
    LEAD_STEPS  (each lead, in the file's transaction)
                                        client -> score -> contact -> route -> inquiry -> decisions
                                        -> task (work/opening.py open_task) -> notifications;
                                        or, for a reply, resubmission, bounce, auto-reply or the
                                        team's own mail, the conversation steps (intake/thread_steps.py)

Each file is one SQLite transaction keyed by its content hash, committed *before* the file moves
to the archive. A crash in between leaves a file whose hash is already processed: the next run
completes the move and changes nothing else (intake/drops.py), so every file ends processed
exactly once. A failure in one file quarantines that file only.
"""

from __future__ import annotations

import codecs
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from opsys.config.models import SystemMap
from opsys.intake.documents import DocumentIntake
from opsys.intake.drops import Drop, DropFolder, DropKind, DropOutcome, QuarantineReason, Seen
from opsys.intake.files import place
from opsys.intake.lead_steps import LEAD_STEPS, LeadCase
from opsys.intake.thread_steps import conversation_steps
from opsys.intake.locks import intake_lock
from opsys.intake.normalise import normalise
from opsys.intake.steps import StepFailed, run_steps
from opsys.records import Classification, Lead
from opsys.records.tasks import Task
from opsys.records.events import Decider, EventKind
from opsys.rules.channels import channel_label, is_list
from opsys.sources import SUPPORTED_SUFFIXES, read_source
from opsys.sources.errors import SourceError
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.source_files import file_status, mark_file
from opsys.work.opening import alert_list
from opsys.workspace import Workspace

log = logging.getLogger(__name__)
BINARY_SNIFF_BYTES = 8192
FileOutcome = DropOutcome  # the name callers have used since the first release

__all__ = ["Classifier", "FileOutcome", "IntakeReport", "LeadIntake", "QuarantineReason"]


class Classifier(Protocol):
    """What intake needs from ai/: labels with confidences, and whether the LLM is usable."""

    def classify_many(self, texts: list[str]) -> list[Classification]: ...

    @property
    def llm_status(self) -> str | None: ...


@dataclass
class IntakeReport:
    outcomes: list[DropOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def inquiries(self) -> int:
        return sum(len(o.ids) for o in self.outcomes)


class LeadFiles:
    """The ledger of lead drops: `source_files`, keyed by content hash."""

    def seen(self, db: sqlite3.Connection, sha256: str) -> Seen | None:
        row = file_status(db, sha256)
        if row is None or row["status"] != "processed":
            return None  # a quarantined file may come back fixed (or after a config fix)
        return Seen(row["name"], row["stored_path"], "an earlier drop")

    def quarantined(self, db: sqlite3.Connection, drop: Drop, problem: str, stored_path: str) -> None:
        mark_file(db, drop.sha256, drop.path.name, drop.size, "quarantined", stored_path, problem)


@dataclass
class LeadFile:
    """One file on its way: the drop, then its normalised leads and their labels."""

    drop: Drop
    intake: "LeadIntake"
    leads: list[Lead] = field(default_factory=list)
    labels: list[Classification | None] = field(default_factory=list)


# -- the file steps ---------------------------------------------------------------------------------


def refuse_empty(f: LeadFile) -> None:
    if f.drop.size == 0:
        raise QuarantineReason("the file is empty", "drop the file again once it has content")


def refuse_oversize(f: LeadFile) -> None:
    limit_mb = f.intake.map.sources.intake.max_file_mb
    if f.drop.data is None:  # DropFolder reads only what is within the limit
        raise QuarantineReason(
            f"the file is {f.drop.size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit",
            "split it into smaller files, or raise intake.max_file_mb in system_map/sources.yml")


def refuse_unknown_type(f: LeadFile) -> None:
    path = f.drop.path
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise QuarantineReason(
            f"'{path.suffix or path.name}' files are not an inbound format",
            f"save it as one of {', '.join(SUPPORTED_SUFFIXES)} (see README, 'Inbound formats')")


def refuse_binary(f: LeadFile) -> None:
    data = f.drop.data or b""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # Excel's "Unicode text": NULs are fine
    if b"\x00" in data[:BINARY_SNIFF_BYTES] and not utf16:
        raise QuarantineReason("the file is binary (it contains NUL bytes), not text",
                               f"export it as text in one of {', '.join(SUPPORTED_SUFFIXES)}")


def parse(f: LeadFile) -> str:
    try:
        messages = read_source(f.drop.path, f.drop.data)
    except SourceError as e:
        where = f"field '{e.field}': " if e.field else ""
        raise QuarantineReason(f"{where}{e.problem}", e.fix) from e
    if not messages:
        raise QuarantineReason("no messages or rows found in the file", "check the file is not just headers")
    f.leads = [normalise(m, f.intake.map.team.firm.default_region, f.intake.now()) for m in messages]
    return f"{len(f.leads)} message(s)"


FILE_STEPS = (refuse_empty, refuse_oversize, refuse_unknown_type, refuse_binary, parse)


# -- the pipeline -----------------------------------------------------------------------------------


class LeadIntake:
    """Consumes lead drops into the store. Built once with config and models, then fed batches."""

    def __init__(self, ws: Workspace, system_map: SystemMap, db: sqlite3.Connection, classifier: Classifier,
                 now: Callable[[], datetime]):
        self.ws, self.map, self.db, self.classifier, self.now = ws, system_map, db, classifier, now
        limit = int(system_map.sources.intake.max_file_mb * 1024 * 1024)
        self.drops = DropFolder(ws, db, DropKind(
            name="lead file", folder=ws.inbox, archive=ws.archive, not_done="could not be processed",
            retry="move the fixed file back into var/inbox/ (or run `opsys ingest FILE`)",
            quarantine_event=EventKind.FILE_QUARANTINED, max_bytes=limit), LeadFiles(), now)
        self._llm_note_given = False
        self.documents = DocumentIntake(system_map, db, now)

    def consume(self, paths: list[Path]) -> IntakeReport:
        """Process files; drops inside the inbox are moved, files given from elsewhere are copied."""
        report = IntakeReport()
        with intake_lock(self.ws):
            ready: list[LeadFile] = []
            seen: set[Path] = set()
            for path in paths:
                key = Path(path).absolute()
                if key in seen:  # a path given twice counts once
                    continue
                seen.add(key)
                outcome = self._prepare(Path(path), ready)
                if outcome:
                    report.outcomes.append(outcome)
            if ready:
                self._classify(ready, report)
                for f in ready:
                    if f.labels:
                        report.outcomes.append(self._store(f))
        self._note_llm_status(report)
        return report

    def _prepare(self, path: Path, ready: list[LeadFile]) -> DropOutcome | None:
        """What needs no model: admit, hash, seen before, FILE_STEPS."""
        drop = self.drops.open(path)
        if isinstance(drop, DropOutcome):
            return drop
        done = self.drops.seen_before(drop)
        if done is not None:
            return done
        if self.documents.claims(drop):  # an invoice, timesheet or take-off: its own steps, the same ledger
            return self.documents.consume(drop, self.drops)
        f = LeadFile(drop, self)
        try:
            run_steps("lead intake", FILE_STEPS, f, drop.path.name, expected=(QuarantineReason,))
        except QuarantineReason as q:
            return self.drops.quarantine(drop, q)
        except StepFailed as e:  # a reader bug on one odd file must not stop the rest of the inbox
            return self.drops.quarantine_unexpected(drop, "reading", e.err)
        ready.append(f)
        return None

    def _classify(self, ready: list[LeadFile], report: IntakeReport) -> None:
        """One classifier call for the batch; what the channel decides (lead-list rows) skips the model."""
        for f in ready:
            f.labels = [channel_label(lead) for lead in f.leads]
        todo = [(f, i) for f in ready for i, label in enumerate(f.labels) if label is None]
        if not todo:
            return
        try:
            labels = self.classifier.classify_many([f.leads[i].text for f, i in todo])
        except Exception as e:  # a model failure must not lose the batch: quarantine with the reason
            log.exception("classification failed")
            for f in {id(f): f for f, _ in todo}.values():
                f.labels = []
                report.outcomes.append(self.drops.quarantine(f.drop, QuarantineReason(
                    f"classification failed: {e}", "check the model settings in system_map/classifier.yml, "
                    "then move the file back into var/inbox/")))
            return
        for (f, i), label in zip(todo, labels):
            f.labels[i] = label

    def _store(self, f: LeadFile) -> DropOutcome:
        drop, now = f.drop, self.now()
        target = self.drops.archive_target(drop)
        ids: list[int] = []
        handled: list[str] = []  # what each message was when it was not a new inquiry (intake/thread_steps.py)
        try:
            with write_transaction(self.db):
                seen = LeadFiles().seen(self.db, drop.sha256)
                if seen is not None:  # the same content twice in one batch (two names): the first was just stored
                    return self.drops.seen_locked(drop, seen)
                # a lead list's task alerts: one per owner for the file, not one per row
                list_tasks: list[Task] | None = [] if len(f.leads) > 1 and is_list(f.leads[0]) else None
                for lead, cls in zip(f.leads, f.labels):
                    case = LeadCase(self.db, self.map, now, drop.sha256, lead, cls, list_tasks=list_tasks)
                    # a reply, resubmission, bounce, auto-reply or the team's own mail is no new lead
                    run_steps("lead", conversation_steps(case) or LEAD_STEPS, case, f"{drop.path.name}#{lead.position}")
                    if case.inquiry_id:
                        ids.append(case.inquiry_id)
                    else:
                        handled.append(case.handled or "not a lead")
                if list_tasks:
                    alert_list(self.db, self.map, list_tasks, drop.path.name)
                rel = self.drops.rel(target)
                mark_file(self.db, drop.sha256, drop.path.name, drop.size, "processed", rel)
                record_event(self.db, EventKind.FILE_PROCESSED, decided_by=Decider.INTAKE, subject_type="file",
                             subject_id=drop.sha256, inputs={"name": drop.path.name, "size": drop.size},
                             decision={"inquiries": ids, "archived_to": rel, "conversation": handled},
                             message=f"{drop.path.name}: {len(ids)} inquir{'y' if len(ids) == 1 else 'ies'} stored"
                             + "".join(f"; {h}" for h in handled))
        except StepFailed as e:  # rolled back: this file only is set aside, the batch goes on
            return self.drops.quarantine_unexpected(drop, f"storing ({e.step})", e.err)
        place(drop.path, target, move=drop.move)
        return DropOutcome(drop.path, "processed", "; ".join([f"{len(ids)} stored"] * bool(ids or not handled) + handled),
                           target, ids)

    def _note_llm_status(self, report: IntakeReport) -> None:
        status = self.classifier.llm_status
        if status and not self._llm_note_given:
            self._llm_note_given = True
            report.notes.append(status)
            with write_transaction(self.db):
                record_event(self.db, EventKind.LLM_UNAVAILABLE, decided_by=Decider.INTAKE, message=status)
