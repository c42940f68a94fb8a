"""Bounces, auto-replies, unsubscribes and abuse reports, on the real samples of
../shared/realdata/email_fixtures/ where they exist, through the real parser and intake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsys.rules.mail_kinds import mail_kind
from opsys.sources.email import parse_email
from opsys.sources.errors import SourceError
from opsys.store.contacts import consent_of
from opsys.store.touches import last_touch_at, touches_of
from tests.threads.conftest import LEAD_BODY, T0, drop, mail

TEAM = {"maya@brightside.example"}
# RFC 3464 reports whose recipients failed for good, with the address each names
FAILED = {
    "flanker/bounce/zed.eml": "asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com",
    "flanker/bounce/mailbox-full.eml": "user@aol.com",
    "flanker/bounce/office365.eml": "noname@example.com",
    "flanker/bounce/gmail-invalid-address.eml": "awfawfawfawfawfaw@someserverhere.com",  # X-Failed-Recipients only
    "flanker/bounce/broken-mime.eml": "info@example.net",  # a postmaster's plain-text notice
    "cpython_test_email/msg_16.txt": "jangel1@cougar.noc.ucla.edu",
    "cpython_test_email/msg_25.txt": "scoffman@wellpartner.com",  # a report whose boundary breaks the parser
    "mikel_mail/multipart_report_emails/report_530.eml": "edwin@zzzzzzz.com",
}
DELAYED = ["flanker/bounce/no-mx.eml", "mikel_mail/multipart_report_emails/report_422.eml"]


def _read(fixtures: Path, rel: str):
    return parse_email((fixtures / rel).read_bytes(), Path(rel).name)


def _kind(msg):
    return mail_kind(msg.fields, msg.subject, msg.body, msg.email, TEAM)


@pytest.mark.parametrize("rel", sorted(FAILED))
def test_real_delivery_reports_name_the_failed_address(fixtures, rel):
    kind = _kind(_read(fixtures, rel))
    assert kind.kind == "bounce" and kind.permanent and FAILED[rel] in kind.addresses, kind


@pytest.mark.parametrize("rel", DELAYED)
def test_a_delay_is_said_but_not_a_failure(fixtures, rel):
    kind = _kind(_read(fixtures, rel))
    assert kind.kind == "bounce" and not kind.permanent


def test_a_person_writing_about_their_leave_is_not_an_auto_reply(fixtures):
    """mime4j's simple.msg: 'I will be taking vacation …' written by a person to colleagues."""
    assert _kind(_read(fixtures, "mime4j_mimetools/simple.msg")).kind == "message"


def test_no_ordinary_real_mail_is_taken_for_a_bounce_an_auto_reply_or_an_unsubscribe(fixtures):
    """Across every fixture: only delivery, disposition and feedback reports are not "message"."""
    wrong = []
    for manifest in sorted(fixtures.glob("*/MANIFEST.tsv")):
        for line in manifest.read_text().splitlines()[1:]:
            rel, features = line.split("\t")[:2]
            try:
                msg = parse_email((manifest.parent / rel).read_bytes(), rel)
            except SourceError:
                continue
            kind = _kind(msg)
            report = "bounce_dsn" in features or msg.fields.get("report_type") or msg.fields.get("dsn_failed")
            if kind.kind != "message" and not report and kind.kind != "bounce":
                wrong.append((manifest.parent.name, rel, kind.kind, kind.reason))
            if kind.kind == "bounce" and not (report or msg.fields.get("x_failed_recipients")
                                              or "postmaster" in (msg.fields.get("from_addresses") or "")):
                wrong.append((manifest.parent.name, rel, kind.kind, kind.reason))
    assert wrong == []


def _contact_for(app, address: str) -> int:
    out = drop(app, f"lead-{address.split('@')[0][:20]}.json",
               json.dumps({"name": "A Lead", "email": address, "message": "We need a new website."}).encode())
    return int(app.db.execute("SELECT contact_id FROM inquiries WHERE id = ?", (out.ids[0],)).fetchone()[0])


def test_a_real_bounce_marks_the_contact_undeliverable_and_is_never_a_lead(app, fixtures):
    contact = _contact_for(app, "user@aol.com")
    out = drop(app, "bounce.eml", (fixtures / "flanker/bounce/mailbox-full.eml").read_bytes())
    assert out.ids == [] and "1 contact(s) undeliverable" in out.detail
    assert consent_of(app.db, contact) == "undeliverable"
    assert app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 1
    event = json.loads(app.db.execute("SELECT decision_json FROM events WHERE kind = 'mail_bounced'").fetchone()[0])
    assert event["undeliverable"] == [{"contact_id": contact, "address": "user@aol.com"}]


def test_a_delayed_report_leaves_consent_alone(app, fixtures):
    contact = _contact_for(app, "user@example.com")
    out = drop(app, "delayed.eml", (fixtures / "flanker/bounce/no-mx.eml").read_bytes())
    assert out.ids == [] and consent_of(app.db, contact) == "ok"


def test_a_real_abuse_report_withdraws_consent(app, fixtures):
    contact = _contact_for(app, "user@yahoo.com")
    out = drop(app, "complaint.eml", (fixtures / "flanker/complaints/yahoo.eml").read_bytes())
    assert out.ids == [] and consent_of(app.db, contact) == "unsubscribed"




@pytest.mark.parametrize("subject,extra,body", [
    # Exchange/Outlook: subject prefix and Auto-Submitted
    ("Automatic reply: Re: Your quote", "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All",
     "I am out of the office until 7 December with limited access to email."),
    # Gmail's vacation responder: Auto-Submitted only, the subject is the user's own
    ("Re: Your quote", "Auto-Submitted: auto-replied", "Thanks for your mail, I'll get back to you next week."),
    ("Re: Your quote", "X-Autoreply: yes", "Thanks, your message has been received."),
    ("Re: Your quote", "Precedence: auto_reply", "Thanks, your message has been received."),
    # no header at all: the text says it
    ("Re: Your quote", "", "Hello, I am currently out of the office and will return on Monday 7 December."),
])
def test_auto_replies_are_an_auto_touch_never_a_reply_never_a_lead(app, clock, subject, extra, body):
    first = drop(app, "lead.eml", mail(body=LEAD_BODY, message_id="<lead@harbordental.example>"))
    contact = int(app.db.execute("SELECT contact_id FROM inquiries").fetchone()[0])
    clock.walk(hours=2)
    out = drop(app, "ooo.eml", mail(subject=subject, body=body, date=clock(), extra=extra,
                                    in_reply_to="<lead@harbordental.example>"))
    assert out.ids == [] and out.detail.startswith("auto-reply")
    auto = [t for t in touches_of(app.db, contact) if t.auto]
    assert len(auto) == 1 and auto[0].direction == "in"
    assert last_touch_at(app.db, contact) == T0  # the lead's own mail, not the auto-reply
    assert last_touch_at(app.db, contact, include_auto=True) == clock()
    thread = app.db.execute("SELECT answered_by_them_at FROM threads").fetchone()[0]
    assert thread is None and first.ids


def test_an_unsubscribe_request_withdraws_consent_and_is_no_lead(app, clock):
    drop(app, "lead.eml", mail(body=LEAD_BODY, message_id="<lead@harbordental.example>"))
    clock.walk(days=3)
    out = drop(app, "unsub.eml", mail(subject="Re: New website for Harbor Dental", date=clock(),
                                      body="Please remove me from your mailing list.\n\nThanks"))
    assert out.ids == [] and "1 contact(s) unsubscribed" in out.detail
    assert consent_of(app.db, 1) == "unsubscribed"
    assert app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 1


def test_a_long_lead_that_says_unsubscribe_is_still_a_lead(app):
    body = ("We run a newsletter for 4,000 dentists and need a new website where readers can subscribe and "
            "unsubscribe themselves, plus online booking for our three clinics. Our budget is 20k and we would "
            "like to launch in spring. Could you send us a proposal and a few examples of similar work? We are "
            "also interested in ongoing maintenance and SEO once the site is live, so please include that.")
    out = drop(app, "lead.eml", mail(sender="Ann Lee <ann@dentnews.example>", subject="Website", body=body))
    assert len(out.ids) == 1
