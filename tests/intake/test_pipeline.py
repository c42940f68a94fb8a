"""Intake end to end on the bundled sample inbox, with the real models, SQLite and HTTP listener."""

from __future__ import annotations

import json
import shutil

import pytest

from opsys.app import open_app
from opsys.store.events import list_events
from opsys.store.inquiries import list_inquiries
from opsys.workspace import SAMPLE_INBOX
from tests.conftest import point_notifications_at

BROKEN = {"broken-garbage-binary.eml", "broken-form-syntax-error.json", "broken-form-no-contact.json",
          "broken-empty-note.txt", "broken-export-no-columns.csv", "brochure.docx"}


@pytest.fixture(scope="module")
def consumed(tmp_path_factory, shared_classifier):
    """The sample inbox consumed once for this module (classifying 40+ messages costs seconds)."""
    from opsys.notify.listener import NotificationListener
    from opsys.workspace import init_workspace

    workspace = init_workspace(tmp_path_factory.mktemp("sample") / "ws")
    listener = NotificationListener().__enter__()
    point_notifications_at(workspace, listener.port)
    for f in SAMPLE_INBOX.iterdir():
        shutil.copy2(f, workspace.inbox / f.name)
    rt = open_app(workspace, classifier=shared_classifier)
    report = rt.intake.consume(sorted(workspace.inbox.iterdir()))
    after = rt.jobs.after_intake()
    yield rt, report, after, listener
    listener.__exit__(None)
    rt.db.close()


def test_every_file_ends_archived_or_quarantined(consumed):
    rt, report, _, _ = consumed
    ws = rt.ws
    assert list(ws.inbox.iterdir()) == []
    quarantined = {o.path.name for o in report.outcomes if o.status == "quarantined"}
    assert quarantined == BROKEN
    for name in BROKEN:
        note = (ws.quarantine / (name + ".error.txt")).read_text()
        assert "What was wrong:" in note and "How to fix it:" in note
        assert (ws.quarantine / name).exists()  # the user's file is kept, never deleted
    archived = [p for p in ws.archive.rglob("*") if p.is_file()]
    assert len(archived) == len(list(SAMPLE_INBOX.iterdir())) - len(BROKEN)
    files = rt.db.execute("SELECT status, COUNT(*) FROM source_files GROUP BY status").fetchall()
    assert dict(map(tuple, files)) == {"processed": len(archived), "quarantined": len(BROKEN)}


def test_quarantine_reasons_are_specific(consumed):
    rt, report, _, _ = consumed
    detail = {o.path.name: o.detail for o in report.outcomes}
    assert "empty" in detail["broken-empty-note.txt"]
    assert "docx" in detail["brochure.docx"]
    assert "binary" in detail["broken-garbage-binary.eml"] or "RFC 5322" in detail["broken-garbage-binary.eml"]
    assert "email" in detail["broken-form-no-contact.json"].lower()
    assert "line" in detail["broken-form-syntax-error.json"].lower()


def test_same_email_or_phone_is_one_contact(consumed):
    rt, *_ = consumed
    rows = rt.db.execute(
        "SELECT c.id, c.email, c.phone, COUNT(i.id) n FROM contacts c JOIN inquiries i ON i.contact_id = c.id"
        " GROUP BY c.id HAVING n > 1").fetchall()
    assert rows, "the sample has repeat senders; none were merged"
    # Tom Hadley: an email, a follow-up email and a phone-only web form: one inquiry, the follow-up and the
    # resubmitted form are messages on its thread (issue 9), all on one contact
    tom = rt.db.execute("SELECT id FROM contacts WHERE phone = '+16085550133'").fetchone()
    assert tom is not None
    assert rt.db.execute("SELECT COUNT(*) FROM inquiries WHERE contact_id = ?", (tom[0],)).fetchone()[0] == 1
    assert rt.db.execute("SELECT COUNT(*) FROM thread_messages m JOIN threads t ON t.id = m.thread_id"
                         " WHERE t.contact_id = ?", (tom[0],)).fetchone()[0] == 3
    # no two contacts share an email or phone
    emails = [r[0] for r in rt.db.execute("SELECT email FROM contacts WHERE email IS NOT NULL")]
    assert len(emails) == len(set(emails))


def test_every_inquiry_has_score_explanation_class_and_route_events(consumed):
    rt, report, _, _ = consumed
    everything = list_inquiries(rt.db, leads_only=False)
    assert len(everything) == report.inquiries >= 40
    for x in everything:
        assert 0 <= x.score <= 100 and x.explanation
        kinds = {e.kind for e in list_events(rt.db, subject=("inquiry", str(x.id)))}
        assert {"classified", "scored", "routed"} <= kinds and kinds & {"contact_created", "contact_matched"}
        if x.category == "spam":
            assert x.route_action == "spam" and x.owner_id is None
        else:
            assert x.owner_id is not None  # nothing is left without an owner
    routed = list_events(rt.db, kind="routed")
    assert all(e.decided_by.startswith("rule:routing.yml#") and "score" in e.inputs for e in routed)


def test_capacity_counts_open_tasks(consumed):
    rt, *_ = consumed
    caps = {p.id: p.capacity for p in rt.map.team.people}
    loads = dict(map(tuple, rt.db.execute(
        "SELECT owner_id, COUNT(*) FROM tasks WHERE status='open' GROUP BY owner_id")))
    over = {p: n for p, n in loads.items() if n > caps[p] and p != rt.map.routing.overflow_owner}
    assert not over, f"assigned past capacity: {over}"


def test_hot_leads_and_escalations_notify_over_real_http(consumed):
    rt, _, after, listener = consumed
    notifying = [x for x in list_inquiries(rt.db, leads_only=False) if x.route_action in ("notify", "escalate")]
    assert notifying, "the sample inbox has hot leads and an urgent client issue"
    assert after.notifications_sent == len(listener.received) >= len(notifying)
    paths = {r.path for r in listener.received}
    assert paths <= {f"/{p.id}" for p in rt.map.team.people}
    bodies = [r.body for r in listener.received]
    assert all(isinstance(b, dict) and b.get("title") for b in bodies)
    assert any(b["title"].startswith("Hot lead") for b in bodies)
    sent = list_events(rt.db, kind="notification_sent")
    assert len(sent) == len(listener.received)


def test_redrop_of_archived_file_is_a_noop_with_event(consumed):
    rt, *_ = consumed
    before = rt.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
    src = next(p for p in SAMPLE_INBOX.iterdir() if p.suffix == ".eml" and not p.name.startswith("broken"))
    shutil.copy2(src, rt.ws.inbox / ("again-" + src.name))
    report = rt.intake.consume([rt.ws.inbox / ("again-" + src.name)])
    assert [o.status for o in report.outcomes] == ["duplicate"]
    assert rt.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == before
    assert list(rt.ws.inbox.iterdir()) == []
    (ev,) = list_events(rt.db, kind="duplicate_drop")
    assert ev.inputs["name"] == "again-" + src.name


def test_ingest_from_outside_the_inbox_copies(runtime, tmp_path):
    outside = tmp_path / "mine.json"
    outside.write_text(json.dumps({"name": "Ada Lovelace", "email": "ada@analytical.example",
                                   "message": "We need a quote for a 12 page website, budget $20k."}))
    report = runtime.intake.consume([outside])
    assert [o.status for o in report.outcomes] == ["processed"]
    assert outside.exists()  # the user's own file is left alone
    assert report.outcomes[0].stored_at.read_bytes() == outside.read_bytes()


def test_leads_page_escapes_inbound_text(runtime, tmp_path):
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps({
        "name": "<script>alert(1)</script>", "email": "mallory@evil.example",
        "subject": "| x | y |\n# Owned [click](http://evil.example)",
        "message": "Hi, we need a new website for our 40-person company. Could you send a proposal? "
                   "Budget $30k, launch next month. <img src=x onerror=alert(1)>",
    }))
    runtime.intake.consume([evil])
    runtime.jobs.after_intake()
    page = (runtime.ws.pages / "leads.md").read_text()
    assert "<script>" not in page and "[click]" not in page and "<img" not in page


def test_leads_page_rows_keep_their_shape():
    from opsys.config.loader import load_system_map
    from opsys.store.inquiries import InquiryView
    from opsys.views.leads_page import render_leads_page
    from tests.conftest import REPO

    nasty = InquiryView(
        id=1, received_at="2026-11-20T10:00:00+00:00", channel="web_form", source_name="x.json",
        subject="| x | y |\n# Owned [click](http://evil.example)", name="<b>Eve</b> | ", email="e@evil.example",
        phone=None, company="**ACME**", tier=None, category="routine", category_confidence=0.9, is_lead=True,
        lead_confidence=0.9, classified_by="embedding:x", score=70, hot=True, explanation="budget +20 (`$30k`)",
        service=None, budget=30000.0, route_action="notify", route_rule="r", route_reason="r", owner_id="jordan",
        status="assigned", contact_id=1, warnings=[], signals=[])
    page = render_leads_page([nasty, nasty], load_system_map(REPO / "system_map"))
    table = [line for line in page.splitlines() if line.startswith("|")]
    assert len(table) == 3  # the owner index: header, rule, one owner
    assert len({line.count("|") for line in table}) == 1
    assert page.count("<summary") == 2  # one card per lead, each with its summary line
    assert "<b>" not in page and "[click]" not in page and "**ACME**" not in page


def test_invalid_system_map_processes_nothing(workspace):
    from typer.testing import CliRunner

    from opsys.cli.main import app

    (workspace.system_map / "routing.yml").write_text("overflow_owner: nobody\nrules: []\n")
    drop = workspace.inbox / "a.json"
    drop.write_text('{"name": "A", "email": "a@b.example", "message": "hi"}')
    result = CliRunner().invoke(app, ["-w", str(workspace.root), "ingest", str(drop)])
    assert result.exit_code == 2
    assert "routing.yml" in result.output and "rules" in result.output
    assert drop.exists() and not workspace.db_path.exists()


def test_odd_files_are_quarantined_or_read_and_never_stop_the_batch(runtime):
    """Inputs found by fuzzing the readers: each used to raise out of `consume` and stall the inbox."""
    inbox = runtime.ws.inbox
    (inbox / "a-bad-charset-word.eml").write_bytes(
        b"From: =?utf-\xe98?Q?J=FCrgen?= <j@example.com>\r\nSubject: Quote\r\n\r\nWe need a new website.\r\n")
    (inbox / "b-huge-number.json").write_text('{"email": "x@example.com", "budget": ' + "1" * 5000 + "}")
    (inbox / "c-far-future.json").write_text(
        '{"email": "y@example.com", "message": "Shop redesign", "submitted_at": "9999-12-31T23:59:59-01:00"}')
    (inbox / "d-excel-unicode.csv").write_bytes("Name,Email\nDana Harbor,dana@example.com\n".encode("utf-16"))
    good = inbox / "e-good.json"
    good.write_text('{"email": "z@example.com", "message": "Please quote a care plan"}')
    files = sorted(inbox.iterdir())
    report = runtime.intake.consume(files + [good])  # one path twice: it counts once
    status = {o.path.name: o.status for o in report.outcomes}
    assert status == {"a-bad-charset-word.eml": "processed", "b-huge-number.json": "quarantined",
                      "c-far-future.json": "processed", "d-excel-unicode.csv": "processed",
                      "e-good.json": "processed"}
    assert "no field needs a number that long" in (runtime.ws.quarantine / "b-huge-number.json.error.txt").read_text()
    emails = {r[0] for r in runtime.db.execute("SELECT email FROM contacts")}
    assert {"j@example.com", "y@example.com", "dana@example.com", "z@example.com"} <= emails
    assert not list(inbox.iterdir())
