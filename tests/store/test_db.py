import sqlite3
import subprocess
import sys
import textwrap

import pytest

from opsys.store.db import connect, write_transaction
from opsys.store.events import list_events, record_event
from opsys.store.migrations import MIGRATIONS


def test_migrations_run_once_and_record_version(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    db.close()
    db = connect(tmp_path / "s.sqlite3")  # reopening applies nothing twice
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_events_are_append_only(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    with write_transaction(db):
        eid = record_event(db, "routed", decided_by="rule:x", inputs={"score": 70}, confidence=0.9)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE events SET kind = 'edited' WHERE id = ?", (eid,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM events")
    (e,) = list_events(db)
    assert e.kind == "routed" and e.inputs == {"score": 70} and e.confidence == 0.9


def test_foreign_keys_enforced(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO assignments (inquiry_id, person_id, kind, status, created_at)"
                   " VALUES (999, 'x', 'lead', 'open', 'now')")


def test_concurrent_writers_lose_no_update(tmp_path):
    """Two processes appending at once: BEGIN IMMEDIATE + busy_timeout serialise them."""
    path = tmp_path / "s.sqlite3"
    connect(path).close()
    script = textwrap.dedent(f"""
        from pathlib import Path
        from opsys.store.db import connect, write_transaction
        from opsys.store.events import record_event
        db = connect(Path({str(path)!r}))
        for i in range(200):
            with write_transaction(db):
                n = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                record_event(db, "jobs_run", decided_by="jobs", inputs={{"seen": n}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    db = connect(path)
    seen = [e.inputs["seen"] for e in list_events(db)]
    # every writer saw the count left by the previous one: no two transactions overlapped
    assert sorted(seen) == list(range(400))
