"""read_html and the email reader: text a person cannot see is not read as the message, and is warned about."""

from __future__ import annotations

import time

import pytest

from opsys.sources.email import parse_email
from opsys.sources.html_text import read_html


def _mail(html: str) -> bytes:
    return (b"From: Pat <pat@client.example>\r\nSubject: Site\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode())


def test_issue_14_white_zero_size_text_is_not_scored_and_is_warned():
    msg = parse_email(_mail("<p>Can you quote a small site?</p>"
                            "<p style='color:#fff;font-size:0'>budget $1,000,000, deadline next week</p>"), "m.eml")
    assert msg.body == "Can you quote a small site?"
    assert any("cannot see" in w and "1,000,000" in w for w in msg.warnings)


@pytest.mark.parametrize("hidden", [
    "<div style='display:none'>HIDDEN</div>",
    "<div style='DISPLAY: none !important'>HIDDEN</div>",
    "<div hidden>HIDDEN</div>",
    "<span style='visibility:hidden'>HIDDEN</span>",
    "<span style='font-size:0px'>HIDDEN</span>",
    "<span style='font-size:1px'>HIDDEN</span>",
    "<font color='#FFFFFF'>HIDDEN</font>",
    "<span style='color:white'>HIDDEN</span>",
    "<span style='color:rgb(254,254,254)'>HIDDEN</span>",
    "<table bgcolor='#003300'><tr><td><span style='color:#003300'>HIDDEN</span></td></tr></table>",
    "<div style='background-color:#222;color:#252525'>HIDDEN</div>",
    "<div style='position:absolute;left:-9999px'>HIDDEN</div>",
    "<div style='position:fixed;top:-2000px'>HIDDEN</div>",
    "<p style='text-indent:-9999px'>HIDDEN</p>",
    "<div style='max-height:0;overflow:hidden'>HIDDEN</div>",
    "<span style='opacity:0'>HIDDEN</span>",
    "<style>.pre{display:none}</style><span class='x pre'>HIDDEN</span>",
    "<style>#w { color: #ffffff }</style><p id='w'>HIDDEN</p>",
    "<div style='display:none'><p style='display:block;color:#000'>HIDDEN</p></div>",  # no child undoes display:none
])
def test_hidden_text_is_left_out(hidden):
    read = read_html(f"<p>Visible words.</p>{hidden}<p>More visible.</p>")
    assert read.text == "Visible words.\n\nMore visible."
    assert read.hidden and read.hidden_chars == len("HIDDEN")
    assert "HIDDEN" in read.warning()


@pytest.mark.parametrize("html,text", [
    # MJML/Foundation templates zero the font size of a wrapper and set it again inside.
    ("<div style='font-size:0'><div style='font-size:14px;display:inline-block'>Column one</div></div>",
     "Column one"),
    ("<body bgcolor='#000000'><font color='#ffffff'>Light on dark</font></body>", "Light on dark"),
    ("<td bgcolor='#024003'><font color='#FFFFFF'>White on green</font></td>", "White on green"),
    ("<font color='#FFFFFF'><a href='https://x.example'>A link is drawn in link blue</a></font>",
     "A link is drawn in link blue"),
    ("<span style='visibility:hidden'><b style='visibility:visible'>Shown again</b></span>", "Shown again"),
    ("<div style='background:url(bg.png) #fff;color:#fff'>Over a picture</div>", "Over a picture"),
    ("<p style='color:#777'>Grey on white</p>", "Grey on white"),
    ("<html><head><title>Title</title><body><p>An unclosed head</p>", "An unclosed head"),
    ("<ul><li>One<li>Two</ul>", "One\n\nTwo"),
])
def test_visible_text_stays(html, text):
    read = read_html(html)
    assert read.text == text and read.hidden == [] and read.warning() is None


def test_junk_html_added_to_a_real_lead_leaves_its_text_as_it_was(fixture_bytes):
    """Issue 14: hidden junk flipped a real lead to "not a lead" and raised its score; it must read the same."""
    clean = parse_email(fixture_bytes("html_lead.eml"), "html_lead.eml")
    junk = parse_email(fixture_bytes("html_lead_hidden_junk.eml"), "html_lead_hidden_junk.eml")
    assert "new booking site for our" in clean.body and clean.warnings == []
    assert junk.body == clean.body
    for word in ("1,000,000", "250k", "500 person", "asap", "six figures", "hot lead", "Q1", "free money",
                 "URGENT"):
        assert word not in junk.body
    assert len(junk.warnings) == 1 and "cannot see" in junk.warnings[0]


def test_junk_html_added_to_real_html_mails_leaves_their_text(mail_fixtures):
    junk = ("<div style='display:none'>budget $1,000,000 deadline next week</div>"
            "<span style='color:#ffffff;font-size:0'>urgent asap referral</span><!-- a comment -->"
            "<img src='https://t.example/p.gif' width=1 height=1><b></b>")
    # HTML-only mails (no text/plain part), so the HTML is what is read
    names = ["flanker/long-links.eml", "mail_parser/mail_test_4.eml", "mail_parser/mail_test_6.eml",
             "mikel_mail/error_emails/content_transfer_encoding_with_8bits.eml"]
    for name in names:
        data = (mail_fixtures / name).read_bytes()
        before = parse_email(data, name)
        at = data.lower().rfind(b"</body>")
        assert at > 0, name
        after = parse_email(data[:at] + junk.encode() + data[at:], name)
        assert after.body == before.body, name
        assert any("cannot see" in w for w in after.warnings), name


def test_a_huge_html_table_is_read_in_seconds_not_minutes():
    """BeautifulSoup's insertions were quadratic: a 5 MB table took over 10 minutes."""
    row = "<tr><td style='color:#333'>We need a new booking site for three clinics.</td><td>8k</td></tr>\n"
    html = "<table>" + row * (2_000_000 // len(row)) + "</table>"
    started = time.perf_counter()
    read = read_html(html, max_chars=100_001)
    assert time.perf_counter() - started < 5
    assert read.truncated and 90_000 < len(read.text) <= 100_001


def test_markup_without_text_is_read_whole_and_fast():
    html = "<p>Real question?</p>" + "<div><span style='display:none'>x</span><b></b></div>" * 40_000
    started = time.perf_counter()
    read = read_html(html)
    assert time.perf_counter() - started < 5
    assert read.text == "Real question?" and read.hidden_chars == 40_000
