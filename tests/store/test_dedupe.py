"""Deduplication on a real SQLite file: one person, one contact, one processed record per file content."""

from __future__ import annotations

from opsys.store.contacts import upsert_contact
from opsys.store.db import connect


def _upsert(db, **kw):
    args = dict(name=None, email=None, phone=None, company=None, client_account=None, tier=None)
    return upsert_contact(db, **{**args, **kw})


def test_same_email_or_phone_is_one_contact_but_a_shared_phone_is_not(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    ann = _upsert(db, name="Ann", email="ann@acme.example", phone="+13125550100")
    again = _upsert(db, name="Ann B.", email="ann@acme.example")
    by_phone = _upsert(db, name="Ann", phone="+13125550100")
    assert ann.created and again.contact_id == by_phone.contact_id == ann.contact_id
    bob = _upsert(db, name="Bob", email="bob@acme.example", phone="+13125550100")  # the reception number
    assert bob.created and bob.contact_id != ann.contact_id
    assert "already belongs to contact" in bob.conflict
    row = db.execute("SELECT email, phone FROM contacts WHERE id = ?", (bob.contact_id,)).fetchone()
    assert tuple(row) == ("bob@acme.example", None)  # Bob's email is kept, the phone stays with Ann
    moved = _upsert(db, email="ann@acme.example", phone="+13125550999")
    assert moved.contact_id == ann.contact_id and "differs" in moved.conflict


def test_a_phone_read_from_a_body_does_not_match(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    firm = _upsert(db, name="Old client", phone="+13125550142")
    quoted = _upsert(db, name="Someone new", phone="+13125550142", match_phone=False)
    assert quoted.created and quoted.contact_id != firm.contact_id


def test_a_processed_file_stays_processed(tmp_path):
    from opsys.store.source_files import file_status, mark_file

    db = connect(tmp_path / "s.sqlite3")
    mark_file(db, "abc", "a.eml", 10, "quarantined", "var/quarantine/a.eml", "bad")
    mark_file(db, "abc", "a.eml", 10, "processed", "var/archive/a.eml")  # retried after a fix: wins
    mark_file(db, "abc", "a-copy.eml", 10, "quarantined", "var/quarantine/a-copy.eml", "late")
    assert (file_status(db, "abc")["status"], file_status(db, "abc")["stored_path"]) == ("processed",
                                                                                        "var/archive/a.eml")
