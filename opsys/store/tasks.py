"""Tasks, the round-robin cursors, `opsys away` periods, and the evidence that closes a task.

Times are stored as UTC ISO text, so text order is time order. A task's effort may be empty
(moved over from an assignment): loads then count the kind's default effort from tasks.yml.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from opsys.config.calendar_models import AwayPeriod
from opsys.records.tasks import ContextPack, Task
from opsys.rules.task_routing import Load
from opsys.store.json_text import dumps, loads
from opsys.store.times import from_iso as _dt, to_iso


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else to_iso(dt, seconds=True)


OPEN = ("open", "waiting")


@dataclass(frozen=True)
class NewTask:
    """A routed task about to be stored."""

    kind: str
    title: str
    subject_type: str
    subject_id: str
    contact_id: int | None
    owner_id: str | None
    priority: int
    created_at: datetime
    due_at: datetime | None
    effort_hours: float | None
    rule: str
    reason: str
    role: str | None
    parked: bool
    context: ContextPack
    routing_inputs: dict[str, Any]
    explanation: dict[str, Any]


def _json_columns(t: NewTask) -> tuple[str, str, str]:
    return dumps(t.context.as_dict()), dumps(t.routing_inputs), dumps(t.explanation)


def insert_task(db: sqlite3.Connection, t: NewTask) -> int:
    return add_task(db, t).id


def add_task(db: sqlite3.Connection, t: NewTask) -> Task:
    """Insert the task and return it as get_task would read it back (times and JSON as stored), without
    the read: a lead list opens thousands."""
    context, inputs, explanation = _json_columns(t)
    created, due = _iso(t.created_at), _iso(t.due_at)
    cur = db.execute(
        """INSERT INTO tasks (kind, title, subject_type, subject_id, contact_id, owner_id, status, priority,
           created_at, due_at, effort_hours, rule, reason, role, parked, context_json, routing_inputs_json,
           explanation_json) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (t.kind, t.title, t.subject_type, str(t.subject_id), t.contact_id, t.owner_id, t.priority, created,
         due, t.effort_hours, t.rule, t.reason, t.role, int(t.parked), context, inputs, explanation))
    return Task(id=int(cur.lastrowid), kind=t.kind, title=t.title, subject_type=t.subject_type,
                subject_id=str(t.subject_id), contact_id=t.contact_id, owner_id=t.owner_id, status="open",
                priority=t.priority, created_at=_dt(created), due_at=_dt(due),  # type: ignore[arg-type]
                effort_hours=t.effort_hours, rule=t.rule, reason=t.reason,
                context=ContextPack.from_dict(loads(context)), parked=t.parked, role=t.role, closed_at=None,
                closed_by=None, note=None, snoozed_until=None, escalation_level=0,
                routing_inputs=loads(inputs), explanation=loads(explanation),
                created_event_id=0)  # set_created_event gives it once the creation is recorded


def set_created_event(db: sqlite3.Connection, task_id: int, event_id: int) -> None:
    """Evidence that closes the task must be newer than this event."""
    db.execute("UPDATE tasks SET created_event_id = ? WHERE id = ?", (event_id, task_id))


def _task(r: sqlite3.Row) -> Task:
    return Task(id=r["id"], kind=r["kind"], title=r["title"], subject_type=r["subject_type"],
                subject_id=r["subject_id"], contact_id=r["contact_id"], owner_id=r["owner_id"], status=r["status"],
                priority=r["priority"], created_at=_dt(r["created_at"]), due_at=_dt(r["due_at"]),  # type: ignore[arg-type]
                effort_hours=r["effort_hours"], rule=r["rule"], reason=r["reason"],
                context=ContextPack.from_dict(json.loads(r["context_json"])), parked=bool(r["parked"]),
                role=r["role"], closed_at=_dt(r["closed_at"]), closed_by=r["closed_by"], note=r["note"],
                snoozed_until=_dt(r["snoozed_until"]), escalation_level=r["escalation_level"],
                routing_inputs=json.loads(r["routing_inputs_json"]), explanation=json.loads(r["explanation_json"]),
                created_event_id=r["created_event_id"])


def get_task(db: sqlite3.Connection, task_id: int) -> Task | None:
    r = db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return None if r is None else _task(r)


def list_tasks(db: sqlite3.Connection, *, person: str | None = None, statuses: Iterable[str] | None = OPEN,
               kinds: Iterable[str] | None = None, contact_id: int | None = None, parked: bool | None = None,
               subject: tuple[str, str] | None = None) -> list[Task]:
    """Tasks by due time (no due time last), then priority and id; `statuses=None` means all."""
    where, args = [], []
    if person is not None:
        where.append("owner_id = ?")
        args.append(person)
    for col, values in (("status", statuses), ("kind", kinds)):
        if values is not None:
            values = list(values)
            where.append(f"{col} IN ({', '.join('?' * len(values))})")
            args += values
    if contact_id is not None:
        where.append("contact_id = ?")
        args.append(contact_id)
    if parked is not None:
        where.append("parked = ?")
        args.append(int(parked))
    if subject is not None:
        where.append("subject_type = ? AND subject_id = ?")
        args += [subject[0], str(subject[1])]
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return [_task(r) for r in db.execute(
        f"SELECT * FROM tasks {clause} ORDER BY due_at IS NULL, due_at, priority, id", args)]


def open_loads(db: sqlite3.Connection, default_effort: Mapping[str, float] | None = None) -> dict[str, Load]:
    """Each owner's open tasks and open effort in hours (an empty effort counts the kind's default)."""
    # task_loads is kept by triggers (migration m006_routing): one row per person here, not every open task
    out = {r[0]: [r[1], r[2]] for r in db.execute(
        "SELECT owner_id, SUM(open), SUM(hours) FROM task_loads WHERE open > 0 GROUP BY owner_id")}
    for r in db.execute("SELECT owner_id, kind, unsized FROM task_loads WHERE unsized > 0"):
        out[r[0]][1] += r[2] * (default_effort or {}).get(r[1], 0.0)
    return {k: Load(int(v[0]), round(v[1], 4)) for k, v in out.items()}


def open_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Open tasks per owner (what pages and the pipeline dashboard show as load)."""
    return {k: v.count for k, v in open_loads(db).items()}


def set_status(db: sqlite3.Connection, task_id: int, status: str, *, at: datetime, by: str,
               note: str | None = None) -> None:
    closed = status in ("done", "cancelled")
    db.execute("UPDATE tasks SET status = ?, closed_at = ?, closed_by = ?, note = COALESCE(?, note) WHERE id = ?",
               (status, _iso(at) if closed else None, by if closed else None, note, task_id))


def set_owner(db: sqlite3.Connection, task_id: int, owner_id: str | None, *, rule: str, reason: str,
              parked: bool, explanation: dict[str, Any], role: str | None = None) -> None:
    """A new owner, and why; escalation starts again for the new owner."""
    db.execute("UPDATE tasks SET owner_id = ?, rule = ?, reason = ?, parked = ?, explanation_json = ?,"
               " role = COALESCE(?, role), escalation_level = 0 WHERE id = ?",
               (owner_id, rule, reason, int(parked), json.dumps(explanation, ensure_ascii=False, default=str),
                role, task_id))


def set_snooze(db: sqlite3.Connection, task_id: int, until: datetime, due_at: datetime | None) -> None:
    """Waiting until `until`; the due time moves with it so no escalation fires while snoozed."""
    db.execute("UPDATE tasks SET status = 'waiting', snoozed_until = ?, due_at = ?, escalation_level = 0"
               " WHERE id = ?", (_iso(until), _iso(due_at), task_id))


def wake(db: sqlite3.Connection, now: datetime) -> list[int]:
    """Snoozed tasks whose time has come are open again."""
    ids = [r[0] for r in db.execute("SELECT id FROM tasks WHERE status = 'waiting' AND snoozed_until <= ?",
                                    (_iso(now),))]
    db.executemany("UPDATE tasks SET status = 'open' WHERE id = ?", [(i,) for i in ids])
    return ids


def set_escalation(db: sqlite3.Connection, task_id: int, level: int) -> None:
    db.execute("UPDATE tasks SET escalation_level = ? WHERE id = ?", (level, task_id))


def cursors(db: sqlite3.Connection) -> dict[str, str]:
    """Round robin: the person each rule gave work to last."""
    return {r[0]: r[1] for r in db.execute("SELECT rule, person_id FROM routing_cursors")}


def set_cursor(db: sqlite3.Connection, rule: str, person_id: str, at: datetime) -> None:
    db.execute("INSERT INTO routing_cursors (rule, person_id, updated_at) VALUES (?, ?, ?)"
               " ON CONFLICT(rule) DO UPDATE SET person_id = excluded.person_id, updated_at = excluded.updated_at",
               (rule, person_id, _iso(at)))


def previous_owners(db: sqlite3.Connection, contact_id: int | None) -> tuple[str, ...]:
    """Who had this contact's tasks, newest first (each once)."""
    if contact_id is None:
        return ()
    rows = db.execute("SELECT owner_id FROM tasks WHERE contact_id = ? AND owner_id IS NOT NULL"
                      " ORDER BY created_at DESC, id DESC", (contact_id,))
    return tuple(dict.fromkeys(r[0] for r in rows))


def add_away(db: sqlite3.Connection, person_id: str, start: date, until: date, note: str, at: datetime) -> int:
    cur = db.execute("INSERT INTO away_periods (person_id, start, until, note, created_at) VALUES (?, ?, ?, ?, ?)",
                     (person_id, start.isoformat(), until.isoformat(), note, _iso(at)))
    return int(cur.lastrowid)


def away_periods(db: sqlite3.Connection) -> dict[str, list[AwayPeriod]]:
    """Periods set with `opsys away`, by person."""
    out: dict[str, list[AwayPeriod]] = {}
    for r in db.execute("SELECT person_id, start, until, note FROM away_periods ORDER BY start"):
        out.setdefault(r[0], []).append(AwayPeriod(start=date.fromisoformat(r[1]), until=date.fromisoformat(r[2]),
                                                   note=r[3]))
    return out


@dataclass(frozen=True)
class Evidence:
    """Something that shows the work happened: an event (CRM) or a later inquiry (the sender's reply)."""

    kind: str  # activity_recorded | deal_stage_changed | reply
    ref: str  # "event 42" or "inquiry 17"
    message: str


def crm_evidence(db: sqlite3.Connection, contact_id: int, after_event_id: int, since: datetime) -> Evidence | None:
    """A CRM activity or stage change, newer than the task, on a deal or CRM contact linked to the contact."""
    r = db.execute(
        """SELECT e.id, e.kind, e.message, e.decision_json FROM events e
           WHERE e.id > ? AND e.kind IN ('activity_recorded', 'deal_stage_changed') AND (
             (e.subject_type = 'deal' AND e.subject_id IN
                (SELECT crm || ':' || external_id FROM crm_deals WHERE lead_contact_id = ?))
             OR (e.subject_type = 'crm_contact' AND e.subject_id IN
                (SELECT crm || ':' || kind || ':' || external_id FROM crm_contacts WHERE lead_contact_id = ?)))
           ORDER BY e.id""", (after_event_id, contact_id, contact_id)).fetchall()
    for row in r:
        when = json.loads(row[3]).get("last_activity_at")
        if row[1] == "activity_recorded" and when and when[:10] < _iso(since)[:10]:  # type: ignore[index]
            continue  # an export imported late that shows activity from before the task: not this work
        return Evidence(row[1], f"event {row[0]}", row[2])
    return None


def reply_evidence(db: sqlite3.Connection, contact_id: int, after_inquiry_id: int, subject: str) -> Evidence | None:
    """A later inquiry from the same contact replying on the same thread ("Re: <subject>")."""
    want = _thread(subject)
    if not want:
        return None
    for r in db.execute("SELECT id, subject, channel FROM inquiries WHERE contact_id = ? AND id > ? ORDER BY id",
                        (contact_id, after_inquiry_id)):
        if _is_reply(r[1]) and _thread(r[1]) == want:
            return Evidence("reply", f"inquiry {r[0]}", f"the sender replied on the thread ({r[2]}): {r[1]!r}")
    return None


_PREFIXES = ("re:", "aw:", "sv:", "antw:", "fw:", "fwd:", "wg:")


def _is_reply(subject: str) -> bool:
    return subject.strip().lower().startswith(_PREFIXES[:4])


def _thread(subject: str) -> str:
    s = " ".join(subject.split()).lower()
    while s.startswith(_PREFIXES):
        s = s.split(":", 1)[1].strip()
    return s


def inquiry_history(db: sqlite3.Connection, contact_id: int, limit: int = 8) -> list[str]:
    """The contact's earlier inquiries across channels, oldest first, one short line each."""
    rows = db.execute("SELECT id, received_at, channel, subject, category, owner_id FROM inquiries"
                      " WHERE contact_id = ? ORDER BY received_at DESC, id DESC LIMIT ?",
                      (contact_id, limit)).fetchall()
    return [f"{r[1][:10]} {r[2]} #{r[0]}: {r[3] or '(no subject)'} ({r[4]}, owner {r[5] or 'none'})"
            for r in reversed(rows)]


def contact_deal(db: sqlite3.Connection, contact_id: int) -> tuple[str, str, float | None] | None:
    """The contact's newest linked CRM deal: name, stage, value."""
    r = db.execute("SELECT name, stage, value FROM crm_deals WHERE lead_contact_id = ? AND present = 1"
                   " ORDER BY status = 'open' DESC, modified_at DESC LIMIT 1", (contact_id,)).fetchone()
    return None if r is None else (r[0], r[1], r[2])


def contact_summary(db: sqlite3.Connection, contact_id: int) -> dict[str, Any] | None:
    r = db.execute("SELECT name, email, phone, company, client_account, tier FROM contacts WHERE id = ?",
                   (contact_id,)).fetchone()
    return None if r is None else dict(zip(r.keys(), tuple(r)))


def last_event_id(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])


# --- executable workflows ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedEvent:
    """An audit-log event as the workflow triggers read it."""

    id: int
    kind: str
    subject_type: str | None
    subject_id: str | None
    decision: dict[str, Any]


def events_after(db: sqlite3.Connection, after_id: int, kinds: Iterable[str]) -> list[LoggedEvent]:
    """Events of `kinds` newer than `after_id`, oldest first."""
    kinds = list(kinds)
    return [LoggedEvent(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in db.execute(
        f"SELECT id, kind, subject_type, subject_id, decision_json FROM events WHERE id > ?"
        f" AND kind IN ({', '.join('?' * len(kinds))}) ORDER BY id", (after_id, *kinds))]


def event_cursor(db: sqlite3.Connection, name: str) -> int | None:
    """The last event id the reader `name` has handled; None before its first run."""
    r = db.execute("SELECT event_id FROM event_cursors WHERE name = ?", (name,)).fetchone()
    return None if r is None else int(r[0])


def set_event_cursor(db: sqlite3.Connection, name: str, event_id: int, at: datetime) -> None:
    db.execute("INSERT INTO event_cursors (name, event_id, updated_at) VALUES (?, ?, ?) ON CONFLICT(name)"
               " DO UPDATE SET event_id = excluded.event_id, updated_at = excluded.updated_at",
               (name, event_id, _iso(at)))


def claim_workflow_run(db: sqlite3.Connection, workflow_id: str, step_id: str, subject: tuple[str, str],
                       contact_id: int | None, event_id: int, at: datetime) -> int | None:
    """The run's id when this step has not run for this subject yet (and now has); None when it has."""
    cur = db.execute("INSERT OR IGNORE INTO workflow_runs (workflow_id, step_id, subject_type, subject_id,"
                     " contact_id, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (workflow_id, step_id, subject[0], str(subject[1]), contact_id, event_id, _iso(at)))
    return int(cur.lastrowid) if cur.rowcount else None


def set_run_task(db: sqlite3.Connection, run_id: int, task_id: int) -> None:
    db.execute("UPDATE workflow_runs SET task_id = ? WHERE id = ?", (task_id, run_id))


@dataclass(frozen=True)
class WorkflowRun:
    workflow_id: str
    step_id: str
    subject_type: str
    subject_id: str
    contact_id: int | None
    task_id: int | None


def runs_of_tasks(db: sqlite3.Connection, task_ids: Iterable[int]) -> dict[int, WorkflowRun]:
    """The workflow step each of these tasks was opened by (tasks opened otherwise are absent)."""
    ids = [int(t) for t in task_ids]
    if not ids:
        return {}
    rows = db.execute(f"SELECT workflow_id, step_id, subject_type, subject_id, contact_id, task_id FROM workflow_runs"
                      f" WHERE task_id IN ({', '.join('?' * len(ids))})", ids)
    return {r[5]: WorkflowRun(*r) for r in rows}


def workflow_runs(db: sqlite3.Connection) -> list[WorkflowRun]:
    return [WorkflowRun(*r) for r in db.execute(
        "SELECT workflow_id, step_id, subject_type, subject_id, contact_id, task_id FROM workflow_runs ORDER BY id")]


def deal_by_subject(db: sqlite3.Connection, subject_id: str) -> dict[str, Any] | None:
    """A deal by its event subject `crm:external_id`: name, stage, value, company, linked contact."""
    crm, _, ext = subject_id.partition(":")
    r = db.execute("SELECT name, stage, value, company, owner, lead_contact_id FROM crm_deals"
                   " WHERE crm = ? AND external_id = ?", (crm, ext)).fetchone()
    return None if r is None else dict(zip(("name", "stage", "value", "company", "owner", "contact_id"), tuple(r)))


def inquiry_brief(db: sqlite3.Connection, inquiry_id: int) -> dict[str, Any] | None:
    r = db.execute("SELECT contact_id, subject, service, channel FROM inquiries WHERE id = ?",
                   (inquiry_id,)).fetchone()
    return None if r is None else dict(zip(("contact_id", "subject", "service", "channel"), tuple(r)))


def known_clients(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM known_clients")}


def add_known_clients(db: sqlite3.Connection, names: Iterable[str], at: datetime) -> None:
    db.executemany("INSERT OR IGNORE INTO known_clients (name, seen_at) VALUES (?, ?)",
                   [(n, _iso(at)) for n in names])


def contacts_brief(db: sqlite3.Connection, contact_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Name, email, phone, company of each contact (for the work pages), in one read."""
    ids = sorted({int(i) for i in contact_ids})
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in db.execute(f"SELECT id, name, email, phone, company FROM contacts WHERE id IN"
                            f" ({', '.join('?' * len(chunk))})", chunk):
            out[r[0]] = {"name": r[1], "email": r[2], "phone": r[3], "company": r[4]}
    return out


# --- replay -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    """One routing decision of the past, with what it read: a task, or an inquiry that got none (spam)."""

    ref: str  # "task 12" | "inquiry 5"
    at: datetime
    title: str
    kind: str | None  # the task's kind; None for an inquiry without a task
    subject_type: str
    contact_id: int | None
    inputs: dict[str, Any]
    effort_hours: float | None
    closed_at: datetime | None
    rule: str
    owner_id: str | None


def routing_history(db: sqlite3.Connection) -> list[HistoryItem]:
    """Every task (its stored routing inputs) and every inquiry without a task, oldest first."""
    out = [HistoryItem(f"task {r[0]}", _dt(r[1]), r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], _dt(r[8]),  # type: ignore[arg-type]
                       r[9], r[10])
           for r in db.execute("SELECT id, created_at, title, kind, subject_type, contact_id, routing_inputs_json,"
                               " effort_hours, closed_at, rule, owner_id FROM tasks")]
    for r in db.execute(
            """SELECT i.id, i.received_at, i.subject, i.contact_id, i.category, i.is_lead, i.hot, i.score, i.service,
                      i.channel, c.client_account, c.tier, i.route_rule, i.owner_id
               FROM inquiries i JOIN contacts c ON c.id = i.contact_id
               WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.subject_type = 'inquiry'
                                 AND t.subject_id = CAST(i.id AS TEXT))"""):
        inputs = {"category": r[4], "is_lead": bool(r[5]), "hot": bool(r[6]), "score": r[7], "service": r[8],
                  "channel": r[9], "client": r[10], "client_tier": r[11] or "none"}
        out.append(HistoryItem(f"inquiry {r[0]}", _dt(r[1]), r[2] or "(no subject)", None, "inquiry", r[3], inputs,  # type: ignore[arg-type]
                               None, None, r[12], r[13]))
    out.sort(key=lambda h: (h.at, h.ref))
    return out
