"""store/documents.py on a real SQLite file: a document of the same identity supersedes the current one;
a mismatch is one row through being found again, changed, resolved by a document or by a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsys.store import documents as store
from opsys.store.db import connect

T0 = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def _doc(sha: str, key: str = "invoice|1043") -> store.NewDocument:
    return store.NewDocument(file_sha256=sha, file_name=f"{sha}.csv", stored_path=None, position=0, kind="invoice",
                             layout="xero", label="Xero invoice export", number="INV-1043", job="Web", client="Casa",
                             doc_key=key, header={}, lines=[], total=1.0)


def _found(text: str = "invoice INV-1043 bills 14 h") -> store.FoundMismatch:
    return store.FoundMismatch(key="1043|hours|menu update", invoice_number="INV-1043", invoice_doc_id=None,
                               sheet_doc_id=None, kind="hours", severity="high", explanation=text,
                               subject="Menu update", billed=14, expected=8, money_at_stake=450, currency="GBP",
                               refs=("invoice INV-1043 (a.csv line 2)",))


def test_same_identity_supersedes_other_identities_stay(tmp_path):
    db = connect(tmp_path / "s.db")
    first, _ = store.store_document(db, _doc("a"), T0)
    other, _ = store.store_document(db, _doc("b", "invoice|1044"), T0)
    second, replaced = store.store_document(db, _doc("c"), T0)
    assert replaced == [first]
    assert [d.id for d in store.current_documents(db)] == [other, second]
    assert store.get_document(db, first).superseded_by == second


def test_a_mismatch_is_one_row_through_its_life(tmp_path):
    db = connect(tmp_path / "s.db")
    mid, outcome = store.save_mismatch(db, _found(), T0)
    assert outcome == "new"
    assert store.save_mismatch(db, _found(), T0 + timedelta(days=1)) == (mid, "same")
    assert store.save_mismatch(db, _found("invoice INV-1043 bills 15 h"), T0 + timedelta(days=2)) == (mid, "changed")
    [m] = store.open_mismatches(db)
    assert m.first_seen == T0 and m.last_seen == T0 + timedelta(days=2)
    assert store.resolve_mismatch(db, mid, T0, "document:7", "agrees now")
    assert not store.resolve_mismatch(db, mid, T0, "document:7", "twice")
    assert store.save_mismatch(db, _found(), T0) == (mid, "reopened")  # a document's resolution does not hold
    store.resolve_mismatch(db, mid, T0, "person:maya", "agreed")
    assert store.save_mismatch(db, _found(), T0) == (mid, "same")  # a person's does, while it reads the same
    assert store.open_mismatches(db) == []
    assert store.save_mismatch(db, _found("invoice INV-1043 bills 20 h"), T0) == (mid, "reopened")
    assert [x.key for x in store.mismatches_of_invoices(db, ["1043"])] == ["1043|hours|menu update"]
    assert store.mismatches_of_invoices(db, ["104"]) == []
