"""parse_note: call and referral notes with a header block or Markdown frontmatter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsys.sources.errors import SourceError
from opsys.sources.note import parse_note


def test_call_note_header_block(fixture_bytes):
    msg = parse_note(fixture_bytes("call_note.txt"), "call_note.txt")
    assert msg.channel == "phone"
    assert (msg.name, msg.phone, msg.company) == ("Dana Whitfield", "020 7946 0958", "Whitfield Dental")
    assert msg.subject == "Call note: Dana Whitfield"
    assert msg.received_at == datetime(2026, 11, 23, 15, 4, tzinfo=UTC)
    assert msg.fields == {"logged_by": "Sam", "budget": "around 8k", "extra.Callback window": "after 4pm"}
    assert msg.body.startswith("Wants a new booking site before March.\nCurrent site")


def test_referral_inferred_from_referred_by_with_odd_key_spelling(fixture_bytes):
    msg = parse_note(fixture_bytes("referral_note.txt"), "referral_note.txt")
    assert msg.channel == "referral"
    assert (msg.name, msg.email) == ("Leo Fischer", "leo@fischer-bakery.de")
    assert msg.subject == "Referral: Leo Fischer"
    assert msg.fields == {"referred_by": "Sam Patel (Patel & Co)", "service": "Online shop"}


def test_markdown_frontmatter(fixture_bytes):
    msg = parse_note(fixture_bytes("note_frontmatter.md"), "note_frontmatter.md")
    assert msg.channel == "referral"
    assert (msg.name, msg.phone) == ("Grace Hopper", "+1 202 555 0143")
    assert msg.fields == {"logged_by": "Ana", "referred_by": "Admiral Systems", "service": "Website, Hosting"}
    assert msg.body.startswith("# Intro from Admiral Systems")
    assert "---" not in msg.body


def test_windows_1252_note_with_crlf(fixture_bytes):
    msg = parse_note(fixture_bytes("note_cp1252.txt"), "note_cp1252.txt")
    assert msg.name == "Renée Dubois"
    assert msg.body == "Wants a café website – urgent."
    assert any("Windows-1252" in w for w in msg.warnings)


def test_unknown_type_falls_back_with_warning(fixture_bytes):
    msg = parse_note(fixture_bytes("note_untyped.txt"), "note_untyped.txt")
    assert msg.channel == "phone"
    assert any("'email'" in w for w in msg.warnings)


def test_explicit_type_wins_and_subject_is_used():
    data = b"Type: Phone call\nName: Ann\nReferred by: Bob\nSubject: Follow-up\n\nText"
    msg = parse_note(data, "n.txt")
    assert msg.channel == "phone" and msg.subject == "Follow-up"


def test_url_in_free_text_is_not_a_header():
    msg = parse_note(b"Caller: Ann\n\nhttps://ann.example.com: her site\n", "n.txt")
    assert msg.body == "https://ann.example.com: her site"


def test_note_without_blank_line_still_splits_at_first_text_line():
    msg = parse_note(b"Caller: Ann\nPhone: 0113 496 0000\nShe wants a quote.\n", "n.txt")
    assert msg.phone == "0113 496 0000" and msg.body == "She wants a quote."


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("broken_note_empty.txt", "empty"),
        ("broken_note_binary.txt", "binary"),
    ],
)
def test_broken_notes(fixture_bytes, name, problem):
    with pytest.raises(SourceError) as caught:
        parse_note(fixture_bytes(name), name)
    assert problem in caught.value.problem
    assert caught.value.fix


def test_missing_caller_is_a_lead_without_contact_details(fixture_bytes):
    msg = parse_note(fixture_bytes("broken_note_no_caller.txt"), "broken_note_no_caller.txt")
    assert msg.name is msg.phone is msg.email is None
    assert msg.fields["contact_missing"] == "true" and msg.fields["logged_by"] == "Sam"
    assert any("does not say who" in w for w in msg.warnings)


def test_missing_caller_and_no_text_points_at_the_caller_field():
    with pytest.raises(SourceError) as caught:
        parse_note(b"Logged-by: Sam\n\n", "n.txt")
    assert caught.value.field == "Caller"
    assert "`Caller:`" in caught.value.fix and "`Phone:`" in caught.value.fix


def test_header_without_a_space_after_the_colon():
    note = b"Caller: Dana Whitfield\nPhone:020 7946 0958\nCompany:Whitfield Dental\n\nRang at 9:15, wants a quote.\n"
    msg = parse_note(note, "call.txt")
    assert (msg.phone, msg.company) == ("020 7946 0958", "Whitfield Dental")
    assert msg.body == "Rang at 9:15, wants a quote."  # a time in the text is no header
