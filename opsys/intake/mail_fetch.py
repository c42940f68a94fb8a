"""Mailboxes in: each new message of each folder becomes a file in var/inbox/, goes through the normal
exactly-once intake, and only then is marked done in the mailbox ledger.

    per folder   SELECT (read-only) -> UIDVALIDITY: unchanged, new, or changed (resync)
                 UID SEARCH above the watermark, less the UIDs already done
    per batch    FETCH BODY.PEEK[] (<= BATCH messages, <= BATCH_BYTES) -> stamp -> var/inbox/ (tmp + rename)
                 -> LeadIntake.consume (one commit per file, content-hashed) -> what intake stored
                 -> ledger row (inquiry / touch / dismissed / quarantined + ref) -> watermark

A stop anywhere (even kill -9) leaves the message not done; the next fetch takes it again and
intake's content hash turns the second pass into a no-op, so nothing is missing and nothing doubles.
After a UIDVALIDITY change every message is matched by Message-ID (headers only) and then content
hash against the folder's ledger before anything is stored. A message that will not parse is
quarantined by intake with its mailbox and UID in the note and never holds up the next one.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from opsys.config.mail_models import Mailbox
from opsys.config.models import SystemMap
from opsys.intake.files import ERROR_SUFFIX
from opsys.intake.mail_files import Facts, clear_stale_temps, facts_of, inbox_name, stamped, write_atomically
from opsys.records.events import Decider, EventKind
from opsys.sources.mailbox import MailboxError, MailSource, open_source
from opsys.sources.mailbox.credentials import read_password
from opsys.store import mailbox as ledger
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.locks import exclusive
from opsys.workspace import Workspace

log = logging.getLogger(__name__)
BATCH = 50  # messages per intake batch: the classifier labels a batch in one call
BATCH_BYTES = 64 * 1024 * 1024  # a batch never holds more than this in memory (one larger mail goes alone)


class Intake(Protocol):
    """What fetching needs from lead intake (`opsys.intake.leads.LeadIntake`)."""

    def consume(self, paths: list[Path]): ...


@dataclass
class FolderReport:
    mailbox: str
    folder: str
    uidvalidity: int
    listed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # inquiry / touch / dismissed / quarantined
    matched: int = 0  # after a resync: already stored under the old numbering
    not_done: list[str] = field(default_factory=list)  # UIDs intake did not commit (retried next time)
    left: int = 0  # not tried in this call (the batch limit of one watcher poll): the next poll goes on
    resync: bool = False

    @property
    def stored(self) -> int:
        return sum(self.outcomes.values())

    def summary(self) -> str:
        parts = [f"{n} {k}" for k, n in sorted(self.outcomes.items())]
        if self.matched:
            parts.append(f"{self.matched} matched after renumbering")
        if self.not_done or self.left:
            parts.append(f"{len(self.not_done) + self.left} left for the next fetch")
        return f"{self.mailbox}/{self.folder}: " + (", ".join(parts) or "nothing new")


@dataclass
class FetchReport:
    folders: list[FolderReport] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # mailbox -> why it could not be read
    more: bool = False  # stopped at the batch limit: call again

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.folders)

    def as_dict(self) -> dict:
        return {"folders": [{"mailbox": f.mailbox, "folder": f.folder, "uidvalidity": f.uidvalidity,
                             "listed": f.listed, "outcomes": f.outcomes, "matched": f.matched,
                             "not_done": f.not_done, "left": f.left, "resync": f.resync} for f in self.folders],
                "problems": self.problems, "stored": self.stored, "more": self.more}


class MailFetcher:
    """Fetches the system map's mailboxes into intake; built once, called once or on every poll."""

    def __init__(self, ws: Workspace, system_map: SystemMap, db: sqlite3.Connection, intake: Intake,
                 now: Callable[[], datetime], *, environ: Mapping[str, str] | None = None,
                 connect: Callable[..., MailSource] = open_source, batch: int = BATCH):
        self.ws, self.map, self.db, self.intake, self.now = ws, system_map, db, intake, now
        self.environ, self.connect, self.batch = environ, connect, batch

    def mailbox(self, name: str) -> Mailbox:
        return find_mailbox(self.map, name)

    def open(self, box: Mailbox) -> MailSource:
        return open_mailbox(box, self.ws.root, self.environ, self.connect)

    def fetch(self, only: str | None = None, *, max_batches: int | None = None) -> FetchReport:
        """Every configured mailbox (or `only`): what is new in each folder, through intake."""
        report = FetchReport()
        boxes = [self.mailbox(only)] if only else list(self.map.sources.mailboxes)
        for box in boxes:
            try:
                report.folders += self.fetch_box(box, max_batches=max_batches, report=report)
            except MailboxError as e:
                report.problems[box.name] = str(e)
        return report

    def fetch_box(self, box: Mailbox, *, max_batches: int | None = None,
                  report: FetchReport | None = None) -> list[FolderReport]:
        """One mailbox, all its folders (inbound, then sent), under the workspace's mail lock."""
        out: list[FolderReport] = []
        with exclusive(self.ws.var / "mail.lock"):
            clear_stale_temps(self.ws.inbox)
            src = self.open(box)
            try:
                for folder in box.all_folders:
                    r = self.fetch_folder(src, box, folder, max_batches=max_batches)
                    out.append(r)
                    if r.left and report is not None:
                        report.more = True
            finally:
                src.close()
        return out

    def fetch_folder(self, src: MailSource, box: Mailbox, folder: str, *, max_batches: int | None = None,
                     only_uids: list[str] | None = None) -> FolderReport:
        """What is new in one folder (or just `only_uids`: a refetch, always through intake again)."""
        state = src.select(folder)
        mark = ledger.folder_mark(self.db, box.name, folder)
        r = FolderReport(box.name, folder, state.uidvalidity)
        if mark is None or mark.uidvalidity != state.uidvalidity:
            r.resync = mark is not None
            with write_transaction(self.db):
                ledger.set_uidvalidity(self.db, box.name, folder, state.uidvalidity)
                if r.resync:
                    record_event(self.db, EventKind.MAILBOX_RESYNC, decided_by=Decider.INTAKE, subject_type="mailbox",
                                 subject_id=f"{box.name}/{folder}",
                                 inputs={"old_uidvalidity": mark.uidvalidity, "uidvalidity": state.uidvalidity},
                                 message=f"{box.name}/{folder} was renumbered by its server (UIDVALIDITY "
                                         f"{mark.uidvalidity} -> {state.uidvalidity}); every message is matched "
                                         "again by Message-ID and content, none is stored twice")
            mark = ledger.folder_mark(self.db, box.name, folder)
        imap = box.kind == "imap"
        listed = only_uids if only_uids is not None else src.list_uids(after=mark.watermark if imap else 0)
        done = ledger.done_uids(self.db, box.name, folder, state.uidvalidity)
        todo = [u for u in listed if u not in done]
        r.listed = len(listed)
        # renumbered (now or in a run that was stopped), or a Maildir whose keys a re-sync may change
        match = bool(todo) and only_uids is None and (
            box.kind == "maildir" or ledger.renumbered(self.db, box.name, folder, state.uidvalidity))
        if match:
            todo = self._match_known(src, box, folder, state.uidvalidity, todo, r)
        tried = 0
        for n, chunk in enumerate(self._batches(src, todo)):
            if max_batches is not None and n >= max_batches:
                r.left = len(todo) - tried
                break
            self._fetch_batch(src, box, folder, state.uidvalidity, chunk, r, match=match)
            tried += len(chunk)
        if imap and only_uids is None:
            done = ledger.done_uids(self.db, box.name, folder, state.uidvalidity)
            watermark = mark.watermark
            for u in listed:  # ascending: the watermark stops below the first UID not done
                if u not in done:
                    break
                watermark = int(u)
            with write_transaction(self.db):
                ledger.raise_watermark(self.db, box.name, folder, state.uidvalidity, watermark)
        if r.stored or r.matched:
            with write_transaction(self.db):
                record_event(self.db, EventKind.MAIL_FETCHED, decided_by=Decider.INTAKE, subject_type="mailbox",
                             subject_id=f"{box.name}/{folder}", inputs={"uidvalidity": state.uidvalidity,
                                                                          "listed": r.listed},
                             decision={"outcomes": r.outcomes, "matched": r.matched, "not_done": r.not_done[:50]},
                             message=r.summary())
        log.info("%s", r.summary())
        return r

    def _match_known(self, src: MailSource, box: Mailbox, folder: str, uidvalidity: int, todo: list[str],
                     r: FolderReport) -> list[str]:
        """After renumbering: a UID whose Message-ID the folder's ledger knows takes that row's outcome."""
        matched: set[str] = set()
        for uid, head in src.headers(todo).items():
            facts = facts_of(head)
            row = ledger.same_message(self.db, box.name, folder, message_id=facts.message_id) \
                if facts.message_id else None
            if row is None:
                continue
            with write_transaction(self.db):
                ledger.record_message(self.db, mailbox=box.name, folder=folder, uidvalidity=uidvalidity, uid=uid,
                                      message_id=row.message_id, sha256=row.sha256, date=row.date,
                                      subject=row.subject, outcome=row.outcome, ref=row.ref)
            r.matched += 1
            matched.add(uid)
        return [u for u in todo if u not in matched]

    def _batches(self, src: MailSource, todo: list[str]):
        """UIDs in runs of at most `batch` messages and BATCH_BYTES (sizes asked once, up front)."""
        sizes = src.sizes(todo) if todo else {}
        chunk: list[str] = []
        held = 0
        for uid in todo:
            size = sizes.get(uid, 0)
            if chunk and (len(chunk) >= self.batch or held + size > BATCH_BYTES):
                yield chunk
                chunk, held = [], 0
            chunk.append(uid)
            held += size
        if chunk:
            yield chunk

    def _fetch_batch(self, src: MailSource, box: Mailbox, folder: str, uidvalidity: int, uids: list[str],
                     r: FolderReport, *, match: bool) -> None:
        sent = folder == box.sent_folder
        written: list[tuple[str, Facts, str, Path]] = []
        for m in src.fetch(uids):
            facts = facts_of(m.raw, m.internal_date)
            if match:
                row = ledger.same_message(self.db, box.name, folder, sha256=facts.sha256)
                if row is not None:  # the same bytes stored under the old numbering (or an old Maildir key)
                    with write_transaction(self.db):
                        ledger.record_message(self.db, mailbox=box.name, folder=folder, uidvalidity=uidvalidity,
                                              uid=m.uid, message_id=facts.message_id, sha256=facts.sha256,
                                              date=facts.date, subject=facts.subject, outcome=row.outcome,
                                              ref=row.ref)
                    r.matched += 1
                    continue
            data = stamped(m.raw, mailbox=box.name, folder=folder, sent=sent)
            path = write_atomically(self.ws.inbox, inbox_name(box.name, folder, uidvalidity, m.uid), data)
            written.append((m.uid, facts, hashlib.sha256(data).hexdigest(), path))
        if not written:
            return
        self.intake.consume([p for *_, p in written])  # the same exactly-once path as a dropped .eml
        for uid, facts, file_sha, path in written:
            got = ledger.intake_outcome(self.db, file_sha, facts.message_id)
            if got is None:  # not committed (gone, unreadable): stays not done, fetched again next time
                r.not_done.append(uid)
                continue
            outcome, ref = got
            with write_transaction(self.db):
                ledger.record_message(self.db, mailbox=box.name, folder=folder, uidvalidity=uidvalidity, uid=uid,
                                      message_id=facts.message_id, sha256=facts.sha256, date=facts.date,
                                      subject=facts.subject, outcome=outcome, ref=ref)
            r.outcomes[outcome] = r.outcomes.get(outcome, 0) + 1
            if outcome == "quarantined":
                self._note_origin(ref, box, folder, uidvalidity, uid)

    def _note_origin(self, ref: str, box: Mailbox, folder: str, uidvalidity: int, uid: str) -> None:
        """The quarantine note says which mailbox and UID the file came from, and how to fetch it again."""
        note = self.ws.root / (ref.removeprefix("quarantine:") + ERROR_SUFFIX)
        if not note.exists():
            return
        opt = "" if folder == "INBOX" else f" --folder {folder}"
        with note.open("a", encoding="utf-8") as f:
            f.write(f"\nFetched from mailbox {box.name}, folder {folder}, UID {uid} (UIDVALIDITY {uidvalidity}).\n"
                    f"Once the cause is fixed: opsys mail refetch {box.name} {uid}{opt}\n")

    def refetch(self, name: str, uid: str, folder: str = "INBOX") -> FolderReport:
        """Forget one UID's ledger row and fetch it again through intake (a gap the reconciliation found)."""
        box = self.mailbox(name)
        if folder not in box.all_folders:
            raise MailboxError(f"mailbox {name} has no folder {folder!r} configured; it reads: "
                               f"{', '.join(box.all_folders)}")
        with exclusive(self.ws.var / "mail.lock"):
            src = self.open(box)
            try:
                with write_transaction(self.db):
                    ledger.forget_message(self.db, name, folder, uid)
                    record_event(self.db, EventKind.MAIL_REFETCH, decided_by=Decider.PERSON, subject_type="mailbox",
                                 subject_id=f"{name}/{folder}/{uid}", message=f"{name}/{folder} UID {uid}: fetch again")
                r = self.fetch_folder(src, box, folder, only_uids=[uid])
            finally:
                src.close()
        if not r.stored and not r.matched and not r.not_done:
            raise MailboxError(f"mailbox {name}: folder {folder} has no message with UID {uid} (deleted on the "
                               "server, or renumbered: run `opsys mail reconcile` for the current UIDs)")
        return r


def find_mailbox(m: SystemMap, name: str) -> Mailbox:
    """The mailbox of sources.yml called `name`; MailboxError lists the names there are."""
    for box in m.sources.mailboxes:
        if box.name == name:
            return box
    known = ", ".join(b.name for b in m.sources.mailboxes) or "none configured"
    raise MailboxError(f"no mailbox {name!r} in system_map/sources.yml mailboxes: ({known})")


def open_mailbox(box: Mailbox, root: Path, environ: Mapping[str, str] | None = None,
                 connect: Callable[..., MailSource] = open_source) -> MailSource:
    """A connection (or the Maildir) for `box`; MailboxError says why not, without the password."""
    return connect(box, read_password(box, root, environ), root=str(root))

