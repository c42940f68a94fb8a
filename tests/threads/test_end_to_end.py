"""The issue's example end to end with the real models: a lead, the team's answer from the Sent folder,
the lead's reply quoting "On Tue, 1 Dec 2026 …" — one lead, one task closed by the team's mail, and
the reply a message on the thread (slow: the embedding classifier loads once per session)."""

from __future__ import annotations

import json

import pytest

from opsys.store.threads import messages_of
from tests.threads.conftest import LEAD_BODY, REPLY_BODY, T0, Clock, mail


@pytest.fixture
def real_app(workspace, shared_classifier):
    from opsys.app import open_app

    clock = Clock()
    rt = open_app(workspace, classifier=shared_classifier, clock=clock)
    yield rt, clock
    rt.db.close()


def test_reply_is_no_second_lead_and_the_sent_mail_closes_the_task(real_app):
    app, clock = real_app
    inbox = app.ws.inbox
    (inbox / "lead.eml").write_bytes(mail(body=LEAD_BODY, message_id="<lead-1@harbordental.example>"))
    clock.walk(hours=5)
    (inbox / "sent.eml").write_bytes(b"X-Opsys-Folder: Sent\r\nX-Opsys-Mailbox: hello\r\n" + mail(
        sender="Maya Okafor <maya@brightside.example>", to="dana@harbordental.example",
        subject="Re: New website for Harbor Dental", date=clock(), message_id="<maya-1@brightside.example>",
        in_reply_to="<lead-1@harbordental.example>", references="<lead-1@harbordental.example>",
        body="Hi Dana, could we have a call this week? Wednesday 10am?"))
    clock.walk(hours=20)
    (inbox / "reply.eml").write_bytes(mail(
        subject="Re: New website for Harbor Dental", body=REPLY_BODY, date=clock(),
        message_id="<reply-1@harbordental.example>", in_reply_to="<maya-1@brightside.example>",
        references="<lead-1@harbordental.example> <maya-1@brightside.example>"))
    report = app.intake.consume(sorted(inbox.iterdir()))  # one batch, classified by the real models
    assert [o.status for o in report.outcomes] == ["processed"] * 3
    assert report.inquiries == 1
    rows = app.db.execute("SELECT classified_by, is_lead, signals_json FROM inquiries").fetchall()
    assert len(rows) == 1 and rows[0][1] == 1 and not rows[0][0].startswith("rules")
    assert "timeline" not in [s["name"] for s in json.loads(rows[0][2]) if s["points"]]
    kinds = [m.kind for m in messages_of(app.db, 1)]
    assert kinds == ["inquiry", "outbound", "reply"]
    jobs = app.jobs.run(clock())
    assert jobs is not None
    status, closed_by = app.db.execute("SELECT status, closed_by FROM tasks").fetchone()
    assert status == "done" and closed_by.startswith("evidence: mail_sent")
    assert clock() > T0
