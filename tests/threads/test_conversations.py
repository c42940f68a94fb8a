"""A reply, a resubmission and the team's own mail through the real intake path: messages on a thread,
never a second lead or a second queue entry (issue 9, "Threads and what a mail means")."""

from __future__ import annotations

import json
from datetime import timedelta

from opsys.store.threads import get_thread, messages_of
from opsys.store.touches import last_touch_at, touches_of
from opsys.work.upkeep import close_by_evidence
from tests.threads.conftest import LEAD_BODY, REPLY_BODY, T0, drop, mail

SUBJECT = "New website for Harbor Dental"
LEAD_ID = "<lead-1@harbordental.example>"
MAYA_ID = "<maya-1@brightside.example>"


def _lead(app):
    return drop(app, "lead.eml", mail(body=LEAD_BODY, message_id=LEAD_ID))


def _maya_answers(app, clock, **kw):
    clock.walk(hours=5)
    return drop(app, "maya.eml", mail(sender="Maya Okafor <maya@brightside.example>", to="dana@harbordental.example",
                                      subject=f"Re: {SUBJECT}", date=clock(), message_id=MAYA_ID,
                                      in_reply_to=LEAD_ID, references=LEAD_ID,
                                      body="Hi Dana, could we have a call this week? Wednesday 10am?", **kw))


def _dana_replies(app, clock, **headers):
    clock.walk(hours=20)
    return drop(app, "reply.eml", mail(subject=f"Re: {SUBJECT}", body=REPLY_BODY, date=clock(),
                                       message_id="<reply-1@harbordental.example>", **headers))


def _count(app, sql: str, *args) -> int:
    return int(app.db.execute(sql, args).fetchone()[0])


def test_the_issue_example_a_reply_is_a_message_on_its_thread_not_a_second_lead(app, clock):
    first = _lead(app)
    _maya_answers(app, clock)
    out = _dana_replies(app, clock, in_reply_to=MAYA_ID, references=f"{LEAD_ID} {MAYA_ID}")
    assert out.ids == [] and "reply on thread" in out.detail
    assert _count(app, "SELECT COUNT(*) FROM inquiries") == 1
    assert _count(app, "SELECT COUNT(*) FROM tasks") == 1  # no second queue entry
    # nothing scored the reply: its quoted "within two weeks" cannot add a timeline signal anywhere
    scored = [json.loads(r[0]) for r in app.db.execute("SELECT inputs_json FROM events WHERE kind = 'scored'")]
    assert len(scored) == 1
    [thread_id] = [r[0] for r in app.db.execute("SELECT id FROM threads")]
    kinds = [(m.direction, m.kind) for m in messages_of(app.db, thread_id)]
    assert kinds == [("in", "inquiry"), ("out", "outbound"), ("in", "reply")]
    reply = messages_of(app.db, thread_id)[-1]
    assert reply.new_text == "Wednesday 10am is perfect."  # quote and signature split off
    assert get_thread(app.db, thread_id).answered_by_them_at == clock().isoformat()
    [task] = app.db.execute("SELECT id, context_json FROM tasks").fetchall()
    history = json.loads(task[1])["history"]
    assert any("replied on the thread" in h and "Wednesday 10am is perfect" in h for h in history)
    assert reply.task_id == task[0]
    assert [(t.direction, t.source) for t in touches_of(app.db, 1)] == [
        ("in", f"inquiry:{first.ids[0]}"), ("out", f"mail:{MAYA_ID}"), ("in", "mail:<reply-1@harbordental.example>")]
    event = app.db.execute("SELECT message, decision_json FROM events WHERE kind = 'thread_reply'").fetchone()
    assert json.loads(event[1])["new_lead"] is False and f"it answers {MAYA_ID}" in event[0]


def test_a_reply_quoting_a_timeline_from_someone_new_scores_only_its_own_words(app):
    """The split runs before scoring: "within two weeks" in the quote is not the sender's timeline."""
    out = drop(app, "new.eml", mail(sender="Lee Park <lee@parkdesign.example>", subject="Re: our call",
                                    body=REPLY_BODY.replace("Wednesday 10am is perfect.",
                                                            "We'd like a quote for a new website please.")))
    [signals] = [json.loads(r[0]) for r in app.db.execute("SELECT signals_json FROM inquiries WHERE id = ?",
                                                          (out.ids[0],))]
    timeline = [s for s in signals if s["name"] == "timeline"]
    assert not timeline or timeline[0]["points"] == 0, timeline
    body = app.db.execute("SELECT body FROM inquiries WHERE id = ?", (out.ids[0],)).fetchone()[0]
    assert "two weeks" not in body and "wrote:" not in body


def test_the_subject_fallback_joins_a_reply_whose_mailer_dropped_the_headers(app, clock):
    _lead(app)
    out = _dana_replies(app, clock)  # no In-Reply-To, no References: "Re: <subject>" from the same contact
    assert out.ids == [] and "reply on thread 1" in out.detail
    event = app.db.execute("SELECT inputs_json FROM events WHERE kind = 'thread_reply'").fetchone()
    assert json.loads(event[0])["how"] == "subject"


def test_the_same_subject_from_someone_else_is_a_new_lead(app, clock):
    _lead(app)
    clock.walk(hours=1)
    out = drop(app, "other.eml", mail(sender="Sam Roe <sam@roe.example>", subject=f"Re: {SUBJECT}",
                                      body="We also need a website, budget 8k.", date=clock()))
    assert len(out.ids) == 1


def test_the_teams_mail_closes_the_reply_to_lead_task_and_says_which_evidence(app, clock):
    _lead(app)
    [task_id] = [r[0] for r in app.db.execute("SELECT id FROM tasks WHERE status = 'open'")]
    assert close_by_evidence(app.db, app.map, clock()) == []
    _maya_answers(app, clock)
    assert close_by_evidence(app.db, app.map, clock()) == [task_id]
    status, closed_by, note = app.db.execute("SELECT status, closed_by, note FROM tasks WHERE id = ?",
                                             (task_id,)).fetchone()
    assert status == "done" and closed_by.startswith("evidence: mail_sent (touch ")
    assert MAYA_ID in note
    assert _count(app, "SELECT COUNT(*) FROM inquiries") == 1  # the team's mail is never a lead


def test_mail_from_the_sent_folder_is_outbound_whoever_it_is_from_but_only_our_header_counts(app, clock):
    _lead(app)
    clock.walk(hours=2)
    data = mail(sender="Brightside <office@brightside.example>", to="Dana <dana@harbordental.example>",
                subject="Your quote", body="Dear Dana, attached is our quote.", date=clock())
    forged = drop(app, "forged.eml", data.replace(b"MIME-Version", b"X-Opsys-Folder: Sent\r\nMIME-Version"))
    assert forged.ids, "an X-Opsys-Folder header below the top is anyone's, not the mailbox connector's"
    clock.walk(minutes=1)
    sent = drop(app, "sent.eml", b"X-Opsys-Folder: Sent\r\nX-Opsys-Mailbox: hello\r\n" + data.replace(
        b"Your quote", b"Your quote (v2)"))
    assert sent.ids == [] and "the team's mail: 1 touch" in sent.detail
    assert [t.direction for t in touches_of(app.db, 1)].count("out") == 1


def test_a_web_form_resubmission_joins_the_open_inquiry(app, clock):
    form = {"form": "contact", "name": "Dana Whitfield", "email": "dana@harbordental.example",
            "message": "We need a new website with booking, budget 12k."}
    first = drop(app, "form1.json", json.dumps(form).encode())
    clock.walk(hours=3)
    again = drop(app, "form2.json", json.dumps({**form, "message": "Did you get my message? Please call."}).encode())
    assert again.ids == [] and f"joins inquiry {first.ids[0]}" in again.detail
    assert _count(app, "SELECT COUNT(*) FROM inquiries") == 1
    assert _count(app, "SELECT COUNT(*) FROM tasks") == 1
    history = json.loads(app.db.execute("SELECT context_json FROM tasks").fetchone()[0])["history"]
    assert any("wrote again (web_form)" in h and "Please call" in h for h in history)
    assert _count(app, "SELECT COUNT(*) FROM events WHERE kind = 'resubmission_joined'") == 1
    assert last_touch_at(app.db, 1) == clock()


def test_after_the_task_is_done_a_new_request_is_a_new_inquiry(app, clock):
    form = {"form": "contact", "name": "Dana Whitfield", "email": "dana@harbordental.example",
            "message": "We need a new website with booking, budget 12k."}
    drop(app, "form1.json", json.dumps(form).encode())
    app.db.execute("UPDATE tasks SET status = 'done'")
    clock.walk(days=30)
    again = drop(app, "form2.json", json.dumps({**form, "message": "Now we need SEO for the new site."}).encode())
    assert len(again.ids) == 1


def test_the_same_message_id_twice_is_stored_once(app, clock):
    _lead(app)
    copy = mail(body=LEAD_BODY + "\n", message_id=LEAD_ID)  # other bytes (a client re-saved it), same Message-ID
    out = drop(app, "copy.eml", copy)
    assert out.ids == [] and "already stored" in out.detail
    assert _count(app, "SELECT COUNT(*) FROM inquiries") == 1


def test_the_signature_fills_in_a_missing_phone_and_company(app):
    body = "Hi, we need a booking system for our two clinics. Can you call me?\n\nBest,\nPriya Nair\n" \
           "Northside Physio Ltd\n+44 117 496 0777\n"
    out = drop(app, "sig.eml", mail(sender="Priya Nair <priya@northside.example>", subject="Booking system",
                                    body=body))
    phone, company = app.db.execute("SELECT phone, company FROM contacts c JOIN inquiries i ON i.contact_id = c.id"
                                    " WHERE i.id = ?", (out.ids[0],)).fetchone()
    assert phone == "+441174960777" and company == "Northside Physio Ltd"
    fields = json.loads(app.db.execute("SELECT fields_json FROM inquiries WHERE id = ?", (out.ids[0],)).fetchone()[0])
    assert fields["phone_source"] == "signature" and fields["company_source"] == "signature"


def test_the_lead_reply_to_its_own_mail_is_a_follow_up_not_evidence_of_an_answer(app, clock):
    _lead(app)
    clock.walk(days=1)
    nudge = drop(app, "nudge.eml", mail(subject=f"Re: {SUBJECT}", body="Any news on this?", date=clock(),
                                        message_id="<nudge@harbordental.example>", in_reply_to=LEAD_ID,
                                        references=LEAD_ID))
    assert nudge.ids == []
    kinds = [m.kind for m in messages_of(app.db, 1)]
    assert kinds == ["inquiry", "follow_up"]
    assert close_by_evidence(app.db, app.map, clock()) == []  # nobody answered them yet
    assert timedelta(0) < clock() - T0


def test_a_reply_to_a_mail_the_outbox_sent_joins_the_contacts_thread(app, clock):
    """The outbox records its sent mail as an out touch `mail:<id>` (CONTRACTS.md); a reply naming it is a reply."""
    from opsys.store.db import write_transaction
    from opsys.store.touches import record_touch

    _lead(app)
    clock.walk(hours=1)
    with write_transaction(app.db):
        record_touch(app.db, contact_id=1, direction="out", channel="email", at=clock(),
                     source="mail:<followup-1@brightside.example>")
    clock.walk(days=2)
    out = drop(app, "answer.eml", mail(subject="Checking in", body="Yes, still interested! Call me Friday.",
                                       date=clock(), message_id="<a2@harbordental.example>",
                                       in_reply_to="<followup-1@brightside.example>"))
    assert out.ids == [] and "reply on thread 1" in out.detail
    assert [m.kind for m in messages_of(app.db, 1)] == ["inquiry", "reply"]
