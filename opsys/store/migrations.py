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


@migration
def m004_threads(db: sqlite3.Connection) -> None:
    """Threads (conversations by Message-ID, References, then subject), their messages, touches, consent."""
    import json
    import re

    run_script(
        db,
        """
        -- One conversation: linked to the contact and the inquiry that opened it.
        CREATE TABLE threads (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER REFERENCES contacts(id),
            inquiry_id INTEGER REFERENCES inquiries(id),
            subject TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            started_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            last_in_at TEXT,
            last_out_at TEXT,
            answered_by_them_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX threads_contact ON threads(contact_id, subject_key, last_at);
        -- Every message of a thread, in or out, with only its new text (quotes and signature split off).
        CREATE TABLE thread_messages (
            id INTEGER PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            source TEXT NOT NULL UNIQUE,
            message_id TEXT,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            sender TEXT,
            subject TEXT NOT NULL,
            new_text TEXT NOT NULL DEFAULT '',
            inquiry_id INTEGER REFERENCES inquiries(id),
            task_id INTEGER REFERENCES tasks(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX thread_messages_thread ON thread_messages(thread_id, at);
        CREATE INDEX thread_messages_message_id ON thread_messages(message_id);
        CREATE INDEX thread_messages_inquiry ON thread_messages(inquiry_id);
        -- Each Message-ID a thread has seen, its own messages' and the ones they referenced.
        CREATE TABLE thread_message_ids (
            message_id TEXT PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id)
        );
        -- Evidence of contact in any channel (opsys/store/touches.py); one touch per source.
        CREATE TABLE touches (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            channel TEXT NOT NULL,
            at TEXT NOT NULL,
            source TEXT NOT NULL UNIQUE,
            thread_id INTEGER REFERENCES threads(id),
            inquiry_id INTEGER REFERENCES inquiries(id),
            auto INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX touches_contact ON touches(contact_id, auto, at);
        -- Consent: 'ok', 'unsubscribed' (they asked) or 'undeliverable' (the address bounced).
        ALTER TABLE contacts ADD COLUMN consent TEXT NOT NULL DEFAULT 'ok';
        ALTER TABLE contacts ADD COLUMN consent_at TEXT;
        ALTER TABLE contacts ADD COLUMN consent_source TEXT;
        -- Every inquiry stored before threads existed was a touch in; it opens its own thread.
        INSERT INTO touches (contact_id, direction, channel, at, source, inquiry_id, auto, created_at)
            SELECT contact_id, 'in', channel, received_at, 'inquiry:' || id, id, 0, created_at
            FROM inquiries ORDER BY id;
        """
    )
    # Frozen here (not imported from rules/threading.py): a shipped migration must not change with the code.
    prefix = re.compile(r"^\s*(?:(?:re|aw|sv|antw|fw|fwd|wg|tr|rv)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
    rows = db.execute("SELECT id, contact_id, subject, received_at, created_at, fields_json FROM inquiries"
                      " ORDER BY id").fetchall()
    for r in rows:
        subject = r[2] or ""
        key = " ".join(prefix.sub("", subject).split()).casefold()
        cur = db.execute(
            "INSERT INTO threads (contact_id, inquiry_id, subject, subject_key, started_at, last_at, last_in_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (r[1], r[0], subject, key, r[3], r[3], r[3], r[4]))
        tid = cur.lastrowid
        mid = (json.loads(r[5] or "{}").get("message_id") or "").strip() or None
        db.execute("INSERT INTO thread_messages (thread_id, source, message_id, direction, kind, at, subject,"
                   " inquiry_id, created_at) VALUES (?, ?, ?, 'in', 'inquiry', ?, ?, ?, ?)",
                   (tid, f"inquiry:{r[0]}", mid, r[3], subject, r[0], r[4]))
        if mid:
            db.execute("INSERT OR IGNORE INTO thread_message_ids (message_id, thread_id) VALUES (?, ?)", (mid, tid))
        db.execute("UPDATE touches SET thread_id = ? WHERE source = ?", (tid, f"inquiry:{r[0]}"))


@migration
def m005_documents(db: sqlite3.Connection) -> None:
    """Invoices, timesheets and measurement sheets as stored documents, and the mismatches between them."""
    run_script(
        db,
        """
        -- One invoice, or one job/project's part of a timesheet or measurement sheet, from a dropped file.
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            file_sha256 TEXT NOT NULL,
            file_name TEXT NOT NULL,
            stored_path TEXT,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('invoice', 'timesheet', 'measurement sheet')),
            layout TEXT NOT NULL,
            label TEXT NOT NULL,
            number TEXT,
            job TEXT,
            client TEXT,
            doc_key TEXT NOT NULL,
            header_json TEXT NOT NULL DEFAULT '{}',
            lines_json TEXT NOT NULL DEFAULT '[]',
            total REAL,
            extraction TEXT NOT NULL CHECK (extraction IN ('rules', 'llm')),
            confidence REAL NOT NULL,
            check_status TEXT NOT NULL DEFAULT 'ok' CHECK (check_status IN ('ok', 'needs_check', 'confirmed')),
            check_note TEXT,
            superseded_by INTEGER REFERENCES documents(id),
            stored_at TEXT NOT NULL,
            UNIQUE (file_sha256, position)
        );
        CREATE INDEX documents_current ON documents(kind, doc_key) WHERE superseded_by IS NULL;
        -- A difference between an invoice and itself or its sheets; open until a document agrees or a person says so.
        CREATE TABLE document_mismatches (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            invoice_number TEXT NOT NULL,
            invoice_doc_id INTEGER REFERENCES documents(id),
            sheet_doc_id INTEGER REFERENCES documents(id),
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            explanation TEXT NOT NULL,
            subject TEXT,
            billed REAL,
            expected REAL,
            money_at_stake REAL,
            currency TEXT,
            refs_json TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT,
            resolved_by TEXT,
            resolution TEXT
        );
        CREATE INDEX document_mismatches_open ON document_mismatches(status, invoice_number);
        """,
    )


@migration
def m006_routing(db: sqlite3.Connection) -> None:
    """Executable workflows: which step ran for which subject (once), and the event cursor they read from."""
    run_script(
        db,
        """
        -- One automated workflow step done for one subject (a deal, an inquiry, a client): the same
        -- deal won twice, or a re-import, finds its row and opens nothing again.
        CREATE TABLE workflow_runs (
            id INTEGER PRIMARY KEY,
            workflow_id TEXT NOT NULL,
            step_id TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            contact_id INTEGER REFERENCES contacts(id),
            task_id INTEGER REFERENCES tasks(id),
            event_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (step_id, subject_type, subject_id)
        );
        CREATE INDEX workflow_runs_task ON workflow_runs(task_id);
        -- How far a reader of the audit log has got (the run_workflows job: the last event id it read).
        CREATE TABLE event_cursors (
            name TEXT PRIMARY KEY,
            event_id INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- Clients of clients.yml already seen, so `client_added` fires for new ones only.
        CREATE TABLE known_clients (
            name TEXT PRIMARY KEY,
            seen_at TEXT NOT NULL
        );
        -- History before this upgrade is not replayed: workflows start from the newest event.
        INSERT INTO event_cursors (name, event_id, updated_at)
            SELECT 'run_workflows', COALESCE(MAX(id), 0), CURRENT_TIMESTAMP FROM events;
        -- Open load per owner and kind, kept by triggers in every writer's own transaction, so routing
        -- reads a few dozen rows instead of summing every open task for each new one (a rollback undoes
        -- both). `unsized` counts open tasks without an effort: they weigh the kind's default.
        CREATE TABLE task_loads (
            owner_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            open INTEGER NOT NULL DEFAULT 0,
            hours REAL NOT NULL DEFAULT 0,
            unsized INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (owner_id, kind)
        );
        INSERT INTO task_loads (owner_id, kind, open, hours, unsized)
            SELECT owner_id, kind, COUNT(*), SUM(COALESCE(effort_hours, 0)), SUM(effort_hours IS NULL) FROM tasks
            WHERE status IN ('open', 'waiting') AND owner_id IS NOT NULL GROUP BY owner_id, kind;
        CREATE TRIGGER task_loads_insert AFTER INSERT ON tasks
            WHEN NEW.status IN ('open', 'waiting') AND NEW.owner_id IS NOT NULL
        BEGIN
            INSERT INTO task_loads (owner_id, kind, open, hours, unsized)
                VALUES (NEW.owner_id, NEW.kind, 1, COALESCE(NEW.effort_hours, 0), NEW.effort_hours IS NULL)
                ON CONFLICT (owner_id, kind) DO UPDATE SET open = open + 1, hours = hours + excluded.hours,
                                                         unsized = unsized + excluded.unsized;
        END;
        CREATE TRIGGER task_loads_update_old AFTER UPDATE OF status, owner_id, kind, effort_hours ON tasks
            WHEN OLD.status IN ('open', 'waiting') AND OLD.owner_id IS NOT NULL
        BEGIN
            UPDATE task_loads SET open = open - 1, hours = hours - COALESCE(OLD.effort_hours, 0),
                                  unsized = unsized - (OLD.effort_hours IS NULL)
                WHERE owner_id = OLD.owner_id AND kind = OLD.kind;
        END;
        CREATE TRIGGER task_loads_update_new AFTER UPDATE OF status, owner_id, kind, effort_hours ON tasks
            WHEN NEW.status IN ('open', 'waiting') AND NEW.owner_id IS NOT NULL
        BEGIN
            INSERT INTO task_loads (owner_id, kind, open, hours, unsized)
                VALUES (NEW.owner_id, NEW.kind, 1, COALESCE(NEW.effort_hours, 0), NEW.effort_hours IS NULL)
                ON CONFLICT (owner_id, kind) DO UPDATE SET open = open + 1, hours = hours + excluded.hours,
                                                         unsized = unsized + excluded.unsized;
        END;
        CREATE TRIGGER task_loads_delete AFTER DELETE ON tasks
            WHEN OLD.status IN ('open', 'waiting') AND OLD.owner_id IS NOT NULL
        BEGIN
            UPDATE task_loads SET open = open - 1, hours = hours - COALESCE(OLD.effort_hours, 0),
                                  unsized = unsized - (OLD.effort_hours IS NULL)
                WHERE owner_id = OLD.owner_id AND kind = OLD.kind;
        END;
        """,
    )


@migration
def m007_founder(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        -- `opsys ack ID`: the item stays off the founder's page until its fingerprint changes.
        CREATE TABLE founder_acks (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            by TEXT NOT NULL
        );
        -- The judgment label of each inbound message (discount, scope change, ...), classified once;
        -- a message is an inquiry ("inquiry:12") or a later mail on its thread ("thread_message:40").
        CREATE TABLE founder_judgments (
            message_key TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            confidence REAL NOT NULL,
            model_key TEXT NOT NULL,
            at TEXT NOT NULL
        );
        -- Open pipeline value as of each deals export seen, for the week-on-week comparison.
        CREATE TABLE founder_pipeline_values (
            as_of TEXT PRIMARY KEY,
            open_value REAL NOT NULL,
            deals INTEGER NOT NULL
        );
        -- Each page build's `now` and the newest event then: "since yesterday" is counted in events
        -- after the build a day ago, so a replayed `--now` counts what happened in its own day.
        CREATE TABLE founder_builds (
            at TEXT PRIMARY KEY,
            last_event_id INTEGER NOT NULL
        );
        -- the handled counts and the digest check read events by kind and time
        CREATE INDEX events_kind_at ON events(kind, at);
        CREATE INDEX inquiries_received ON inquiries(received_at);
        """
    )


@migration
def m008_outbox(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        -- One row per mail opsys sends (or writes as .eml for a person to send). The Message-ID is made
        -- when the mail is queued, so a retried send and the Sent folder's copy carry the same one.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            message_id TEXT NOT NULL UNIQUE,
            contact_id INTEGER REFERENCES contacts(id),
            to_addr TEXT NOT NULL,
            from_addr TEXT,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            in_reply_to TEXT,
            rule TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('queued', 'waiting_approval', 'sending', 'sent', 'failed', 'rejected', 'written')),
            approval TEXT NOT NULL DEFAULT 'auto' CHECK (approval IN ('auto', 'required')),
            timezone TEXT,
            not_before TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT,
            written_path TEXT,
            draft_json TEXT,
            decided_by TEXT,
            decided_at TEXT,
            note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX outbox_status ON outbox(status, next_attempt_at);
        -- the per-hour rate limit counts what went out in the last hour
        CREATE INDEX outbox_sent_at ON outbox(sent_at) WHERE sent_at IS NOT NULL;
        """
    )


@migration
def m009_followup(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        -- A contact in a follow-up sequence of sequences.yml; `step` is the next step to run.
        CREATE TABLE followup_enrolments (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            sequence TEXT NOT NULL,
            trigger TEXT NOT NULL,
            subject TEXT,
            step INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL CHECK (state IN ('active', 'exited', 'done')),
            exit_reason TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            deal_crm TEXT,
            deal_id TEXT,
            deal_stage TEXT,
            touch_seen_at TEXT,
            reply_source TEXT,
            sentiment TEXT,
            sentiment_confidence REAL,
            context_json TEXT NOT NULL DEFAULT '{}'
        );
        -- never two sequences at once: the store refuses a second active enrolment of a contact
        CREATE UNIQUE INDEX followup_one_active ON followup_enrolments(contact_id) WHERE state = 'active';
        CREATE INDEX followup_enrolments_seq ON followup_enrolments(sequence, contact_id, started_at);
        -- Durable timers: due once, fired once (the key is unique), late ones say how late.
        CREATE TABLE followup_timers (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            enrolment_id INTEGER NOT NULL REFERENCES followup_enrolments(id),
            step INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            rule TEXT NOT NULL,
            payload_json TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            fired_at TEXT,
            late_by_seconds REAL,
            outcome TEXT,
            cancelled_at TEXT
        );
        CREATE INDEX followup_timers_due ON followup_timers(due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
        CREATE INDEX followup_timers_enrolment ON followup_timers(enrolment_id);
        -- After a sequence ends a contact waits until `until` before another may start.
        CREATE TABLE followup_cooldowns (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),
            until TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        -- A job closed (a deal entered a delivered stage, or `opsys job close`): once per source.
        CREATE TABLE job_closures (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            source TEXT NOT NULL UNIQUE,
            closed_at TEXT NOT NULL,
            deal_name TEXT,
            recorded_at TEXT NOT NULL,
            enrolment_id INTEGER REFERENCES followup_enrolments(id),
            note TEXT
        );
        """
    )


@migration
def m010_mailbox(db: sqlite3.Connection) -> None:
    """The mailbox ledger: each folder's UIDVALIDITY, each message fetched and what intake made of it,
    and the gaps the last reconciliation found (the founder page reads those)."""
    run_script(
        db,
        """
        CREATE TABLE mail_folders (
            mailbox TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            watermark INTEGER NOT NULL DEFAULT 0,
            since TEXT NOT NULL,
            PRIMARY KEY (mailbox, folder)
        );
        CREATE TABLE mail_messages (
            id INTEGER PRIMARY KEY,
            mailbox TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid TEXT NOT NULL,
            message_id TEXT,
            sha256 TEXT NOT NULL,
            date TEXT,
            subject TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL CHECK (outcome IN ('inquiry', 'touch', 'dismissed', 'quarantined')),
            ref TEXT NOT NULL,
            done_at TEXT NOT NULL,
            UNIQUE (mailbox, folder, uidvalidity, uid)
        );
        CREATE INDEX mail_messages_message_id ON mail_messages(mailbox, folder, message_id);
        CREATE INDEX mail_messages_sha256 ON mail_messages(mailbox, folder, sha256);
        CREATE TABLE mail_gaps (
            mailbox TEXT NOT NULL,
            folder TEXT NOT NULL,
            uid TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            date TEXT,
            subject TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            found_at TEXT NOT NULL,
            PRIMARY KEY (mailbox, folder, uid)
        );
        CREATE TABLE mail_reconciliations (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            local_day TEXT NOT NULL,
            days INTEGER NOT NULL,
            listed INTEGER NOT NULL,
            gaps INTEGER NOT NULL,
            problems INTEGER NOT NULL
        );
        """
    )
