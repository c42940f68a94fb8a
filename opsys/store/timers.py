"""Follow-up's durable state: enrolments in sequences, their timers, cool-downs and closed jobs.

A timer is due once and fires once: its `key` is unique (scheduling it twice stores one), and firing
claims it with `UPDATE … WHERE fired_at IS NULL` inside the jobs run's write transaction, so two runs
(or a run after a crash) can never fire it twice. A timer found long past its due time fires once,
with `late_by_seconds` saying how late. Times are UTC ISO text, so text order is time order.
The one-active-enrolment rule is the store's too: a unique index refuses a second active enrolment.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opsys.records.mail import Touch
from opsys.store.times import from_iso as _dt, to_iso as _iso


@dataclass(frozen=True)
class Enrolment:
    id: int
    contact_id: int
    sequence: str
    trigger: str  # why it started, in words
    subject: str | None  # "deal:hubspot:44:<stage since>", "job:3", or None for a lead
    step: int  # the next step to run
    state: str  # active | exited | done
    exit_reason: str | None
    started_at: datetime
    ended_at: datetime | None
    deal_crm: str | None = None
    deal_id: str | None = None
    deal_stage: str | None = None
    touch_seen_at: datetime | None = None
    reply_source: str | None = None
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    context: dict[str, Any] = field(default_factory=dict)


def _enrolment(r: sqlite3.Row) -> Enrolment:
    return Enrolment(int(r["id"]), int(r["contact_id"]), r["sequence"], r["trigger"], r["subject"], int(r["step"]),
                     r["state"], r["exit_reason"], datetime.fromisoformat(r["started_at"]), _dt(r["ended_at"]),
                     r["deal_crm"], r["deal_id"], r["deal_stage"], _dt(r["touch_seen_at"]), r["reply_source"],
                     r["sentiment"], r["sentiment_confidence"], json.loads(r["context_json"] or "{}"))


@dataclass(frozen=True)
class Timer:
    id: int
    key: str
    enrolment_id: int
    step: int
    due_at: datetime
    rule: str
    payload: dict[str, Any]
    fired_at: datetime | None = None
    late_by_seconds: float | None = None
    outcome: str | None = None


def _timer(r: sqlite3.Row) -> Timer:
    return Timer(int(r["id"]), r["key"], int(r["enrolment_id"]), int(r["step"]), datetime.fromisoformat(r["due_at"]),
                 r["rule"], json.loads(r["payload_json"] or "{}"), _dt(r["fired_at"]), r["late_by_seconds"],
                 r["outcome"])


# --- enrolments -------------------------------------------------------------------------------


def enrol(db: sqlite3.Connection, *, contact_id: int, sequence: str, trigger: str, subject: str | None,
          started_at: datetime, deal: tuple[str, str, str | None] | None = None,
          context: dict[str, Any] | None = None) -> int | None:
    """The new enrolment's id, or None when the contact is already in a sequence (never two at once)."""
    crm, deal_id, stage = deal or (None, None, None)
    try:
        cur = db.execute(
            "INSERT INTO followup_enrolments (contact_id, sequence, trigger, subject, step, state, started_at,"
            " deal_crm, deal_id, deal_stage, touch_seen_at, context_json) VALUES (?, ?, ?, ?, 0, 'active', ?, ?, ?, ?,"
            " ?, ?)", (contact_id, sequence, trigger, subject, _iso(started_at), crm, deal_id, stage,
                       _iso(started_at), json.dumps(context or {}, ensure_ascii=False, default=str)))
    except sqlite3.IntegrityError:
        return None
    return int(cur.lastrowid)


def get_enrolment(db: sqlite3.Connection, enrolment_id: int) -> Enrolment | None:
    r = db.execute("SELECT * FROM followup_enrolments WHERE id = ?", (enrolment_id,)).fetchone()
    return _enrolment(r) if r else None


def active_enrolments(db: sqlite3.Connection) -> list[Enrolment]:
    return [_enrolment(r) for r in db.execute("SELECT * FROM followup_enrolments WHERE state = 'active' ORDER BY id")]


def active_enrolment_of(db: sqlite3.Connection, contact_id: int) -> Enrolment | None:
    r = db.execute("SELECT * FROM followup_enrolments WHERE contact_id = ? AND state = 'active'",
                   (contact_id,)).fetchone()
    return _enrolment(r) if r else None


def enrolments_of(db: sqlite3.Connection, contact_id: int) -> list[Enrolment]:
    return [_enrolment(r) for r in db.execute("SELECT * FROM followup_enrolments WHERE contact_id = ? ORDER BY id",
                                              (contact_id,))]


def active_contact_ids(db: sqlite3.Connection) -> set[int]:
    return {r[0] for r in db.execute("SELECT contact_id FROM followup_enrolments WHERE state = 'active'")}


def set_step(db: sqlite3.Connection, enrolment_id: int, step: int) -> None:
    db.execute("UPDATE followup_enrolments SET step = ? WHERE id = ?", (step, enrolment_id))


def end_enrolment(db: sqlite3.Connection, enrolment_id: int, *, state: str, reason: str, at: datetime) -> bool:
    """Stop an active enrolment and cancel its pending timers; False when it had already ended."""
    cur = db.execute("UPDATE followup_enrolments SET state = ?, exit_reason = ?, ended_at = ? WHERE id = ?"
                     " AND state = 'active'", (state, reason, _iso(at), enrolment_id))
    if cur.rowcount:
        db.execute("UPDATE followup_timers SET cancelled_at = ?, outcome = ? WHERE enrolment_id = ?"
                   " AND fired_at IS NULL AND cancelled_at IS NULL", (_iso(at), f"cancelled: {reason}", enrolment_id))
    return cur.rowcount > 0


def set_touch_seen(db: sqlite3.Connection, enrolment_id: int, at: datetime) -> None:
    db.execute("UPDATE followup_enrolments SET touch_seen_at = ? WHERE id = ?", (_iso(at), enrolment_id))


def set_reply(db: sqlite3.Connection, enrolment_id: int, source: str, sentiment: str | None,
              confidence: float | None) -> None:
    db.execute("UPDATE followup_enrolments SET reply_source = ?, sentiment = ?, sentiment_confidence = ? WHERE id = ?",
               (source, sentiment, confidence, enrolment_id))


def subjects_enrolled(db: sqlite3.Connection, sequence: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT subject FROM followup_enrolments WHERE sequence = ? AND subject IS NOT"
                                     " NULL", (sequence,))}


# --- timers -----------------------------------------------------------------------------------


def add_timer(db: sqlite3.Connection, *, key: str, enrolment_id: int, step: int, due_at: datetime, rule: str,
              now: datetime, payload: dict[str, Any] | None = None) -> int | None:
    """Schedule once: the same key twice keeps the first timer (returns None the second time)."""
    cur = db.execute("INSERT OR IGNORE INTO followup_timers (key, enrolment_id, step, due_at, rule, payload_json,"
                     " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (key, enrolment_id, step, _iso(due_at), rule,
                      json.dumps(payload or {}, ensure_ascii=False, default=str), _iso(now)))
    return int(cur.lastrowid) if cur.rowcount else None


def due_timers(db: sqlite3.Connection, now: datetime) -> list[Timer]:
    """Timers due at or before `now` that neither fired nor were cancelled, oldest due first."""
    return [_timer(r) for r in db.execute(
        "SELECT * FROM followup_timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?"
        " ORDER BY due_at, id", (_iso(now),))]


def claim_timer(db: sqlite3.Connection, timer_id: int, *, now: datetime, late_by_seconds: float, outcome: str) -> bool:
    """Mark a timer fired; False when another run fired (or cancelled) it first: then do nothing."""
    cur = db.execute("UPDATE followup_timers SET fired_at = ?, late_by_seconds = ?, outcome = ? WHERE id = ?"
                     " AND fired_at IS NULL AND cancelled_at IS NULL", (_iso(now), late_by_seconds, outcome, timer_id))
    return cur.rowcount > 0


def set_timer_outcome(db: sqlite3.Connection, timer_id: int, outcome: str) -> None:
    db.execute("UPDATE followup_timers SET outcome = ? WHERE id = ?", (outcome, timer_id))


def timers_of(db: sqlite3.Connection, enrolment_id: int) -> list[Timer]:
    return [_timer(r) for r in db.execute("SELECT * FROM followup_timers WHERE enrolment_id = ? ORDER BY step, id",
                                          (enrolment_id,))]


def fired_step_at(db: sqlite3.Connection, enrolment_id: int, step: int) -> datetime | None:
    r = db.execute("SELECT fired_at FROM followup_timers WHERE enrolment_id = ? AND step = ? AND fired_at IS NOT NULL",
                   (enrolment_id, step)).fetchone()
    return _dt(r[0]) if r else None


def next_timers(db: sqlite3.Connection) -> dict[int, Timer]:
    """Each active enrolment's pending timer (its next step)."""
    return {t.enrolment_id: t for t in map(_timer, db.execute(
        "SELECT t.* FROM followup_timers t JOIN followup_enrolments e ON e.id = t.enrolment_id"
        " WHERE e.state = 'active' AND t.fired_at IS NULL AND t.cancelled_at IS NULL ORDER BY t.due_at DESC"))}


def timer_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many timers are pending, fired, fired late (late_by over `late` seconds is not counted here), cancelled."""
    r = db.execute("SELECT SUM(fired_at IS NULL AND cancelled_at IS NULL), SUM(fired_at IS NOT NULL),"
                   " SUM(cancelled_at IS NOT NULL) FROM followup_timers").fetchone()
    return {"pending": r[0] or 0, "fired": r[1] or 0, "cancelled": r[2] or 0}


# --- cool-downs -------------------------------------------------------------------------------


def set_cooldown(db: sqlite3.Connection, contact_id: int, until: datetime, reason: str) -> None:
    db.execute("INSERT INTO followup_cooldowns (contact_id, until, reason) VALUES (?, ?, ?) ON CONFLICT(contact_id)"
               " DO UPDATE SET until = MAX(until, excluded.until), reason = excluded.reason",
               (contact_id, _iso(until), reason))


def cooling_down(db: sqlite3.Connection, now: datetime) -> set[int]:
    return {r[0] for r in db.execute("SELECT contact_id FROM followup_cooldowns WHERE until > ?", (_iso(now),))}


# --- what enrols a contact --------------------------------------------------------------------


def lead_contacts(db: sqlite3.Connection) -> list[int]:
    """Contacts with a lead inquiry that is not spam, no closed (won or lost) deal, and consent to mail."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT i.contact_id FROM inquiries i JOIN contacts c ON c.id = i.contact_id"
        " WHERE i.is_lead = 1 AND i.category != 'spam' AND c.consent = 'ok' AND c.email IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM crm_deals d WHERE d.lead_contact_id = i.contact_id AND d.status != 'open')"
        " ORDER BY i.contact_id")]


@dataclass(frozen=True)
class DealInStage:
    crm: str
    external_id: str
    name: str
    stage_key: str
    stage_since: datetime | None
    contact_id: int
    owner: str | None


def deals_in_stages(db: sqlite3.Connection, stage_keys: Iterable[str], *, open_only: bool) -> list[DealInStage]:
    """Deals (present in the newest export, linked to a contact) whose stage is one of `stage_keys`."""
    keys = sorted(set(stage_keys))
    if not keys:
        return []
    marks = ", ".join("?" * len(keys))
    status = " AND status = 'open'" if open_only else ""
    return [DealInStage(r[0], r[1], r[2], r[3], _dt(r[4]), int(r[5]), r[6]) for r in db.execute(
        f"SELECT crm, external_id, name, stage_key, stage_since, lead_contact_id, owner FROM crm_deals"
        f" WHERE present = 1 AND lead_contact_id IS NOT NULL AND stage_key IN ({marks}){status}"
        " ORDER BY crm, external_id", keys)]


def open_deal_of(db: sqlite3.Connection, contact_id: int) -> tuple[str, str, str | None, str] | None:
    """The contact's newest open deal: crm, id, stage key, name."""
    r = db.execute("SELECT crm, external_id, stage_key, name FROM crm_deals WHERE lead_contact_id = ? AND present = 1"
                   " AND status = 'open' ORDER BY modified_at DESC LIMIT 1", (contact_id,)).fetchone()
    return None if r is None else (r[0], r[1], r[2], r[3])


def enrolment_deal_states(db: sqlite3.Connection) -> list[tuple[int, str | None, str, str | None]]:
    """(enrolment, stage key now, status now, next activity) for active enrolments that follow a deal."""
    return [(int(r[0]), r[1], r[2], r[3]) for r in db.execute(
        "SELECT e.id, d.stage_key, d.status, d.next_activity_at FROM followup_enrolments e JOIN crm_deals d"
        " ON d.crm = e.deal_crm AND d.external_id = e.deal_id WHERE e.state = 'active' AND e.deal_id IS NOT NULL")]


# --- closed jobs ------------------------------------------------------------------------------


def record_job_closure(db: sqlite3.Connection, *, contact_id: int, source: str, closed_at: datetime,
                       deal_name: str | None, now: datetime, note: str | None = None) -> int | None:
    """A job closed, once per source ("deal:hubspot:44", "command:…"); None when already recorded."""
    cur = db.execute("INSERT OR IGNORE INTO job_closures (contact_id, source, closed_at, deal_name, recorded_at, note)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (contact_id, source, _iso(closed_at), deal_name, _iso(now), note))
    return int(cur.lastrowid) if cur.rowcount else None


@dataclass(frozen=True)
class JobClosure:
    id: int
    contact_id: int
    source: str
    closed_at: datetime
    deal_name: str | None
    enrolment_id: int | None
    note: str | None


def pending_closures(db: sqlite3.Connection) -> list[JobClosure]:
    """Closed jobs not yet handed to the close-out sequence (nor set aside)."""
    return [JobClosure(int(r[0]), int(r[1]), r[2], datetime.fromisoformat(r[3]), r[4], r[5], r[6]) for r in db.execute(
        "SELECT id, contact_id, source, closed_at, deal_name, enrolment_id, note FROM job_closures"
        " WHERE enrolment_id IS NULL AND note IS NULL ORDER BY closed_at, id")]


def closure_sources(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT source FROM job_closures")}


def settle_closure(db: sqlite3.Connection, closure_id: int, *, enrolment_id: int | None, note: str | None) -> None:
    db.execute("UPDATE job_closures SET enrolment_id = ?, note = ? WHERE id = ?", (enrolment_id, note, closure_id))


# --- what a step needs to know about the contact ----------------------------------------------


def contact_by_email(db: sqlite3.Connection, email: str) -> int | None:
    r = db.execute("SELECT id FROM contacts WHERE lower(email) = lower(?)", (email.strip(),)).fetchone()
    return int(r[0]) if r else None


def contact_mail_facts(db: sqlite3.Connection, contact_id: int) -> dict[str, Any]:
    """Name, email, company of the contact, and their newest lead inquiry's subject, service and owner."""
    c = db.execute("SELECT name, email, company FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    i = db.execute("SELECT subject, service, owner_id FROM inquiries WHERE contact_id = ? ORDER BY received_at DESC,"
                   " id DESC LIMIT 1", (contact_id,)).fetchone()
    return {"name": c[0] if c else None, "email": c[1] if c else None, "company": c[2] if c else None,
            "subject": i[0] if i else None, "service": i[1] if i else None, "owner": i[2] if i else None}


def inbound_text(db: sqlite3.Connection, touch: Touch) -> str:
    """What the contact wrote in a touch: the thread message's new text, else the stored inquiry's body."""
    r = db.execute("SELECT new_text FROM thread_messages WHERE source = ?", (touch.source,)).fetchone()
    if r and r[0]:
        return str(r[0])
    if touch.inquiry_id is not None:
        r = db.execute("SELECT body FROM inquiries WHERE id = ?", (touch.inquiry_id,)).fetchone()
        if r and r[0]:
            return str(r[0])
    return ""


def inbound_subject(db: sqlite3.Connection, touch: Touch) -> str:
    r = db.execute("SELECT subject FROM thread_messages WHERE source = ?", (touch.source,)).fetchone()
    if r and r[0]:
        return str(r[0])
    if touch.inquiry_id is not None:
        r = db.execute("SELECT subject FROM inquiries WHERE id = ?", (touch.inquiry_id,)).fetchone()
        if r and r[0]:
            return str(r[0])
    return ""


def enrolments_without_consent(db: sqlite3.Connection) -> list[tuple[int, str]]:
    """(enrolment, consent) of active enrolments whose contact unsubscribed or bounced."""
    return [(int(r[0]), r[1]) for r in db.execute(
        "SELECT e.id, c.consent FROM followup_enrolments e JOIN contacts c ON c.id = e.contact_id"
        " WHERE e.state = 'active' AND c.consent != 'ok'")]


def set_context(db: sqlite3.Connection, enrolment_id: int, context: dict[str, Any]) -> None:
    db.execute("UPDATE followup_enrolments SET context_json = ? WHERE id = ?",
               (json.dumps(context, ensure_ascii=False, default=str), enrolment_id))


def negative_replies(db: sqlite3.Connection, min_confidence: float) -> list[Enrolment]:
    """Enrolments whose read reply was negative at or above `min_confidence` (the founder hears of them)."""
    return [_enrolment(r) for r in db.execute(
        "SELECT * FROM followup_enrolments WHERE sentiment = 'negative' AND sentiment_confidence >= ? ORDER BY id",
        (min_confidence,))]


def active_watch(db: sqlite3.Connection) -> list[tuple[int, int, str | None]]:
    """(enrolment, contact, touch_seen_at as stored) of every active enrolment: the cheap row the exit
    check compares touches with before loading an enrolment in full."""
    return [(int(r[0]), int(r[1]), r[2]) for r in db.execute(
        "SELECT id, contact_id, touch_seen_at FROM followup_enrolments WHERE state = 'active'")]


def returning_leads(db: sqlite3.Connection, sequence: str, re_engaged: Iterable[str]) -> dict[int, datetime | None]:
    """Lead contacts in no active sequence who may enter `sequence`: never in it, or their last time
    in it ended for a re-engaged reason (then: when it ended)."""
    reasons = set(re_engaged)
    out: dict[int, datetime | None] = {}
    for cid, state, reason, ended in db.execute(
            "SELECT l.id, f.state, f.exit_reason, f.ended_at FROM contacts l LEFT JOIN followup_enrolments f"
            " ON f.id = (SELECT MAX(id) FROM followup_enrolments g WHERE g.contact_id = l.id AND g.sequence = ?)"
            " WHERE NOT EXISTS (SELECT 1 FROM followup_enrolments a WHERE a.contact_id = l.id AND a.state = 'active')",
            (sequence,)):
        if state is None:
            out[int(cid)] = None
        elif state == "exited" and (reason or "").split(":")[0] in reasons:
            out[int(cid)] = _dt(ended)
    return out
