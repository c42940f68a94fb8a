"""End to end through real intake (real model, real SQLite): a call note without a caller, then a relabel."""

from __future__ import annotations

import json

import pytest

NOTE = b"Logged-by: Sam\nDate: 2026-11-23\n\nSomeone called about a new website for their bakery, 2 shops, wants a quote.\n"

pytestmark = pytest.mark.slow


def test_note_without_caller_is_a_lead_with_a_task_then_relabel_teaches(runtime, tmp_path):
    from opsys.ai.corrections import corrections_path, read_corrections
    from opsys.intake.relabel import relabel
    from opsys.store.tasks import list_tasks

    note = tmp_path / "call-no-caller.txt"
    note.write_bytes(NOTE)
    report = runtime.intake.consume([note])
    assert report.count("processed") == 1, report.outcomes
    inquiry_id = report.outcomes[0].ids[0]
    row = runtime.db.execute("SELECT * FROM inquiries WHERE id = ?", (inquiry_id,)).fetchone()
    assert any("does not say who" in w for w in json.loads(row["warnings_json"]))
    tasks = list_tasks(runtime.db, subject=("inquiry", str(inquiry_id)))
    ask = [t for t in tasks if t.kind == "add_contact_details"]
    assert len(ask) == 1 and ask[0].owner_id == "sam"
    kinds = [r[0] for r in runtime.db.execute("SELECT kind FROM events WHERE subject_id = ?", (str(inquiry_id),))]
    assert "contact_missing" in kinds

    done = relabel(runtime.db, runtime.map, runtime.ws.var, inquiry_id, "spam", runtime.clock(), "maya")
    assert done.action == "spam" and done.task_id is None
    assert list_tasks(runtime.db, subject=("inquiry", str(inquiry_id))) == []  # every open task cancelled
    row = runtime.db.execute("SELECT * FROM inquiries WHERE id = ?", (inquiry_id,)).fetchone()
    assert (row["category"], row["classified_by"], row["route_action"]) == ("spam", "person:maya", "spam")
    kept = read_corrections(corrections_path(runtime.ws.var))
    assert [(e.category, e.is_lead) for e in kept] == [("spam", False)] and "bakery" in kept[0].text
    event = runtime.db.execute("SELECT * FROM events WHERE kind = 'inquiry_relabelled'").fetchone()
    assert json.loads(event["inputs_json"])["before"]["category"] != "spam"

    from opsys.ai.embedding_classifier import examples_key
    from opsys.app import open_app

    fresh = open_app(runtime.ws)  # a new process: it trains on the correction too, so its cache key differs
    try:
        learned = fresh.classifier.examples
        assert learned[-1].text == kept[0].text and len(learned) == len(runtime.map.examples) + 1
        key = lambda ex: examples_key([e.text for e in ex], [e.category for e in ex], [e.is_lead for e in ex], "b")
        assert key(learned) != key(runtime.map.examples)
    finally:
        fresh.close()
