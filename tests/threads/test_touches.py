"""Touches and consent in a real SQLite file: one touch per piece of evidence, auto-replies kept apart,
the upgrade backfill, and CRM activity as touches."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from opsys.store.contacts import consent_of, mark_undeliverable, mark_unsubscribed, upsert_contact
from opsys.store.db import connect
from opsys.store.migrations import MIGRATIONS, migrate
from opsys.store.touches import last_touch_at, last_touch_at_many, record_touch, touches_since
from tests.crm.conftest import add_lead, crm_fixtures, importer, rt  # noqa: F401  (fixtures)

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    conn = connect(tmp_path / "state.db")
    yield conn
    conn.close()


def _contact(db, email: str) -> int:
    return upsert_contact(db, name=None, email=email, phone=None, company=None, client_account=None,
                          tier=None).contact_id


def test_the_same_evidence_twice_is_one_touch(db):
    c = _contact(db, "a@x.example")
    first = record_touch(db, contact_id=c, direction="in", channel="email", at=T, source="mail:<1@x>")
    again = record_touch(db, contact_id=c, direction="in", channel="email", at=T, source="mail:<1@x>", thread_id=None)
    assert first == again
    assert db.execute("SELECT COUNT(*) FROM touches").fetchone()[0] == 1


def test_auto_touches_are_kept_but_never_the_last_reply(db):
    a, b = _contact(db, "a@x.example"), _contact(db, "b@x.example")
    record_touch(db, contact_id=a, direction="out", channel="email", at=T, source="mail:<out@firm>")
    record_touch(db, contact_id=a, direction="in", channel="email", at=T + timedelta(hours=1), source="mail:<ooo@x>",
                 auto=True)
    record_touch(db, contact_id=b, direction="in", channel="web_form", at=T + timedelta(days=1), source="inquiry:9")
    assert last_touch_at(db, a) == T
    assert last_touch_at(db, a, include_auto=True) == T + timedelta(hours=1)
    assert last_touch_at_many(db, [a, b, 999]) == {a: T, b: T + timedelta(days=1)}
    assert [t.auto for t in touches_since(db, a, T)] == [False, True]
    assert touches_since(db, a, T + timedelta(minutes=1))[0].source == "mail:<ooo@x>"


def test_a_naive_time_is_refused_with_the_fix(db):
    c = _contact(db, "a@x.example")
    with pytest.raises(ValueError, match="aware datetime"):
        record_touch(db, contact_id=c, direction="in", channel="email", at=datetime(2026, 12, 1), source="x")


def test_consent_unsubscribe_outranks_a_bounce(db):
    c = _contact(db, "a@x.example")
    assert consent_of(db, c) == "ok"
    assert mark_undeliverable(db, c, T, "mail:<dsn@x>") is True
    assert consent_of(db, c) == "undeliverable"
    assert mark_unsubscribed(db, c, T, "mail:<unsub@x>") is True
    assert mark_undeliverable(db, c, T, "mail:<dsn2@x>") is False  # a later bounce does not undo "they asked"
    assert consent_of(db, c) == "unsubscribed"
    row = db.execute("SELECT consent_at, consent_source FROM contacts WHERE id = ?", (c,)).fetchone()
    assert tuple(row) == (T.isoformat(), "mail:<unsub@x>")


def test_upgrading_a_store_gives_every_inquiry_a_touch_and_a_thread(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                 " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    before = [fn for fn in MIGRATIONS if fn.__name__ < "m004"]
    for version, fn in enumerate(before, start=1):
        fn(conn)
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, fn.__name__))
    conn.execute("INSERT INTO contacts (name, email, created_at, updated_at) VALUES ('Dana', 'd@x.example', 'x', 'x')")
    for i, subject in enumerate(["Re: New website", "Quote"], start=1):
        conn.execute(
            "INSERT INTO inquiries (contact_id, source_sha256, source_position, source_name, channel, subject, body,"
            " fields_json, received_at, category, category_confidence, is_lead, lead_confidence, classified_by,"
            " score, hot, score_explanation, signals_json, route_action, route_rule, route_reason, status,"
            " created_at) VALUES (1, ?, 0, 'a.eml', 'email', ?, 'hi', ?, ?, 'routine', 0.9, 1, 0.9, 'rules', 10, 0,"
            " '', '[]', 'queue', 'r', 'r', 'queued', 'x')",
            (f"sha{i}", subject, '{"message_id": "<m%d@x.example>"}' % i, f"2026-11-0{i}T09:00:00+00:00"))
    migrate(conn)
    touches = conn.execute("SELECT source, direction, at, thread_id FROM touches ORDER BY id").fetchall()
    assert [(r[0], r[1], r[2]) for r in touches] == [("inquiry:1", "in", "2026-11-01T09:00:00+00:00"),
                                                     ("inquiry:2", "in", "2026-11-02T09:00:00+00:00")]
    assert all(r[3] for r in touches)
    keys = [r[0] for r in conn.execute("SELECT subject_key FROM threads ORDER BY id")]
    assert keys == ["new website", "quote"]
    assert conn.execute("SELECT thread_id FROM thread_message_ids WHERE message_id = '<m2@x.example>'").fetchone()[0]
    assert conn.execute("SELECT consent FROM contacts").fetchone()[0] == "ok"
    conn.close()


def test_crm_activity_on_a_linked_deal_is_a_touch(rt, importer, crm_fixtures):  # noqa: F811
    contact = add_lead(rt.db, name="Dana Harbor", email="dana@harbordental.example", company="Harbor Dental")
    importer.import_files([crm_fixtures / "hubspot-crm-exports-all-deals-2026-11-16.csv"])
    importer.link()  # the deal is linked only now: its activity seen earlier becomes a touch here
    importer.import_files([crm_fixtures / "hubspot-crm-exports-all-deals-2026-11-23.csv"])
    crm = [r for r in rt.db.execute("SELECT at, source FROM touches WHERE contact_id = ? AND channel = 'crm_activity'",
                                    (contact,))]
    assert crm and all(r[1].startswith("crm_activity:") for r in crm)
    assert "2026-11-21T09:30:00+00:00" in [r[0] for r in crm]  # deal 101's Last Activity Date, as a UTC time
    n = len(crm)
    importer.link()
    assert rt.db.execute("SELECT COUNT(*) FROM touches WHERE channel = 'crm_activity'").fetchone()[0] == n
