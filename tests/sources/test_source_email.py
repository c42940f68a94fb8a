"""parse_email on hand-written mails: form notifications, Reply-To, bulk hints, refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsys.sources.email import parse_email
from opsys.sources.errors import SourceError
from opsys.sources.html_text import read_html


def test_wordpress_notification_takes_contact_from_form_lines(fixture_bytes):
    msg = parse_email(fixture_bytes("wordpress_form.eml"), "wordpress_form.eml")
    assert (msg.name, msg.email, msg.phone, msg.company) == (
        "Jane Client", "jane@client-co.com", "020 7946 0123", "Client Co",
    )
    assert msg.fields["service"] == "Brand refresh"
    assert msg.fields["budget"] == "10k-15k"
    assert msg.fields["notification_from"] == "wordpress@whitfield-agency.com"
    assert msg.received_at == datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)
    assert "We'd like a brand refresh" in msg.body


def test_reply_to_beats_a_no_reply_sender(fixture_bytes):
    msg = parse_email(fixture_bytes("noreply_replyto.eml"), "noreply_replyto.eml")
    assert (msg.name, msg.email) == ("Sam Jones", "sam@jones-law.co.uk")
    assert msg.body == "You have a new submission.\n\nPlease log in to see it."
    assert "alert" not in msg.body and "color" not in msg.body


def test_no_reply_without_other_contact_is_warned():
    data = b"From: noreply@shop.example.com\r\nSubject: Your order\r\n\r\nThanks for your order.\r\n"
    msg = parse_email(data, "order.eml")
    assert msg.email == "noreply@shop.example.com"
    assert any("no-reply" in w for w in msg.warnings)


def test_ordinary_sender_is_not_overridden_by_body_lines():
    data = b"From: Bob <bob@example.com>\r\nSubject: hi\r\n\r\nEmail: someone@else.com\r\n"
    msg = parse_email(data, "bob.eml")
    assert (msg.name, msg.email) == ("Bob", "bob@example.com")


def test_bulk_mail_is_marked_and_plain_text_preferred(fixture_bytes):
    msg = parse_email(fixture_bytes("newsletter.eml"), "newsletter.eml")
    assert msg.fields["bulk"] == "yes"
    assert msg.body == "Plain version wins."


def test_mislabelled_cp1252_mail_is_read_with_warning(fixture_bytes):
    msg = parse_email(fixture_bytes("cp1252_mislabelled.eml"), "cp1252_mislabelled.eml")
    assert "mon café à Paris" in msg.body
    assert msg.name == "Renée" and msg.subject == "café"
    assert msg.received_at is None
    assert any("not valid us-ascii" in w for w in msg.warnings)
    assert any("'nonsense'" in w for w in msg.warnings)


def test_attachment_never_becomes_body():
    data = (
        b"From: a@example.com\r\nSubject: cv\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--X\r\nContent-Type: text/plain; name=notes.txt\r\n"
        b"Content-Disposition: attachment; filename=notes.txt\r\n\r\nsecret\r\n"
        b"--X\r\nContent-Type: application/x-msdownload\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=\"setup.exe\"\r\n\r\nTVqQAAMAAAAEAAAA\r\n--X--\r\n"
    )
    msg = parse_email(data, "cv.eml")
    assert msg.body == "See attached."
    assert [(a.filename, a.size) for a in msg.attachments] == [("notes.txt", 6), ("setup.exe", 12)]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"\x00\x01\x02GIF89a\x00", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Outlook .msg"),
        (b"Hello, just text\nwith no headers.\n", "no header lines"),
    ],
)
def test_non_mail_is_refused_with_a_fix(data, problem):
    with pytest.raises(SourceError) as caught:
        parse_email(data, "x.eml")
    assert problem in caught.value.problem
    assert "RFC 5322" in caught.value.problem or "Outlook" in caught.value.problem
    assert str(caught.value).startswith("x.eml: ") and "Fix: " in str(caught.value)


def test_broken_fixture_mails_are_refused(fixture_bytes):
    for name in ("broken_mail_binary.eml", "broken_mail_no_headers.eml"):
        with pytest.raises(SourceError):
            parse_email(fixture_bytes(name), name)


def test_html_text_keeps_blocks_apart_and_drops_code():
    html = "<html><head><title>T</title><style>.a{}</style></head><body><h1>Hi</h1><p>One<br>Two</p>" \
           "<script>x()</script><table><tr><td>Name:</td><td>Ann</td></tr></table></body></html>"
    assert read_html(html).text == "Hi\n\nOne\nTwo\n\nName: Ann"


def test_undeclared_utf8_is_read_quietly_but_a_false_label_is_reported():
    data = "From: a@example.com\nSubject: x\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nCafé ☕\n".encode()
    quiet = parse_email(data, "q.eml")
    assert quiet.body == "Café ☕" and quiet.warnings == []
    labelled = parse_email(
        "From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=us-ascii\n\nCafé ☕\n".encode(), "l.eml"
    )
    assert labelled.body == "Café ☕"
    assert any("not valid us-ascii; read it as utf-8" in w for w in labelled.warnings)


def test_html_table_form_notification_gives_the_person_not_the_robot():
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["Subject"] = "WordPress <wordpress@acme.example>", "New form entry"
    m.set_content("<table><tr><td>Name</td><td>Dana Harbor</td></tr><tr><td><b>Email</b></td>"
                  "<td>dana@harbor.example</td></tr><tr><td>Message</td><td>We need a site</td></tr></table>",
                  subtype="html")
    msg = parse_email(bytes(m), "entry.eml")
    assert (msg.name, msg.email) == ("Dana Harbor", "dana@harbor.example")
    empty = parse_email(b"From: WordPress <wordpress@acme.example>\r\nSubject: New entry\r\n\r\nNo fields.\r\n", "e.eml")
    assert empty.email is None and empty.fields["notification_from"] == "wordpress@acme.example"
    person = parse_email(b"From: Tom Wixted <tom@wixted.example>\r\nSubject: hi\r\n\r\nHi\r\n", "t.eml")
    assert person.email == "tom@wixted.example" and not any("no-reply" in w for w in person.warnings)


@pytest.mark.parametrize("subject,expected,charset", [
    ("=?x-unknown?Q?Caf=E9_=E0_Paris?=", "Café à Paris", "cp1252"),
    ("=?x-unknown?B?Q2Fmw6kgw6AgUGFyaXM=?=", "Café à Paris", "utf-8"),
    ("=?utf-8?Q?Caf=C3=A9?= and =?x-unknown?Q?r=E9union?=", "Café and réunion", "cp1252"),
    ("=?unknown-8bit?Q?Caf=C3=A9?=", "Café", "utf-8"),
])
def test_unknown_charset_subject_is_guessed_with_a_warning(subject, expected, charset):
    """Issue 14: an `x-unknown` encoded word became mojibake, with no warning."""
    msg = parse_email(f"From: a@b.example\r\nSubject: {subject}\r\n\r\nhi\r\n".encode(), "s.eml")
    assert msg.subject == expected
    assert any("the Subject declares the unknown charset" in w and charset in w for w in msg.warnings)


def test_garbage_base64_body_is_warned_and_read_as_written():
    """Issue 14: a body marked base64 that is not became binary mojibake with no warning."""
    data = (b"From: a@b.example\r\nSubject: x\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"Hello, we need a quote for a new site (12 pages) - thanks!\r\n")
    msg = parse_email(data, "g.eml")
    assert msg.body == "Hello, we need a quote for a new site (12 pages) - thanks!"
    assert msg.warnings == ["a text/plain part is marked base64 but is not; read it as written"]


def test_damaged_base64_body_is_warned():
    data = (b"From: a@b.example\r\nSubject: x\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"SGVsbG8sIHdlIG5lZWQgYSBxdW90ZQ\r\n")  # padding cut off
    msg = parse_email(data, "d.eml")
    assert msg.body.startswith("Hello, we need a quote")
    assert any("base64 is damaged" in w for w in msg.warnings)


def test_good_base64_body_has_no_warning():
    data = (b"From: a@b.example\r\nSubject: x\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"SGVsbG8sIHdlIG5lZWQgYSBxdW90ZS4=\r\n")
    msg = parse_email(data, "ok.eml")
    assert (msg.body, msg.warnings) == ("Hello, we need a quote.", [])
