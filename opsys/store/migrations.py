"""Schema as an ordered list of small migration functions (the simonw/llm pattern).

Add a new function at the end with @migration; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_core(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            name TEXT,
            email TEXT UNIQUE,
            phone TEXT UNIQUE,
            company TEXT,
            client_account TEXT,
            tier TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE source_files (
            sha256 TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('processed', 'quarantined')),
            stored_path TEXT,
            error TEXT,
            processed_at TEXT NOT NULL
        );
        CREATE TABLE inquiries (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            source_sha256 TEXT NOT NULL,
            source_position INTEGER NOT NULL,
            source_name TEXT NOT NULL,
            channel TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            fields_json TEXT NOT NULL DEFAULT '{}',
            attachments_json TEXT NOT NULL DEFAULT '[]',
            warnings_json TEXT NOT NULL DEFAULT '[]',
            received_at TEXT NOT NULL,
            category TEXT NOT NULL,
            category_confidence REAL NOT NULL,
            is_lead INTEGER NOT NULL,
            lead_confidence REAL NOT NULL,
            classified_by TEXT NOT NULL,
            score INTEGER NOT NULL,
            hot INTEGER NOT NULL,
            score_explanation TEXT NOT NULL,
            signals_json TEXT NOT NULL,
            budget REAL,
            service TEXT,
            route_action TEXT NOT NULL,
            route_rule TEXT NOT NULL,
            route_reason TEXT NOT NULL,
            owner_id TEXT,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (source_sha256, source_position)
        );
        CREATE INDEX inquiries_contact ON inquiries(contact_id);
        CREATE INDEX inquiries_status ON inquiries(status);
        CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            inquiry_id INTEGER NOT NULL REFERENCES inquiries(id),
            person_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'done')),
            created_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE INDEX assignments_open ON assignments(person_id, status);
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            inquiry_id INTEGER NOT NULL REFERENCES inquiries(id),
            person_id TEXT NOT NULL,
            url_index INTEGER NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        -- The audit log: every automated decision, the rule or model that made it, its inputs.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject_type TEXT,
            subject_id TEXT,
            decided_by TEXT NOT NULL,
            inputs_json TEXT NOT NULL DEFAULT '{}',
            decision_json TEXT NOT NULL DEFAULT '{}',
            confidence REAL,
            message TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX events_subject ON events(subject_type, subject_id);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        """
    )


def migrate(db: sqlite3.Connection) -> int:
    """Apply pending migrations in order; returns the schema version reached."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    done = {r[0] for r in db.execute("SELECT version FROM schema_migrations")}
    for version, fn in enumerate(MIGRATIONS, start=1):
        if version in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # another process may have migrated while we waited for the lock
            if db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                db.execute("ROLLBACK")
                continue
            fn(db)
            db.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, fn.__name__))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def run_script(db: sqlite3.Connection, sql: str) -> None:
    """Run a multi-statement script inside the caller's transaction.

    sqlite3's executescript() would COMMIT first, breaking the one-migration-one-transaction rule.
    """
    buf = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            db.execute(buf)
            buf = ""
    if buf.strip():
        db.execute(buf)
