"""parse_form: the documented schema, plugin spellings, wrappers, and the errors users hit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from opsys.sources.errors import SourceError
from opsys.sources.fields import canonical_field, parse_when
from opsys.sources.form import parse_form


def _form(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_documented_schema_fills_every_field(fixture_bytes):
    msg = parse_form(fixture_bytes("form_documented.json"), "form_documented.json")
    assert msg.channel == "web_form"
    assert (msg.name, msg.email, msg.phone, msg.company) == (
        "Dana Whitfield", "dana@whitfield-dental.co.uk", "020 7946 0958", "Whitfield Dental",
    )
    assert msg.subject == "New booking site"
    assert msg.body.startswith("Our booking site is slow")
    assert msg.received_at == datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)
    assert msg.fields == {
        "form": "contact", "service": "Website redesign", "budget": "£8,000-£12,000",
        "timeline": "Before March", "company_size": "11-50",
        "website": "https://whitfield-dental.co.uk", "referred_by": "Sam Patel",
    }
    assert msg.warnings == []


def test_contact_form_7_names_are_understood_and_extras_kept(fixture_bytes):
    msg = parse_form(fixture_bytes("form_cf7.json"), "form_cf7.json")
    assert msg.email == "Maria.Gonzalez@Example.ORG"  # normalise lower-cases, not the source
    assert msg.name == "maria   GONZÁLEZ"
    assert msg.phone == "+44 113 496 0000"
    assert msg.subject == "Quote for SEO"
    assert msg.body == "We need help ranking for 'dentist leeds'."
    assert msg.fields["extra.menu-service"] == "SEO audit"
    assert msg.fields["extra.checkbox-newsletter"] == "yes"
    assert msg.fields["extra._wpcf7"] == "172"


def test_fields_list_with_label_name_key_and_list_values(fixture_bytes):
    msg = parse_form(fixture_bytes("form_fields_list.json"), "form_fields_list.json")
    assert (msg.name, msg.email) == ("Priya Raman", "priya@raman-architects.com")
    assert msg.fields["service"] == "Brand identity, Website"
    assert msg.fields["budget"] == "15k"
    assert msg.fields["referred_by"] == "Google"
    assert msg.fields["extra.Favourite colour"] == "teal"
    assert msg.fields["form"] == "Quote request"
    assert msg.subject == "Web form: Quote request"
    assert msg.body == "New practice, launching in spring."
    assert msg.received_at == datetime.fromtimestamp(1763910245, UTC)


def test_payload_data_wrapper_and_first_last_name(fixture_bytes):
    msg = parse_form(fixture_bytes("form_wrapped.json"), "form_wrapped.json")
    assert msg.name == "tom o'brien"
    assert (msg.email, msg.company) == ("tom@obrien.ie", "O'Brien Joinery")
    assert msg.fields["timeline"] == "ASAP"
    assert msg.fields["company_size"] == "5"
    assert msg.fields["service"] == "E-commerce"
    assert msg.fields["extra.event"] == "form.submitted"
    assert msg.received_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_windows_1252_file_is_read_with_a_warning(fixture_bytes):
    msg = parse_form(fixture_bytes("form_cp1252.json"), "form_cp1252.json")
    assert msg.name == "Zoë Brontë"
    assert msg.body == "Café menu site — 3 pages"
    assert any("not UTF-8" in w and "Windows-1252" in w for w in msg.warnings)


def test_utf8_bom_is_accepted():
    msg = parse_form("\ufeff".encode() + _form({"email": "a@example.com"}), "bom.json")
    assert msg.email == "a@example.com" and msg.warnings == []


def test_phone_alone_is_enough(fixture_bytes):
    msg = parse_form(fixture_bytes("form_phone_only.json"), "form_phone_only.json")
    assert (msg.email, msg.phone) == (None, "0113 496 0123")


def test_second_value_for_a_field_is_kept_not_lost():
    msg = parse_form(_form({"email": "a@example.com", "E-mail": "b@example.com"}), "two.json")
    assert msg.email == "a@example.com"
    assert msg.fields["extra.E-mail"] == "b@example.com"


def test_unreadable_date_is_kept_and_warned():
    msg = parse_form(_form({"email": "a@example.com", "date": "next tuesday"}), "d.json")
    assert msg.received_at is None
    assert msg.fields["submitted_at"] == "next tuesday"
    assert any("next tuesday" in w for w in msg.warnings)


def test_invalid_json_names_line_and_column(fixture_bytes):
    with pytest.raises(SourceError) as caught:
        parse_form(fixture_bytes("broken_form_invalid.json"), "broken_form_invalid.json")
    assert "line 4, column 3" in caught.value.problem
    assert str(caught.value).startswith("broken_form_invalid.json: invalid JSON")


def test_top_level_list_is_refused(fixture_bytes):
    with pytest.raises(SourceError, match="not an object"):
        parse_form(fixture_bytes("broken_form_list.json"), "broken_form_list.json")


def test_no_email_or_phone_is_refused_on_field_email(fixture_bytes):
    with pytest.raises(SourceError) as caught:
        parse_form(fixture_bytes("broken_form_no_contact.json"), "broken_form_no_contact.json")
    assert caught.value.field == "email"
    assert "must collect an email or a phone" in caught.value.fix
    assert "field 'email'" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"  \n", b"\x00\x01binary", b"[1, 2", b'"just a string"'])
def test_other_bad_files_raise_source_error_only(data):
    with pytest.raises(SourceError):
        parse_form(data, "bad.json")


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Full Name", "name"), ("your-name", "name"), ("E-Mail", "email"), ("email_address", "email"),
        ("Tel", "phone"), ("Mobile", "phone"), ("Organisation", "company"), ("business", "company"),
        ("Project Details", "message"), ("your-message", "message"), ("Interested_In", "service"),
        ("launch date", "timeline"), ("Team Size", "company_size"), ("created_at", "submitted_at"),
        ("First Name", "first_name"), ("Job Title", "job_title"), ("Lead Source", "lead_source"),
        ("Favourite colour", None),
    ],
)
def test_aliases(label, field):
    assert canonical_field(label) == field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T15:04:05Z", datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)),
        ("2026-11-23 15:04", datetime(2026, 11, 23, 15, 4, tzinfo=UTC)),
        ("23/11/2026", datetime(2026, 11, 23, tzinfo=UTC)),
        ("02/03/2026", datetime(2026, 3, 2, tzinfo=UTC)),  # day-first when ambiguous
        ("11/23/2026 3:04 PM", datetime(2026, 11, 23, 15, 4, tzinfo=UTC)),
        ("Mon, 23 Nov 2026 15:04:05 +0000", datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)),
        ("1763910245000", datetime.fromtimestamp(1763910245, UTC)),
        ("soon", None),
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text) == expected


def test_a_key_given_twice_keeps_the_first_value_and_warns(fixture_bytes):
    """Issue 14: a second `email` silently replaced the first (json.loads keeps the last)."""
    msg = parse_form(fixture_bytes("form_duplicate_email.json"), "form_duplicate_email.json")
    assert msg.email == "dana@whitfield.example"
    (warning,) = msg.warnings
    assert "'email' is given more than once" in warning and "attacker@evil.example" in warning


def test_a_repeated_key_inside_a_wrapper_is_warned_too():
    msg = parse_form(b'{"data": {"email": "a@x.example", "phone": "1", "email": "b@x.example"}}', "w.json")
    assert msg.email == "a@x.example" and any("'email'" in w for w in msg.warnings)
