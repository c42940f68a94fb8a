"""What the founder's page keeps and reads: acknowledgements, judgment labels, pipeline values, build marks.

Also the few reads only the page needs (inbound volume per channel and day, loads over time,
handled counts since a mark), so its providers never write SQL themselves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from opsys.store.events import utcnow
from opsys.store.times import from_iso as _dt, to_iso

if TYPE_CHECKING:
    from opsys.records.tasks import Task


def _iso(dt: datetime) -> str:
    return to_iso(dt, seconds=True)


# -- acknowledgements ------------------------------------------------------------------------

@dataclass(frozen=True)
class Ack:
    key: str
    fingerprint: str
    note: str
    at: datetime
    by: str


def acks(db: sqlite3.Connection) -> dict[str, Ack]:
    """Every acknowledged item by key; the page hides one while its fingerprint is unchanged."""
    return {r[0]: Ack(r[0], r[1], r[2], _dt(r[3]), r[4])  # type: ignore[arg-type]
            for r in db.execute("SELECT key, fingerprint, note, at, by FROM founder_acks")}


def put_ack(db: sqlite3.Connection, key: str, fingerprint: str, note: str, at: datetime, by: str) -> None:
    """Acknowledge (again): the newest fingerprint is the one that must change."""
    db.execute("INSERT INTO founder_acks (key, fingerprint, note, at, by) VALUES (?, ?, ?, ?, ?)"
               " ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, note = excluded.note,"
               " at = excluded.at, by = excluded.by", (key, fingerprint, note, _iso(at), by))


# -- judgment labels -------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """An inbound message to judge, or one judged: an inquiry, or a later mail on its thread."""

    key: str  # "inquiry:12" | "thread_message:40"
    inquiry_id: int | None
    contact_id: int | None
    who: str
    subject: str
    body: str
    received_at: datetime
    category: str
    owner_id: str | None
    label: str | None = None
    confidence: float | None = None


def _message(r: sqlite3.Row) -> Message:
    return Message(r["key"], r["inquiry_id"], r["contact_id"], r["who"] or "", r["subject"], r["body"],
                   _dt(r["at"]), r["category"], r["owner_id"], r["label"], r["confidence"])  # type: ignore[arg-type]


# inquiries, and the mail that joined their threads (replies, the same sender writing again):
# a discount is often asked in a reply, never as a new inquiry
_MESSAGES = """WITH msgs AS (
      SELECT 'inquiry:' || i.id AS key, i.id AS inquiry_id, i.contact_id, COALESCE(c.name, c.email, c.phone) AS who,
             i.subject, i.body, i.received_at AS at, i.category, i.owner_id
      FROM inquiries i JOIN contacts c ON c.id = i.contact_id
      WHERE i.received_at >= :since AND i.category != 'spam'
      UNION ALL
      SELECT 'thread_message:' || m.id, COALESCE(m.inquiry_id, t.inquiry_id), t.contact_id,
             COALESCE(c.name, m.sender, c.email), m.subject, m.new_text, m.at, COALESCE(i.category, 'routine'), i.owner_id
      FROM thread_messages m JOIN threads t ON t.id = m.thread_id LEFT JOIN contacts c ON c.id = t.contact_id
      LEFT JOIN inquiries i ON i.id = COALESCE(m.inquiry_id, t.inquiry_id)
      WHERE m.direction = 'in' AND m.kind IN ('reply', 'resubmission', 'follow_up') AND m.at >= :since
        AND COALESCE(i.category, '') != 'spam')
   SELECT msgs.*, j.label, j.confidence FROM msgs LEFT JOIN founder_judgments j ON j.message_key = msgs.key"""


def unjudged_messages(db: sqlite3.Connection, since: datetime, model_key: str) -> list[Message]:
    """Messages received since `since` (spam left out) without a label from this model."""
    return [_message(r) for r in db.execute(
        _MESSAGES + " WHERE j.message_key IS NULL OR j.model_key != :key ORDER BY msgs.at, msgs.key",
        {"since": _iso(since), "key": model_key})]


def save_judgments(db: sqlite3.Connection, labels: Iterable[tuple[str, str, float]], model_key: str,
                   at: datetime) -> None:
    db.executemany("INSERT INTO founder_judgments (message_key, label, confidence, model_key, at)"
                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT(message_key) DO UPDATE SET label = excluded.label,"
                   " confidence = excluded.confidence, model_key = excluded.model_key, at = excluded.at",
                   [(k, lab, c, model_key, _iso(at)) for k, lab, c in labels])


def judged_messages(db: sqlite3.Connection, since: datetime, labels: Iterable[str],
                    min_confidence: float) -> list[Message]:
    """Messages since `since` whose judgment label is one of `labels`, confident enough."""
    wanted = {f"l{i}": lab for i, lab in enumerate(labels)}
    if not wanted:
        return []
    return [_message(r) for r in db.execute(
        _MESSAGES + f" WHERE j.label IN ({', '.join(':' + k for k in wanted)}) AND j.confidence >= :conf"
        " ORDER BY msgs.at, msgs.key", {"since": _iso(since), "conf": min_confidence, **wanted})]


# -- leads worth a look ----------------------------------------------------------------------

@dataclass(frozen=True)
class BigLead:
    inquiry_id: int
    who: str
    subject: str
    received_at: datetime
    value: float
    source: str  # "budget" | "deal <name>"
    owner_id: str | None


def big_leads(db: sqlite3.Connection, since: datetime, value: float) -> list[BigLead]:
    """Leads since `since` whose stated budget, or their open CRM deal, is worth more than `value`
    (a message the label check kept as "possible spam" is not: a budget inside spam is no lead)."""
    rows = db.execute(
        """SELECT i.id, COALESCE(c.name, c.email, c.phone) AS who, i.subject, i.received_at, i.budget, i.owner_id,
                  (SELECT MAX(d.value) FROM crm_deals d WHERE d.lead_contact_id = i.contact_id
                     AND d.status = 'open' AND d.present = 1) AS deal_value,
                  (SELECT d.name FROM crm_deals d WHERE d.lead_contact_id = i.contact_id AND d.status = 'open'
                     AND d.present = 1 ORDER BY d.value DESC LIMIT 1) AS deal_name
           FROM inquiries i JOIN contacts c ON c.id = i.contact_id
           WHERE i.is_lead = 1 AND i.category != 'spam' AND i.received_at >= ?
             AND i.classified_by NOT LIKE '%possible-spam%'
             AND (i.budget > ? OR EXISTS (SELECT 1 FROM crm_deals d WHERE d.lead_contact_id = i.contact_id
                                          AND d.status = 'open' AND d.present = 1 AND d.value > ?))
           ORDER BY i.id""", (_iso(since), value, value))
    out = []
    for r in rows:
        deal = r["deal_value"] if (r["deal_value"] or 0) > value else None
        worth, source = (deal, f"deal {r['deal_name']}") if deal and deal >= (r["budget"] or 0) else \
            (r["budget"], "budget")
        out.append(BigLead(r["id"], r["who"] or "", r["subject"], _dt(r["received_at"]), float(worth),  # type: ignore[arg-type]
                           source, r["owner_id"]))
    return out


# -- inbound volume --------------------------------------------------------------------------

def arrivals(db: sqlite3.Connection, since: datetime) -> list[tuple[str, datetime]]:
    """(channel, received_at) of each arrival since `since`: one per dropped file and channel (a lead
    list of fifty rows counts once), and each mail that joined a thread instead of becoming an inquiry."""
    return [(r[0], _dt(r[1])) for r in db.execute(  # type: ignore[misc]
        "SELECT channel, MIN(received_at) FROM inquiries WHERE received_at >= :since GROUP BY source_sha256, channel"
        " UNION ALL SELECT channel, at FROM touches WHERE direction = 'in' AND auto = 0 AND source LIKE 'mail:%'"
        " AND at >= :since", {"since": _iso(since)})]


# -- notifications ---------------------------------------------------------------------------

def failed_notifications(db: sqlite3.Connection) -> list[tuple[int, str, str, str | None, datetime]]:
    """(id, person, title, last error, created) of every notification that gave up, oldest first."""
    return [(r[0], r[1], r[2], r[3], _dt(r[4])) for r in db.execute(  # type: ignore[misc]
        "SELECT id, person_id, title, last_error, created_at FROM notifications WHERE status = 'failed' ORDER BY id")]


def queue_digest(db: sqlite3.Connection, person_id: str, url_index: int, title: str, body: str) -> int:
    """The morning digest in the Apprise outbox: about no inquiry or task, sent like any alert."""
    cur = db.execute("INSERT INTO notifications (inquiry_id, task_id, person_id, url_index, title, body, status,"
                     " created_at) VALUES (NULL, NULL, ?, ?, ?, ?, 'pending', ?)",
                     (person_id, url_index, title, body, utcnow()))
    return int(cur.lastrowid)


def digest_queued(db: sqlite3.Connection, day: str) -> bool:
    """Whether the digest of `day` (the firm's local date) was already queued."""
    return db.execute("SELECT 1 FROM events WHERE subject_type = 'founder_digest' AND subject_id = ? LIMIT 1",
                      (day,)).fetchone() is not None


# -- loads over time -------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskSpan:
    owner_id: str
    kind: str
    effort_hours: float | None
    created_at: datetime
    closed_at: datetime | None


def task_spans(db: sqlite3.Connection, since: datetime) -> list[TaskSpan]:
    """Tasks with an owner that were open at some point since `since` (loads on past days)."""
    return [TaskSpan(r[0], r[1], r[2], _dt(r[3]), _dt(r[4]))  # type: ignore[arg-type]
            for r in db.execute("SELECT owner_id, kind, effort_hours, created_at, closed_at FROM tasks"
                                " WHERE owner_id IS NOT NULL AND (closed_at IS NULL OR closed_at >= ?)",
                                (_iso(since),))]


# -- pipeline value --------------------------------------------------------------------------

def record_pipeline_value(db: sqlite3.Connection, as_of: str, open_value: float, deals: int) -> None:
    db.execute("INSERT INTO founder_pipeline_values (as_of, open_value, deals) VALUES (?, ?, ?)"
               " ON CONFLICT(as_of) DO UPDATE SET open_value = excluded.open_value, deals = excluded.deals",
               (as_of, open_value, deals))


def pipeline_values(db: sqlite3.Connection) -> list[tuple[datetime, float, int]]:
    """(as of, open value, open deals) per deals export seen, oldest first."""
    return [(_dt(r[0]), r[1], r[2]) for r in db.execute(  # type: ignore[misc]
        "SELECT as_of, open_value, deals FROM founder_pipeline_values ORDER BY as_of")]


# -- handled counts --------------------------------------------------------------------------

def record_build(db: sqlite3.Connection, now: datetime, keep_after: datetime) -> None:
    """Mark this build (its `now`, the newest event); marks older than `keep_after` go."""
    db.execute("INSERT OR REPLACE INTO founder_builds (at, last_event_id) VALUES (?, (SELECT COALESCE(MAX(id), 0)"
               " FROM events))", (_iso(now),))
    db.execute("DELETE FROM founder_builds WHERE at < ?", (_iso(keep_after),))


def event_counts_since(db: sqlite3.Connection, kinds: Iterable[str], since: datetime) -> dict[str, int]:
    """Events of `kinds` after the last build at or before `since` (by its `now`); without such a build,
    events stamped since `since`."""
    kinds = list(kinds)
    mark = db.execute("SELECT last_event_id FROM founder_builds WHERE at <= ? ORDER BY at DESC LIMIT 1",
                      (_iso(since),)).fetchone()
    marks = ", ".join("?" * len(kinds))
    if mark is not None:
        rows = db.execute(f"SELECT kind, COUNT(*) FROM events WHERE kind IN ({marks}) AND id > ? GROUP BY kind",
                          (*kinds, mark[0]))
    else:
        rows = db.execute(f"SELECT kind, COUNT(*) FROM events WHERE kind IN ({marks}) AND at >= ? GROUP BY kind",
                          (*kinds, _iso(since)))
    return {r[0]: r[1] for r in rows}


def events_of(db: sqlite3.Connection, subject_type: str, subject_id: str, kinds: Iterable[str]) -> list[int]:
    """Ids of a subject's events of some kinds (the evidence links of an item)."""
    kinds = list(kinds)
    return [r[0] for r in db.execute(
        f"SELECT id FROM events WHERE subject_type = ? AND subject_id = ? AND kind IN ({', '.join('?' * len(kinds))})"
        " ORDER BY id", (subject_type, subject_id, *kinds))]


# -- escalation candidates -------------------------------------------------------------------

def escalation_candidates(db: sqlite3.Connection, now: datetime, late_kinds: Iterable[str]) -> list["Task"]:
    """Open tasks that may need the founder: on nobody, parked, escalated at least once, or of a
    late kind past due. Reading only these keeps the page fast with thousands of open tasks."""
    from opsys.store.tasks import _task

    kinds = list(late_kinds) or [""]
    return [_task(r) for r in db.execute(
        "SELECT * FROM tasks WHERE status = 'open' AND (owner_id IS NULL OR parked = 1 OR escalation_level > 0"
        f" OR (due_at <= ? AND kind IN ({', '.join('?' * len(kinds))}))) ORDER BY due_at IS NULL, due_at, priority, id",
        (_iso(now), *kinds))]
