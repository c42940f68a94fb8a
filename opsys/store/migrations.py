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


@migration
def m002_crm(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        -- One row per imported CRM export file: the snapshot every CRM event points back to.
        CREATE TABLE crm_snapshots (
            id INTEGER PRIMARY KEY,
            crm TEXT NOT NULL,
            object TEXT NOT NULL,
            layout TEXT NOT NULL,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            as_of TEXT NOT NULL,
            as_of_source TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            rows INTEGER NOT NULL,
            events INTEGER NOT NULL DEFAULT 0,
            stored_path TEXT
        );
        CREATE INDEX crm_snapshots_object ON crm_snapshots(crm, object, as_of);
        -- The current state of each deal as of the newest snapshot (events hold the history).
        CREATE TABLE crm_deals (
            crm TEXT NOT NULL,
            external_id TEXT NOT NULL,
            name TEXT NOT NULL,
            stage TEXT NOT NULL,
            stage_key TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
            value REAL,
            currency TEXT,
            owner TEXT,
            company TEXT,
            contact_name TEXT,
            contact_email TEXT,
            contact_phone TEXT,
            created_at TEXT,
            close_date TEXT,
            closed_at TEXT,
            last_activity_at TEXT,
            next_activity_at TEXT,
            next_step TEXT,
            stage_since TEXT,
            modified_at TEXT,
            pipeline TEXT,
            quiet_since TEXT,
            present INTEGER NOT NULL DEFAULT 1,
            first_snapshot INTEGER NOT NULL REFERENCES crm_snapshots(id),
            last_snapshot INTEGER NOT NULL REFERENCES crm_snapshots(id),
            lead_contact_id INTEGER REFERENCES contacts(id),
            link_rule TEXT,
            PRIMARY KEY (crm, external_id)
        );
        CREATE INDEX crm_deals_lead ON crm_deals(lead_contact_id);
        CREATE TABLE crm_contacts (
            crm TEXT NOT NULL,
            kind TEXT NOT NULL,
            external_id TEXT NOT NULL,
            name TEXT,
            email TEXT,
            phone TEXT,
            company TEXT,
            owner TEXT,
            created_at TEXT,
            last_activity_at TEXT,
            modified_at TEXT,
            status TEXT,
            source TEXT,
            present INTEGER NOT NULL DEFAULT 1,
            first_snapshot INTEGER NOT NULL REFERENCES crm_snapshots(id),
            last_snapshot INTEGER NOT NULL REFERENCES crm_snapshots(id),
            lead_contact_id INTEGER REFERENCES contacts(id),
            link_rule TEXT,
            PRIMARY KEY (crm, kind, external_id)
        );
        CREATE INDEX crm_contacts_lead ON crm_contacts(lead_contact_id);
        -- Import files written to var/outbox/crm/, and which items they carried (each is written once).
        CREATE TABLE crm_writebacks (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            crm TEXT NOT NULL,
            kind TEXT NOT NULL,
            file TEXT NOT NULL,
            rows INTEGER NOT NULL
        );
        CREATE TABLE crm_written_items (
            item_key TEXT PRIMARY KEY,
            writeback_id INTEGER NOT NULL REFERENCES crm_writebacks(id)
        );
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
            if db.in_transaction:
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
