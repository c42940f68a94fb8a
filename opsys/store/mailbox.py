"""The mailbox ledger: which message of which folder was fetched, and what intake made of it.

A row is written only once its intake committed (`record_message`), so a stop at any moment leaves
the message un-done and the next fetch takes it again; intake's own content hash makes that second
pass a no-op. Each folder keeps its UIDVALIDITY and a watermark (every UID at or below it is done),
so an IMAP poll asks only for what is above. The last reconciliation's gaps are kept for the
founder page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from opsys.store.events import utcnow

OUTCOMES = ("inquiry", "touch", "dismissed", "quarantined")


@dataclass(frozen=True)
class FolderMark:
    uidvalidity: int
    watermark: int
    since: str


@dataclass(frozen=True)
class LedgerRow:
    mailbox: str
    folder: str
    uidvalidity: int
    uid: str
    message_id: str | None
    sha256: str
    date: str | None
    subject: str
    outcome: str
    ref: str
    done_at: str


@dataclass(frozen=True)
class Gap:
    """A message on the server that does not map to exactly one stored inquiry, touch or dismissal."""

    mailbox: str
    folder: str
    uid: str
    uidvalidity: int
    date: str | None
    subject: str
    reason: str
    found_at: str = ""  # set by the store when the gap is written


def folder_mark(db: sqlite3.Connection, mailbox: str, folder: str) -> FolderMark | None:
    r = db.execute("SELECT uidvalidity, watermark, since FROM mail_folders WHERE mailbox = ? AND folder = ?",
                   (mailbox, folder)).fetchone()
    return FolderMark(int(r[0]), int(r[1]), r[2]) if r else None


def set_uidvalidity(db: sqlite3.Connection, mailbox: str, folder: str, uidvalidity: int) -> None:
    """A folder seen for the first time, or renumbered by its server: the watermark starts again at 0."""
    db.execute("INSERT INTO mail_folders (mailbox, folder, uidvalidity, watermark, since) VALUES (?, ?, ?, 0, ?)"
               " ON CONFLICT(mailbox, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, watermark = 0,"
               " since = excluded.since", (mailbox, folder, uidvalidity, utcnow()))


def raise_watermark(db: sqlite3.Connection, mailbox: str, folder: str, uidvalidity: int, watermark: int) -> None:
    db.execute("UPDATE mail_folders SET watermark = MAX(watermark, ?) WHERE mailbox = ? AND folder = ?"
               " AND uidvalidity = ?", (watermark, mailbox, folder, uidvalidity))


def done_uids(db: sqlite3.Connection, mailbox: str, folder: str, uidvalidity: int) -> set[str]:
    """The UIDs of the folder (as its server numbers them now) whose intake committed."""
    return {r[0] for r in db.execute("SELECT uid FROM mail_messages WHERE mailbox = ? AND folder = ? AND"
                                     " uidvalidity = ?", (mailbox, folder, uidvalidity))}


def same_message(db: sqlite3.Connection, mailbox: str, folder: str, *, message_id: str | None = None,
                 sha256: str | None = None) -> LedgerRow | None:
    """A row of the same folder with this Message-ID or content (a resync after a UIDVALIDITY change)."""
    if message_id:
        r = db.execute("SELECT * FROM mail_messages WHERE mailbox = ? AND folder = ? AND message_id = ?"
                       " ORDER BY id LIMIT 1", (mailbox, folder, message_id)).fetchone()
        if r:
            return _row(r)
    if sha256:
        r = db.execute("SELECT * FROM mail_messages WHERE mailbox = ? AND folder = ? AND sha256 = ?"
                       " ORDER BY id LIMIT 1", (mailbox, folder, sha256)).fetchone()
        if r:
            return _row(r)
    return None


def message_ids_of(db: sqlite3.Connection, mailbox: str, folder: str) -> set[str]:
    """Every Message-ID the folder's ledger knows, under any UIDVALIDITY."""
    return {r[0] for r in db.execute("SELECT DISTINCT message_id FROM mail_messages WHERE mailbox = ? AND"
                                     " folder = ? AND message_id IS NOT NULL", (mailbox, folder))}


def record_message(db: sqlite3.Connection, *, mailbox: str, folder: str, uidvalidity: int, uid: str,
                   message_id: str | None, sha256: str, date: str | None, subject: str, outcome: str,
                   ref: str) -> None:
    """Mark one message done, after its intake committed; the same UID again updates its row."""
    if outcome not in OUTCOMES:
        raise ValueError(f"mail outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
    db.execute(
        "INSERT INTO mail_messages (mailbox, folder, uidvalidity, uid, message_id, sha256, date, subject, outcome,"
        " ref, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(mailbox, folder, uidvalidity, uid) DO UPDATE SET outcome = excluded.outcome,"
        " ref = excluded.ref, done_at = excluded.done_at, sha256 = excluded.sha256",
        (mailbox, folder, uidvalidity, uid, message_id, sha256, date, subject[:120], outcome, ref, utcnow()))


def forget_message(db: sqlite3.Connection, mailbox: str, folder: str, uid: str) -> int:
    """Un-mark a UID (any UIDVALIDITY) so the next fetch takes it again: `opsys mail refetch`."""
    cur = db.execute("DELETE FROM mail_messages WHERE mailbox = ? AND folder = ? AND uid = ?", (mailbox, folder, uid))
    db.execute("UPDATE mail_folders SET watermark = MIN(watermark, ?) WHERE mailbox = ? AND folder = ?",
               (_int_or(uid, 0) - 1 if uid.isdigit() else 0, mailbox, folder))
    return cur.rowcount


def ledger_rows(db: sqlite3.Connection, mailbox: str, folder: str, uidvalidity: int) -> dict[str, LedgerRow]:
    return {r["uid"]: _row(r) for r in db.execute(
        "SELECT * FROM mail_messages WHERE mailbox = ? AND folder = ? AND uidvalidity = ?",
        (mailbox, folder, uidvalidity))}


def ledger_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM mail_messages").fetchone()[0])


# -- what intake made of a file, and whether a ledger row's record still exists ----------------------


def intake_outcome(db: sqlite3.Connection, file_sha256: str, message_id: str | None) -> tuple[str, str] | None:
    """(outcome, ref) of the intake of a file, read from what intake stored; None if not committed.

    An inquiry row is an inquiry; a thread message or touch for its Message-ID is a touch (a reply,
    the team's sent mail); a file processed with neither was dismissed by intake (auto-reply, bounce,
    unsubscribe); a quarantined file is quarantined.
    """
    ids = [r[0] for r in db.execute("SELECT id FROM inquiries WHERE source_sha256 = ? ORDER BY source_position",
                                    (file_sha256,))]
    if ids:
        return "inquiry", "inquiry:" + ",".join(str(i) for i in ids)
    # what threads (intake/thread_steps.py) recorded: source "mail:<Message-ID>" ("#address" per
    # recipient of the team's mail), or "drop:<sha256>:<position>" for a mail without a Message-ID
    keys = ([f"mail:{message_id}", f"mail:{message_id}#%"] if message_id else []) + [f"drop:{file_sha256}:%"]
    where = " OR ".join(["source = ?"] + ["source LIKE ?"] * (len(keys) - 1)) if message_id else "source LIKE ?"
    for kind, table in (("thread_message", "thread_messages"), ("touch", "touches")):
        if _has_table(db, table):
            r = db.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT 1", keys).fetchone()
            if r:
                return "touch", f"{kind}:{r[0]}"
    if message_id and _has_table(db, "thread_messages"):  # the same mail stored before under another file
        r = db.execute("SELECT id FROM thread_messages WHERE message_id = ? ORDER BY id LIMIT 1",
                       (message_id,)).fetchone()
        if r:
            return "touch", f"thread_message:{r[0]}"
    r = db.execute("SELECT status, stored_path FROM source_files WHERE sha256 = ?", (file_sha256,)).fetchone()
    if r is None:
        return None
    if r["status"] == "processed":
        return "dismissed", f"file:{file_sha256}"
    return "quarantined", f"quarantine:{r['stored_path']}"


def existing_refs(db: sqlite3.Connection, refs: Iterable[str]) -> set[str]:
    """Which of `refs` still point at a stored record (reconciliation's proof, one query per kind)."""
    by_kind: dict[str, set[str]] = {}
    for ref in refs:
        kind, _, value = ref.partition(":")
        by_kind.setdefault(kind, set()).add(value)
    found: set[str] = set()
    if "inquiry" in by_kind:
        stored = {str(r[0]) for r in db.execute("SELECT id FROM inquiries")}
        found |= {f"inquiry:{v}" for v in by_kind["inquiry"] if all(i in stored for i in v.split(","))}
    for kind, table in (("touch", "touches"), ("thread_message", "thread_messages")):
        if kind in by_kind and _has_table(db, table):
            stored = {str(r[0]) for r in db.execute(f"SELECT id FROM {table}")}
            found |= {f"{kind}:{v}" for v in by_kind[kind] if v in stored}
    if "file" in by_kind:
        stored = {r[0] for r in db.execute("SELECT sha256 FROM source_files WHERE status = 'processed'")}
        found |= {f"file:{v}" for v in by_kind["file"] if v in stored}
    return found


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


# -- gaps ------------------------------------------------------------------------------------------


def replace_gaps(db: sqlite3.Connection, mailbox: str, folder: str, gaps: list[Gap]) -> None:
    """The folder's gaps as the latest reconciliation found them (older ones that closed disappear)."""
    found_at = utcnow()  # the store's clock, as done_at is: a refetch after this closes the gap
    db.execute("DELETE FROM mail_gaps WHERE mailbox = ? AND folder = ?", (mailbox, folder))
    db.executemany("INSERT OR REPLACE INTO mail_gaps (mailbox, folder, uid, uidvalidity, date, subject, reason,"
                   " found_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [(g.mailbox, g.folder, g.uid, g.uidvalidity, g.date, g.subject, g.reason, found_at)
                    for g in gaps])


def open_gaps(db: sqlite3.Connection) -> list[Gap]:
    """Gaps of the last reconciliation, less those whose message was done since."""
    rows = db.execute(
        "SELECT g.* FROM mail_gaps g WHERE NOT EXISTS (SELECT 1 FROM mail_messages m WHERE m.mailbox = g.mailbox"
        " AND m.folder = g.folder AND m.uid = g.uid AND m.uidvalidity = g.uidvalidity"
        " AND m.outcome != 'quarantined' AND m.done_at > g.found_at) ORDER BY g.mailbox, g.folder, g.date")
    return [Gap(r["mailbox"], r["folder"], r["uid"], int(r["uidvalidity"]), r["date"], r["subject"], r["reason"],
                r["found_at"]) for r in rows]


def _row(r: sqlite3.Row) -> LedgerRow:
    return LedgerRow(r["mailbox"], r["folder"], int(r["uidvalidity"]), r["uid"], r["message_id"], r["sha256"],
                     r["date"], r["subject"], r["outcome"], r["ref"], r["done_at"])


def _int_or(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def renumbered(db: sqlite3.Connection, mailbox: str, folder: str, uidvalidity: int) -> bool:
    """Whether the folder's ledger holds rows under another UIDVALIDITY (its server renumbered it)."""
    return db.execute("SELECT 1 FROM mail_messages WHERE mailbox = ? AND folder = ? AND uidvalidity != ? LIMIT 1",
                      (mailbox, folder, uidvalidity)).fetchone() is not None


def record_reconciliation(db: sqlite3.Connection, *, at: str, local_day: str, days: int, listed: int, gaps: int,
                          problems: int) -> None:
    db.execute("INSERT INTO mail_reconciliations (at, local_day, days, listed, gaps, problems)"
               " VALUES (?, ?, ?, ?, ?, ?)", (at, local_day, days, listed, gaps, problems))


def reconciled_on(db: sqlite3.Connection, local_day: str) -> bool:
    """Whether a reconciliation that reached every mailbox already ran on this local day."""
    return db.execute("SELECT 1 FROM mail_reconciliations WHERE local_day = ? AND problems = 0 LIMIT 1",
                      (local_day,)).fetchone() is not None
