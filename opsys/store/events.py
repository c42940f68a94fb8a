"""The append-only audit log: every automated decision with who decided, on what inputs."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from opsys.records.events import EventKind, check_decider
from opsys.store.json_text import dumps


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _json(value: Any) -> str:
    return dumps(value, sort_keys=True)


def record_event(
    db: sqlite3.Connection,
    kind: EventKind | str,
    *,
    decided_by: str,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    inputs: dict[str, Any] | None = None,
    decision: dict[str, Any] | None = None,
    confidence: float | None = None,
    message: str = "",
) -> int:
    """Append one event; the caller's transaction makes it atomic with the change it explains.
    Kinds and deciders outside opsys.records.events are refused (ValueError): that is our bug."""
    kind = EventKind(kind)
    check_decider(decided_by)
    cur = db.execute(
        "INSERT INTO events (at, kind, subject_type, subject_id, decided_by, inputs_json, decision_json,"
        " confidence, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utcnow(), str(kind), subject_type, None if subject_id is None else str(subject_id), decided_by,
         _json(inputs or {}), _json(decision or {}), confidence, message),
    )
    return int(cur.lastrowid)


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    kind: str
    subject_type: str | None
    subject_id: str | None
    decided_by: str
    inputs: dict[str, Any]
    decision: dict[str, Any]
    confidence: float | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def list_events(db: sqlite3.Connection, *, limit: int | None = None, kind: str | None = None,
                subject: tuple[str, str] | None = None) -> list[Event]:
    sql, args = "SELECT * FROM events WHERE 1=1", []
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    if subject:
        sql += " AND subject_type = ? AND subject_id = ?"
        args += [subject[0], str(subject[1])]
    sql += " ORDER BY id"
    if limit:
        sql = f"SELECT * FROM ({sql.replace(' ORDER BY id', ' ORDER BY id DESC')} LIMIT {int(limit)}) ORDER BY id"
    return [
        Event(r["id"], r["at"], r["kind"], r["subject_type"], r["subject_id"], r["decided_by"],
              json.loads(r["inputs_json"]), json.loads(r["decision_json"]), r["confidence"], r["message"])
        for r in db.execute(sql, args)
    ]


def latest_event(db: sqlite3.Connection, kind: EventKind | str) -> Event | None:
    """The newest event of one kind (`opsys status`: the last intake, the last jobs run)."""
    r = db.execute("SELECT * FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1", (str(EventKind(kind)),)).fetchone()
    if r is None:
        return None
    return Event(r["id"], r["at"], r["kind"], r["subject_type"], r["subject_id"], r["decided_by"],
                 json.loads(r["inputs_json"]), json.loads(r["decision_json"]), r["confidence"], r["message"])
