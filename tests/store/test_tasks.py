"""The tasks store on real SQLite: the migration from assignments, loads in hours, cursors, evidence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from zoneinfo import ZoneInfo

from opsys.records.tasks import ContextPack, DealContext
from opsys.store.db import connect, write_transaction
from opsys.store.migrations import MIGRATIONS, migrate
from opsys.store.tasks import (
    NewTask,
    add_away,
    add_task,
    away_periods,
    cursors,
    get_task,
    insert_task,
    list_tasks,
    open_loads,
    previous_owners,
    reply_evidence,
    set_cursor,
    set_status,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _old_database(path) -> sqlite3.Connection:
    """A database as the release before tasks left it: schema 1-2, with assignments and a notification."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    m003 = next(i for i, fn in enumerate(MIGRATIONS) if fn.__name__ == "m003_tasks")
    for version, fn in enumerate(MIGRATIONS[:m003], start=1):
        fn(db)
        db.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, fn.__name__))
    db.execute("INSERT INTO contacts (id, name, email, tier, client_account, created_at, updated_at)"
               " VALUES (1, 'Ann', 'ann@x.example', 'gold', 'Harbor', 't', 't')")
    for iid, kind, status in ((1, "lead", "open"), (2, "escalation", "open"), (3, "client", "done"), (4, "other", "open")):
        db.execute("INSERT INTO inquiries (id, contact_id, source_sha256, source_position, source_name, channel, subject,"
                   " body, received_at, category, category_confidence, is_lead, lead_confidence, classified_by, score,"
                   " hot, score_explanation, signals_json, route_action, route_rule, route_reason, owner_id, status,"
                   " created_at) VALUES (?, 1, 'sha', ?, 'f', 'email', ?, 'b', '2026-11-20T10:00:00+00:00', 'routine',"
                   " 0.9, ?, 0.9, 'x', 70, 1, 'e', '[]', 'queue', 'other-leads-queue', 'why', 'jordan', 'queued', 't')",
                   (iid, iid, f"Subject {iid}", int(kind == "lead")))
        db.execute("INSERT INTO assignments (inquiry_id, person_id, kind, status, created_at, closed_at)"
                   " VALUES (?, 'jordan', ?, ?, '2026-11-20T10:00:00+00:00', ?)",
                   (iid, kind, status, "2026-11-21T10:00:00+00:00" if status == "done" else None))
    db.execute("INSERT INTO notifications (inquiry_id, person_id, url_index, title, body, status, created_at)"
               " VALUES (1, 'jordan', 0, 'Hot lead', 'b', 'sent', 't')")
    return db


def test_migration_turns_every_assignment_into_a_task(tmp_path):
    path = tmp_path / "old.sqlite3"
    _old_database(path).close()
    db = connect(path)  # applies m003
    tasks = {t.subject_id: t for t in list_tasks(db, statuses=None)}
    assert {k: (t.kind, t.status, t.owner_id, t.priority) for k, t in tasks.items()} == {
        "1": ("reply_to_lead", "open", "jordan", 3), "2": ("handle_urgent_issue", "open", "jordan", 1),
        "3": ("answer_client", "done", "jordan", 3), "4": ("answer_client", "open", "jordan", 3)}
    one = tasks["1"]
    assert one.due_at is None and one.effort_hours is None  # no SLA invented: nothing escalates on upgrade
    assert one.routing_inputs["client_tier"] == "gold" and one.routing_inputs["is_lead"] is True
    assert one.reason == "why" and "Answer inquiry #1" in one.context.what_to_do
    assert tasks["3"].closed_by.startswith("migrated")
    # the outbox kept its rows and can now carry task alerts
    assert [tuple(r) for r in db.execute("SELECT title, status, task_id FROM notifications")] == [("Hot lead", "sent", None)]
    assert db.execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 4  # kept as history
    # an empty effort counts the kind's default
    assert open_loads(db, {"reply_to_lead": 0.5, "handle_urgent_issue": 2.0, "answer_client": 0.5})["jordan"].hours == 3.0
    assert migrate(db) == len(MIGRATIONS)  # nothing twice


def _task(db, owner="jordan", contact=None, kind="reply_to_lead", effort=0.5, subject=("deal", "x")):
    with write_transaction(db):
        return insert_task(db, NewTask(kind, "T", subject[0], subject[1], contact, owner, 3, NOW, NOW, effort, "r",
                                       "why", "sales", False, ContextPack("do it"), {}, {}))


def test_loads_count_open_and_waiting_effort_only(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    a, b, _ = _task(db), _task(db, effort=2.0), _task(db, owner="leo")
    with write_transaction(db):
        set_status(db, a, "done", at=NOW, by="person:jordan")
    loads = open_loads(db)
    assert (loads["jordan"].count, loads["jordan"].hours, loads["leo"].count) == (1, 2.0, 1)
    assert get_task(db, a).closed_by == "person:jordan" and get_task(db, b).is_open
    assert get_task(db, 999) is None


def test_round_robin_cursor_survives_a_restart(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    with write_transaction(db):
        set_cursor(db, "rr", "priya", NOW)
        set_cursor(db, "rr", "sam", NOW)
    db.close()
    assert cursors(connect(tmp_path / "s.sqlite3")) == {"rr": "sam"}


def test_previous_owners_newest_first_and_away_periods(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    db.execute("INSERT INTO contacts (id, name, created_at, updated_at) VALUES (7, 'C', 't', 't')")
    _task(db, owner="priya", contact=7)
    _task(db, owner="sam", contact=7)
    _task(db, owner="priya", contact=7)
    assert previous_owners(db, 7) == ("priya", "sam")
    with write_transaction(db):
        add_away(db, "leo", date(2026, 12, 1), date(2026, 12, 3), "conference", NOW)
    (p,) = away_periods(db)["leo"]
    assert (p.start, p.until, p.note) == (date(2026, 12, 1), date(2026, 12, 3), "conference")


def test_reply_evidence_needs_a_reply_on_the_same_thread(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    db.execute("INSERT INTO contacts (id, name, created_at, updated_at) VALUES (1, 'C', 't', 't')")

    def inquiry(iid, subject):
        db.execute("INSERT INTO inquiries (id, contact_id, source_sha256, source_position, source_name, channel,"
                   " subject, body, received_at, category, category_confidence, is_lead, lead_confidence,"
                   " classified_by, score, hot, score_explanation, signals_json, route_action, route_rule,"
                   " route_reason, status, created_at) VALUES (?, 1, 's', ?, 'f', 'email', ?, 'b', 't', 'routine',"
                   " 1, 1, 1, 'x', 1, 0, 'e', '[]', 'queue', 'r', 'r', 'queued', 't')", (iid, iid, subject))

    inquiry(1, "New website")
    inquiry(2, "New website")  # a second fresh mail is not a reply
    inquiry(3, "Re: something else")
    assert reply_evidence(db, 1, 1, "New website") is None
    inquiry(4, "RE:  re: New  website")
    ev = reply_evidence(db, 1, 1, "New website")
    assert ev.kind == "reply" and ev.ref == "inquiry 4"


def test_a_task_as_added_is_the_task_read_back(tmp_path):
    """open_task uses add_task's return instead of reading the row again: the two must never differ."""
    db = connect(tmp_path / "s.sqlite3")
    spec = NewTask("reply_to_lead", "Título ✓", "inquiry", 7, None, "jordan", 2,
                   datetime(2026, 12, 1, 9, 30, 12, 345678, tzinfo=ZoneInfo("Europe/London")),
                   datetime(2026, 12, 2, 17, 0, tzinfo=ZoneInfo("America/Chicago")), 1.5, "sales-rr", "why",
                   "sales", True, ContextPack("do it", "lead-intake", "Reply", ("earlier: hi",), "gold",
                                              DealContext("Deal", "proposal", 12000.0), ("because",)),
                   {"tags": ("a", "b"), "when": datetime(2026, 1, 1), "n": 3}, {"candidates": [{"id": "jordan"}]})
    with write_transaction(db):
        added = add_task(db, spec)
    assert added == get_task(db, added.id)
