"""Nothing lost, proven: every message in each connected folder over the last N days maps to exactly
one stored inquiry, touch or dismissal — or is reported as a gap with its mailbox, UID, date,
subject and the one command that fetches it again.

For each folder the server's own listing (UID SEARCH SINCE, or the Maildir's files) is compared
with the ledger under the folder's current UIDVALIDITY, and each ledger row's record is looked up
in the store (the inquiry, touch or processed file must still be there). A message never fetched,
fetched but quarantined, or whose record is gone is a gap. Gaps are kept in the store for the
founder page (`opsys/founder/mail_gaps.py` reads them) and listed by `opsys mail reconcile`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from opsys.config.mail_models import Mailbox
from opsys.config.models import SystemMap
from opsys.intake.mail_fetch import open_mailbox
from opsys.intake.mail_files import facts_of
from opsys.records.events import Decider, EventKind
from opsys.sources.mailbox import MailboxError, MailSource, open_source
from opsys.store import mailbox as ledger
from opsys.store.db import write_transaction
from opsys.store.events import record_event

DEFAULT_DAYS = 7
GRACE = timedelta(minutes=15)  # mail younger than this and not stored yet is waiting for the next poll, not lost


@dataclass
class FolderProof:
    mailbox: str
    folder: str
    uidvalidity: int
    listed: int = 0
    proven: int = 0
    pending: int = 0  # arrived within GRACE, not fetched yet
    gaps: list[ledger.Gap] = field(default_factory=list)


@dataclass
class Reconciliation:
    now: datetime
    days: int
    folders: list[FolderProof] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # mailbox -> why it could not be listed

    @property
    def gaps(self) -> list[ledger.Gap]:
        return [g for f in self.folders for g in f.gaps]

    @property
    def listed(self) -> int:
        return sum(f.listed for f in self.folders)

    @property
    def ok(self) -> bool:
        return not self.gaps and not self.problems

    def summary(self) -> str:
        pending = sum(f.pending for f in self.folders)
        head = f"{self.listed} message{'s' * (self.listed != 1)} over {self.days} days: {sum(f.proven for f in self.folders)} proven, " \
               f"{len(self.gaps)} gaps" + (f", {pending} just arrived" if pending else "")
        return head + (f"; {len(self.problems)} mailboxes unreadable" if self.problems else "")

    def as_dict(self) -> dict:
        return {"now": self.now.isoformat(), "days": self.days, "ok": self.ok, "listed": self.listed,
                "folders": [{"mailbox": f.mailbox, "folder": f.folder, "uidvalidity": f.uidvalidity,
                             "listed": f.listed, "proven": f.proven, "pending": f.pending}
                            for f in self.folders],
                "gaps": [{"mailbox": g.mailbox, "folder": g.folder, "uid": g.uid, "date": g.date,
                          "subject": g.subject, "reason": g.reason, "refetch": refetch_command(g)}
                         for g in self.gaps],
                "problems": self.problems}


def refetch_command(g: ledger.Gap) -> str:
    """The one command that fetches a gap again."""
    return f"opsys mail refetch {g.mailbox} {g.uid}" + ("" if g.folder == "INBOX" else f" --folder {g.folder}")


def reconcile(m: SystemMap, db: sqlite3.Connection, root: Path, now: datetime, *, days: int = DEFAULT_DAYS,
              only: str | None = None, environ: Mapping[str, str] | None = None,
              connect: Callable[..., MailSource] = open_source) -> Reconciliation:
    """Compare each mailbox folder with the store over the last `days` days; gaps are stored and returned."""
    result = Reconciliation(now, days)
    since = now - timedelta(days=days)
    for box in m.sources.mailboxes:
        if only and box.name != only:
            continue
        try:
            src = open_mailbox(box, root, environ, connect)
        except MailboxError as e:
            result.problems[box.name] = str(e)
            _store(db, box.name, "*", [ledger.Gap(box.name, "*", "*", 0, None, "", f"cannot be read: {e}")])
            continue
        try:
            for folder in box.all_folders:
                proof = prove_folder(db, src, box, folder, since, now)
                result.folders.append(proof)
                _store(db, box.name, folder, proof.gaps)
            _store(db, box.name, "*", [])
        except MailboxError as e:
            result.problems[box.name] = str(e)
            _store(db, box.name, "*", [ledger.Gap(box.name, "*", "*", 0, None, "", f"cannot be read: {e}")])
        finally:
            src.close()
    with write_transaction(db):
        local_day = now.astimezone(_tz(m)).date().isoformat()
        ledger.record_reconciliation(db, at=now.isoformat(), local_day=local_day, days=days,
                                     listed=result.listed, gaps=len(result.gaps), problems=len(result.problems))
        record_event(db, EventKind.MAIL_RECONCILED, decided_by=Decider.JOBS, subject_type="mailbox",
                     subject_id=only or "*", inputs={"days": days, "since": since.isoformat()},
                     decision={"listed": result.listed, "gaps": [f"{g.mailbox}/{g.folder}/{g.uid}" for g in
                                                                 result.gaps][:200],
                               "problems": list(result.problems)},
                     message=result.summary())
    return result


def prove_folder(db: sqlite3.Connection, src: MailSource, box: Mailbox, folder: str, since: datetime,
                 now: datetime) -> FolderProof:
    """Each message the folder lists since `since`: proven by its ledger row and the record it names."""
    state = src.select(folder)
    proof = FolderProof(box.name, folder, state.uidvalidity)
    listed = src.list_since(since)
    rows = ledger.ledger_rows(db, box.name, folder, state.uidvalidity)
    present = ledger.existing_refs(db, (r.ref for r in rows.values()))
    unknown: list[str] = []
    for msg in listed:
        row = rows.get(msg.uid)
        if row is None:
            if msg.internal_date is not None and msg.internal_date > now - GRACE:
                proof.pending += 1
            else:
                unknown.append(msg.uid)
            continue
        if row.outcome == "quarantined":
            reason = f"quarantined by intake ({row.ref.removeprefix('quarantine:')}); fix the cause, then refetch"
        elif row.ref not in present:
            reason = f"fetched, but its {row.ref} is no longer in the store"
        else:
            proof.proven += 1
            continue
        proof.gaps.append(ledger.Gap(box.name, folder, msg.uid, state.uidvalidity, row.date, row.subject, reason))
    heads = src.headers(unknown) if unknown else {}
    dates = {m.uid: m.internal_date for m in listed}
    for uid in unknown:
        facts = facts_of(heads.get(uid, b""), dates.get(uid))
        proof.gaps.append(ledger.Gap(box.name, folder, uid, state.uidvalidity, facts.date, facts.subject,
                                     "on the server but never stored (not fetched yet, or lost)"))
    proof.listed = len(listed)
    return proof


def _store(db: sqlite3.Connection, mailbox: str, folder: str, gaps: list[ledger.Gap]) -> None:
    with write_transaction(db):
        ledger.replace_gaps(db, mailbox, folder, gaps)


def _tz(m: SystemMap):
    from zoneinfo import ZoneInfo

    return ZoneInfo(m.team.firm.timezone)


def due_today(m: SystemMap, db: sqlite3.Connection, now: datetime) -> str | None:
    """None when the daily reconciliation should run now; else why not (once per business day)."""
    from opsys.rules.business_time import BusinessTime

    if not m.sources.mailboxes:
        return "no mailboxes configured"
    day = now.astimezone(_tz(m)).date()
    bt = BusinessTime.for_firm(m.team.firm)
    if not bt.is_working_day(day):
        return f"{day} is not a business day ({bt.closed_reason(day)})"
    if ledger.reconciled_on(db, day.isoformat()):
        return f"already reconciled on {day}"
    return None
