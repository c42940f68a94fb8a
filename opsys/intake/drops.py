"""One drop-folder core for every kind of drop (leads in var/inbox/, CRM exports in var/crm/, and
the mail and document drops to come): admit a regular file, hash the bytes that will be parsed,
finish what was committed before a stop, set aside what was seen before, quarantine with a note,
archive only after the commit.

What a kind of drop adds is its ledger (how it knows a file was consumed), its parse and its store;
the exactly-once rules live here once. Every name opsys writes is bounded, so a mail client's
250-byte subject-as-file-name cannot stop intake.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from opsys.intake.files import ERROR_SUFFIX, bounded_name, place, sha256_of, unique_target
from opsys.records.events import Decider, EventKind, rule
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.workspace import Workspace

log = logging.getLogger(__name__)


class QuarantineReason(Exception):
    """A file we can't consume; `fix` tells the user what to do."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(problem)


@dataclass
class Drop:
    """One file on its way through a pipeline: where it is, whether it moves, what was read."""

    path: Path
    move: bool  # inside the drop folder: moved to the archive; given from elsewhere: copied
    sha256: str = ""
    size: int = 0
    data: bytes | None = None  # the bytes hashed are the bytes parsed


@dataclass(frozen=True)
class Seen:
    """A file whose content was consumed before, as its ledger remembers it."""

    name: str
    stored_path: str | None
    what: str  # for messages: "snapshot 3, as of 2026-11-23"


@dataclass
class DropOutcome:
    path: Path
    status: str  # processed | imported | quarantined | refused | duplicate | recovered | unchanged | skipped
    detail: str = ""
    stored_at: Path | None = None
    ids: list[int] = field(default_factory=list)


class Ledger(Protocol):
    """How a kind of drop remembers what it consumed (lead files, CRM snapshots…)."""

    def seen(self, db: sqlite3.Connection, sha256: str) -> Seen | None: ...

    def quarantined(self, db: sqlite3.Connection, drop: Drop, problem: str, stored_path: str) -> None: ...


@dataclass(frozen=True)
class DropKind:
    """What differs between drop folders: names, words in the notes, the events they write."""

    name: str  # "lead file", "CRM export"
    folder: Path
    archive: Path
    not_done: str  # "could not be processed" / "was not imported"
    retry: str  # what to do with the fixed file
    quarantine_event: EventKind
    max_bytes: int | None = None
    duplicate_status: str = "duplicate"
    recovered_status: str = "recovered"
    log_repeats: bool = True  # False for CRM exports: the same export twice changes nothing, not even the log


class DropFolder:
    """The exactly-once moves of one kind of drop; the pipeline calls it, the ledger remembers."""

    def __init__(self, ws: Workspace, db: sqlite3.Connection, kind: DropKind, ledger: Ledger,
                 now: Callable[[], datetime]):
        self.ws, self.db, self.kind, self.ledger, self.now = ws, db, kind, ledger, now

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.ws.root))

    def open(self, path: Path) -> Drop | DropOutcome:
        """Admit a regular file and read it once; links, FIFOs and folders are quarantined unread."""
        path = Path(path)
        move = path.parent.resolve() == self.kind.folder.resolve()
        try:
            st = path.lstat()
        except FileNotFoundError:
            return DropOutcome(path, "skipped", "gone before it could be read (moved by someone else?)")
        if not stat.S_ISREG(st.st_mode):
            if not move:  # given on the command line: refuse, but never move what is not ours
                return DropOutcome(path, "skipped", "not a regular file; give the file itself")
            return self.refuse_unread(Drop(path, move), st)
        limit = self.kind.max_bytes
        try:
            data = path.read_bytes() if limit is None or st.st_size <= limit else None
            sha = hashlib.sha256(data).hexdigest() if data is not None else sha256_of(path)
        except FileNotFoundError:
            return DropOutcome(path, "skipped", "gone before it could be read (moved by someone else?)")
        except OSError as e:  # unreadable now: left where it is, retried at the next scan
            return DropOutcome(path, "skipped", f"cannot be read ({e.strerror}); fix its permissions")
        return Drop(path, move, sha, len(data) if data is not None else st.st_size, data)

    def refuse_unread(self, drop: Drop, st: os.stat_result) -> DropOutcome:
        """A symlink, FIFO or folder in the drop folder: moved aside once, its target never read."""
        what = ("a symbolic link" if stat.S_ISLNK(st.st_mode) else "a folder" if stat.S_ISDIR(st.st_mode)
                else "a named pipe" if stat.S_ISFIFO(st.st_mode) else "not a regular file")
        # no content to hash: the key is the name and the inode, so the same node is refused once
        drop.sha256 = hashlib.sha256(f"unread:{drop.path.name}:{st.st_ino}:{st.st_mtime_ns}".encode()).hexdigest()
        return self.quarantine(drop, QuarantineReason(
            f"it is {what}, not a file; opsys does not follow or read it",
            "copy the real file into the folder instead of linking it"))

    def seen_before(self, drop: Drop) -> DropOutcome | None:
        """Finish the move of a file committed before a stop, or set a duplicate aside; None if new."""
        seen = self.ledger.seen(self.db, drop.sha256)
        if seen is None:
            return None
        with write_transaction(self.db):
            return self.seen_locked(drop, seen)

    def seen_locked(self, drop: Drop, seen: Seen) -> DropOutcome:
        """The same, inside the caller's write transaction."""
        stored = self.ws.root / seen.stored_path if seen.stored_path else None
        if drop.move and stored is not None and not stored.exists():
            # committed but not yet moved when the last run stopped: finish the move, nothing else
            place(drop.path, stored, move=True)
            if self.kind.log_repeats:
                record_event(self.db, EventKind.FILE_RECOVERED, decided_by=Decider.INTAKE, subject_type="file",
                             subject_id=drop.sha256, inputs={"name": drop.path.name},
                             message=f"{drop.path.name} was stored before a stop; archived now")
            return DropOutcome(drop.path, self.kind.recovered_status,
                               f"stored before a stop as {seen.what}; archived now", stored_at=stored)
        dup_at = None
        if drop.move:
            dup_at = place(drop.path, unique_target(self.kind.archive / "duplicates", drop.path.name), move=True)
        if self.kind.log_repeats:
            record_event(self.db, EventKind.DUPLICATE_DROP, decided_by=rule("content-hash"), subject_type="file",
                         subject_id=drop.sha256, inputs={"name": drop.path.name, "first_seen_as": seen.name},
                         decision={"moved_to": self.rel(dup_at) if dup_at else None},
                         message=f"{drop.path.name} has the same content as {seen.name}, already processed: no-op")
        return DropOutcome(drop.path, self.kind.duplicate_status,
                           f"same content as {seen.name} ({seen.what}): nothing changed", stored_at=dup_at)

    def archive_target(self, drop: Drop) -> Path:
        """Where a consumed file goes: archive/YYYY-MM/<sha12>-<name>, the name bounded."""
        return self.kind.archive / self.now().strftime("%Y-%m") / bounded_name(f"{drop.sha256[:12]}-{drop.path.name}")

    def quarantine(self, drop: Drop, q: QuarantineReason, status: str = "quarantined",
                   kind: EventKind | None = None) -> DropOutcome:
        """Note beside the file saying what was wrong and how to fix it; the ledger and the log know."""
        target = unique_target(self.ws.quarantine, drop.path.name)
        note = (f"{drop.path.name} {self.kind.not_done}.\n\nWhat was wrong: {q.problem}\nHow to fix it: {q.fix}\n\n"
                f"Then {self.kind.retry}.\nsha256: {drop.sha256}\n")
        Path(str(target) + ERROR_SUFFIX).write_text(note, encoding="utf-8")
        place(drop.path, target, move=drop.move)
        with write_transaction(self.db):
            self.ledger.quarantined(self.db, drop, q.problem, self.rel(target))
            record_event(self.db, kind or self.kind.quarantine_event, decided_by=Decider.INTAKE, subject_type="file",
                         subject_id=drop.sha256, inputs={"name": drop.path.name, "size": drop.size},
                         decision={"quarantined_to": self.rel(target)},
                         message=f"{drop.path.name}: {q.problem}. Fix: {q.fix}")
        return DropOutcome(drop.path, status, f"{q.problem}. Fix: {q.fix}", stored_at=target)

    def quarantine_unexpected(self, drop: Drop, step: str, err: Exception) -> DropOutcome:
        """Our bug on one odd file must not stop the others: that file only is set aside."""
        log.error("%s of %s failed", step, drop.path, exc_info=err)
        try:
            return self.quarantine(drop, QuarantineReason(
                f"unexpected error while {step} it ({type(err).__name__}: {err})",
                "check that the file opens in a mail client, spreadsheet or text editor; if it does, report it "
                "as an opsys bug together with the file"))
        except Exception:  # cannot even set it aside (disk full?): leave it for the next scan
            log.exception("quarantining %s failed; it stays where it is", drop.path)
            return DropOutcome(drop.path, "skipped", f"internal error while {step} it; see the log (-v)")
