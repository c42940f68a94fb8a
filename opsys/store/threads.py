"""Threads: one row per conversation, its messages (new text only), and the Message-IDs it has seen.

A thread belongs to a contact and to the inquiry that opened it; replies, resubmissions, auto-replies
and the team's own mails are messages on it, never new inquiries. Times are UTC ISO text.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from opsys.rules.threading import ThreadCandidate
from opsys.store.events import utcnow
from opsys.store.tasks import Evidence
from opsys.store.times import to_iso as _iso


@dataclass(frozen=True)
class ThreadView:
    id: int
    contact_id: int | None
    inquiry_id: int | None
    subject: str
    started_at: str
    last_at: str
    last_in_at: str | None
    last_out_at: str | None
    answered_by_them_at: str | None
    messages: int


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    thread_id: int
    source: str
    message_id: str | None
    direction: str
    kind: str  # inquiry | reply | follow_up | resubmission | auto_reply | unsubscribe | outbound
    at: str
    sender: str | None
    subject: str
    new_text: str
    inquiry_id: int | None
    task_id: int | None


def threads_by_message_id(db: sqlite3.Connection, ids: Iterable[str]) -> dict[str, int]:
    """Message-ID -> thread for the ids a thread has seen, or that opsys sent (a touch `mail:<id>`)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    out = {r[0]: int(r[1]) for r in db.execute(
        f"SELECT message_id, thread_id FROM thread_message_ids WHERE message_id IN ({marks})", ids)}
    for r in db.execute(f"SELECT substr(source, 6), thread_id FROM touches WHERE thread_id IS NOT NULL"
                        f" AND source IN ({marks})", [f"mail:{i}" for i in ids]):
        out.setdefault(r[0], int(r[1]))
    return out


def subject_candidates(db: sqlite3.Connection, contact_id: int, subject_key: str) -> list[ThreadCandidate]:
    """The contact's threads with this subject key, for the subject fallback."""
    return [ThreadCandidate(int(r[0]), r[1], r[2], datetime.fromisoformat(r[3])) for r in db.execute(
        "SELECT id, contact_id, subject_key, last_at FROM threads WHERE contact_id = ? AND subject_key = ?",
        (contact_id, subject_key))]


def start_thread(db: sqlite3.Connection, *, contact_id: int | None, inquiry_id: int | None, subject: str,
                 subject_key: str, at: datetime) -> int:
    cur = db.execute("INSERT INTO threads (contact_id, inquiry_id, subject, subject_key, started_at, last_at,"
                     " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (contact_id, inquiry_id, subject, subject_key, _iso(at), _iso(at), utcnow()))
    return int(cur.lastrowid)


def add_message(db: sqlite3.Connection, *, thread_id: int, source: str, direction: str, kind: str, at: datetime,
                subject: str, new_text: str = "", message_id: str | None = None, refs: Iterable[str] = (),
                sender: str | None = None, inquiry_id: int | None = None, task_id: int | None = None) -> int:
    """The message's id; the same `source` twice is stored once. Its Message-ID and refs join the thread."""
    row = db.execute("SELECT id FROM thread_messages WHERE source = ?", (source,)).fetchone()
    if row is not None:
        return int(row[0])
    cur = db.execute(
        "INSERT INTO thread_messages (thread_id, source, message_id, direction, kind, at, sender, subject, new_text,"
        " inquiry_id, task_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (thread_id, source, message_id, direction, kind, _iso(at), sender, subject, new_text, inquiry_id, task_id,
         utcnow()))
    db.executemany("INSERT OR IGNORE INTO thread_message_ids (message_id, thread_id) VALUES (?, ?)",
                   [(m, thread_id) for m in dict.fromkeys([*([message_id] if message_id else []), *refs])])
    when = _iso(at)
    auto = kind == "auto_reply"
    db.execute(
        "UPDATE threads SET last_at = MAX(last_at, :at),"
        " last_in_at = CASE WHEN :dir = 'in' AND NOT :auto THEN MAX(COALESCE(last_in_at, ''), :at) ELSE last_in_at END,"
        " last_out_at = CASE WHEN :dir = 'out' AND NOT :auto THEN MAX(COALESCE(last_out_at, ''), :at)"
        " ELSE last_out_at END,"
        " answered_by_them_at = CASE WHEN :kind IN ('reply', 'follow_up') THEN MAX(COALESCE(answered_by_them_at, ''), :at)"
        " ELSE answered_by_them_at END WHERE id = :tid",
        {"at": when, "dir": direction, "auto": int(auto), "kind": kind, "tid": thread_id})
    return int(cur.lastrowid)


def answered_mail_thread(db: sqlite3.Connection, contact_id: int, ids: Iterable[str]) -> int | None:
    """The thread of a mail opsys sent this contact (an out touch `mail:<id>` the outbox recorded) that
    one of `ids` names; the contact's newest thread when the touch has none."""
    for mid in ids:
        r = db.execute("SELECT thread_id FROM touches WHERE source = ? AND contact_id = ? AND direction = 'out'",
                       (f"mail:{mid}", contact_id)).fetchone()
        if r is not None:
            if r[0]:
                return int(r[0])
            newest = db.execute("SELECT id FROM threads WHERE contact_id = ? ORDER BY last_at DESC, id DESC LIMIT 1",
                                (contact_id,)).fetchone()
            return int(newest[0]) if newest else None
    return None


def thread_of_inquiry(db: sqlite3.Connection, inquiry_id: int) -> int | None:
    r = db.execute("SELECT thread_id FROM thread_messages WHERE inquiry_id = ? ORDER BY id LIMIT 1",
                   (inquiry_id,)).fetchone()
    return int(r[0]) if r else None


def own_message_ids(db: sqlite3.Connection, contact_id: int) -> set[str]:
    """Message-IDs of mails this contact sent us: a reply to one of them is a nudge, not an answer to us."""
    return {r[0] for r in db.execute(
        "SELECT m.message_id FROM thread_messages m JOIN threads t ON t.id = m.thread_id"
        " WHERE m.direction = 'in' AND m.message_id IS NOT NULL AND t.contact_id = ?", (contact_id,))}


def get_thread(db: sqlite3.Connection, thread_id: int) -> ThreadView | None:
    r = db.execute("SELECT t.*, (SELECT COUNT(*) FROM thread_messages m WHERE m.thread_id = t.id) AS n"
                   " FROM threads t WHERE t.id = ?", (thread_id,)).fetchone()
    if r is None:
        return None
    return ThreadView(int(r["id"]), r["contact_id"], r["inquiry_id"], r["subject"], r["started_at"], r["last_at"],
                      r["last_in_at"], r["last_out_at"], r["answered_by_them_at"], int(r["n"]))


def threads_of_contact(db: sqlite3.Connection, contact_id: int) -> list[ThreadView]:
    ids = [r[0] for r in db.execute("SELECT id FROM threads WHERE contact_id = ? ORDER BY last_at DESC, id DESC",
                                    (contact_id,))]
    return [t for t in (get_thread(db, i) for i in ids) if t is not None]


def messages_of(db: sqlite3.Connection, thread_id: int) -> list[ThreadMessage]:
    return [ThreadMessage(int(r["id"]), int(r["thread_id"]), r["source"], r["message_id"], r["direction"], r["kind"],
                          r["at"], r["sender"], r["subject"], r["new_text"], r["inquiry_id"], r["task_id"])
            for r in db.execute("SELECT * FROM thread_messages WHERE thread_id = ? ORDER BY at, id", (thread_id,))]


def contact_by_email(db: sqlite3.Connection, email: str) -> int | None:
    r = db.execute("SELECT id FROM contacts WHERE email = ?", (email.lower(),)).fetchone()
    return int(r[0]) if r else None


def contact_by_phone(db: sqlite3.Connection, phone: str) -> int | None:
    r = db.execute("SELECT id FROM contacts WHERE phone = ?", (phone,)).fetchone()
    return int(r[0]) if r else None


def message_stored(db: sqlite3.Connection, message_id: str) -> bool:
    """A mail with this Message-ID is already a message on some thread."""
    return db.execute("SELECT 1 FROM thread_messages WHERE message_id = ? LIMIT 1", (message_id,)).fetchone() is not None


@dataclass(frozen=True)
class OpenInquiry:
    """A contact's inquiry whose task is still open: what a resubmission or reply joins."""

    inquiry_id: int
    task_id: int
    kind: str
    owner_id: str | None
    channel: str


def open_inquiry(db: sqlite3.Connection, contact_id: int, inquiry_id: int | None = None) -> OpenInquiry | None:
    """The contact's newest inquiry with an open task (that inquiry's, when `inquiry_id` is given)."""
    extra, args = ("AND i.id = ?", (contact_id, inquiry_id)) if inquiry_id else ("", (contact_id,))
    r = db.execute(
        "SELECT i.id, t.id, t.kind, t.owner_id, i.channel FROM tasks t JOIN inquiries i"
        " ON t.subject_type = 'inquiry' AND t.subject_id = CAST(i.id AS TEXT)"
        f" WHERE i.contact_id = ? AND t.status IN ('open', 'waiting') {extra} ORDER BY i.id DESC, t.id DESC LIMIT 1",
        args).fetchone()
    return None if r is None else OpenInquiry(int(r[0]), int(r[1]), r[2], r[3], r[4])


def append_task_history(db: sqlite3.Connection, task_id: int, line: str) -> None:
    """A line in the task's context pack history (oldest first), so its owner sees the conversation."""
    r = db.execute("SELECT context_json FROM tasks WHERE id = ?", (task_id,)).fetchone()
    if r is None:
        return
    ctx = json.loads(r[0] or "{}")
    history = list(ctx.get("history") or [])
    if line not in history:
        history.append(line)
        ctx["history"] = history
        db.execute("UPDATE tasks SET context_json = ? WHERE id = ?", (json.dumps(ctx, ensure_ascii=False), task_id))


def answer_evidence(db: sqlite3.Connection, contact_id: int, inquiry_id: int) -> Evidence | None:
    """The team answered the inquiry: a mail of theirs to the contact after it arrived (Sent folder,
    outbox), or the contact's reply on its thread answering a message that is not their own."""
    r = db.execute("SELECT received_at FROM inquiries WHERE id = ?", (inquiry_id,)).fetchone()
    if r is None:
        return None
    since = r[0]
    t = db.execute("SELECT id, source, at, channel FROM touches WHERE contact_id = ? AND direction = 'out' AND auto = 0"
                   " AND channel = 'email' AND at >= ? ORDER BY at, id LIMIT 1", (contact_id, since)).fetchone()
    if t is not None:
        return Evidence("mail_sent", f"touch {t[0]}", f"the team mailed the contact on {t[2][:16]} ({t[1]})")
    m = db.execute("SELECT m.id, m.at, m.subject FROM thread_messages m JOIN threads th ON th.id = m.thread_id"
                   " WHERE th.contact_id = ? AND m.kind = 'reply' AND m.at >= ? ORDER BY m.at, m.id LIMIT 1",
                   (contact_id, since)).fetchone()
    if m is not None:
        return Evidence("reply", f"thread message {m[0]}",
                        f"the contact replied on {m[1][:16]} to the team's answer: {m[2]!r}")
    return None


def thread_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many threads, messages of each kind, and touches there are (for the demo and status lines)."""
    out = {"threads": int(db.execute("SELECT COUNT(*) FROM threads").fetchone()[0]),
           "touches": int(db.execute("SELECT COUNT(*) FROM touches").fetchone()[0])}
    out.update({r[0]: int(r[1]) for r in db.execute("SELECT kind, COUNT(*) FROM thread_messages GROUP BY kind")})
    return out
