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


@migration
def m003_tasks(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        -- One piece of work with an owner, a due time and its context pack (opsys/records/tasks.py).
        CREATE TABLE tasks (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            contact_id INTEGER REFERENCES contacts(id),
            owner_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'done', 'cancelled')),
            priority INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            due_at TEXT,
            effort_hours REAL,
            rule TEXT NOT NULL,
            reason TEXT NOT NULL,
            role TEXT,
            parked INTEGER NOT NULL DEFAULT 0,
            context_json TEXT NOT NULL DEFAULT '{}',
            routing_inputs_json TEXT NOT NULL DEFAULT '{}',
            explanation_json TEXT NOT NULL DEFAULT '{}',
            closed_at TEXT,
            closed_by TEXT,
            note TEXT,
            snoozed_until TEXT,
            escalation_level INTEGER NOT NULL DEFAULT 0,
            created_event_id INTEGER NOT NULL DEFAULT 0,
            assignment_id INTEGER UNIQUE
        );
        CREATE INDEX tasks_owner_status ON tasks(owner_id, status);
        -- covers the open-load sum that routing reads for every new task
        CREATE INDEX tasks_open_load ON tasks(status, owner_id, kind, effort_hours);
        CREATE INDEX tasks_contact ON tasks(contact_id);
        CREATE INDEX tasks_subject ON tasks(subject_type, subject_id);
        -- Round robin's turn per routing rule: who got work last, so a restart continues the turn.
        CREATE TABLE routing_cursors (
            rule TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- `opsys away PERSON --from --until`: merged with team.yml's away periods.
        CREATE TABLE away_periods (
            id INTEGER PRIMARY KEY,
            person_id TEXT NOT NULL,
            start TEXT NOT NULL,
            until TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        -- The outbox also carries task alerts (assignment, escalation): inquiry_id becomes optional.
        CREATE TABLE notifications_new (
            id INTEGER PRIMARY KEY,
            inquiry_id INTEGER REFERENCES inquiries(id),
            task_id INTEGER REFERENCES tasks(id),
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
        INSERT INTO notifications_new (id, inquiry_id, person_id, url_index, title, body, status, attempts,
                                       last_error, created_at, sent_at)
            SELECT id, inquiry_id, person_id, url_index, title, body, status, attempts, last_error, created_at,
                   sent_at FROM notifications;
        DROP TABLE notifications;
        ALTER TABLE notifications_new RENAME TO notifications;
        CREATE INDEX notifications_status ON notifications(status);
        -- Every assignment becomes a task (the assignments table stays as history, no longer written).
        -- No SLA is invented for old work: due_at stays empty, so nothing escalates on upgrade; the
        -- effort is the kind's default from tasks.yml (effort_hours NULL).
        INSERT INTO tasks (kind, title, subject_type, subject_id, contact_id, owner_id, status, priority, created_at,
                           rule, reason, context_json, routing_inputs_json, closed_at, closed_by, assignment_id)
            SELECT CASE a.kind WHEN 'lead' THEN 'reply_to_lead' WHEN 'escalation' THEN 'handle_urgent_issue'
                               ELSE 'answer_client' END,
                   CASE WHEN i.subject = '' THEN '(no subject)' ELSE i.subject END,
                   'inquiry', CAST(i.id AS TEXT), i.contact_id, a.person_id, a.status,
                   CASE a.kind WHEN 'escalation' THEN 1 ELSE 3 END, a.created_at, i.route_rule, i.route_reason,
                   json_object('what_to_do', 'Answer inquiry #' || i.id || ' (moved over from an assignment of '
                               || substr(a.created_at, 1, 10) || ').', 'decisions', json_array(i.route_reason)),
                   json_object('category', i.category, 'is_lead', json(CASE i.is_lead WHEN 1 THEN 'true' ELSE 'false' END),
                               'hot', json(CASE i.hot WHEN 1 THEN 'true' ELSE 'false' END), 'score', i.score,
                               'service', i.service, 'channel', i.channel, 'client', c.client_account,
                               'client_tier', COALESCE(c.tier, 'none')),
                   a.closed_at, CASE a.status WHEN 'done' THEN 'migrated: the assignment was closed' END, a.id
            FROM assignments a JOIN inquiries i ON i.id = a.inquiry_id JOIN contacts c ON c.id = i.contact_id
            ORDER BY a.id;
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
