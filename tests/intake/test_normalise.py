"""normalise: clean names, validated emails, E.164 phones, UTC times; bad values only warn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from opsys.intake.normalise import normalise
from opsys.records import Attachment, InboundMessage

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _msg(**kwargs) -> InboundMessage:
    return InboundMessage(channel=kwargs.pop("channel", "email"), source_name="t.eml", **kwargs)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('  "Dana   Whitfield" ', "Dana Whitfield"),
        ("JOHN O'BRIEN", "John O'Brien"),
        ("jean-luc picard", "Jean-Luc Picard"),
        ("mcKenzie Smith", "mcKenzie Smith"),  # mixed case is the person's own spelling
        ("'bob@example.com'", None),
        ("   ", None),
        (None, None),
        ("山田 太郎", "山田 太郎"),
    ],
)
def test_name(raw, expected):
    assert normalise(_msg(name=raw), "GB", NOW).name == expected


def test_email_is_validated_and_lower_cased():
    lead = normalise(_msg(email=" Maria.Gonzalez@Example.ORG "), "GB", NOW)
    assert lead.email == "maria.gonzalez@example.org"
    assert lead.warnings == []


def test_name_equal_to_the_email_is_dropped():
    assert normalise(_msg(name="Bob@Example.com", email="bob@example.com"), "GB", NOW).name is None


def test_invalid_email_becomes_none_and_a_warning_naming_it():
    lead = normalise(_msg(email="bob@", warnings=["from source"]), "GB", NOW)
    assert lead.email is None
    assert lead.warnings[0] == "from source"
    assert "'bob@'" in lead.warnings[1]


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("+1 (202) 555-0143", "GB", "+12025550143"),  # a + prefix overrides the default region
        ("+44 20 1234", "GB", None),  # too short for a London number
        ("+49 30 901820", "gb", "+4930901820"),
        ("(0113) 496 0000", "GB", "+441134960000"),
    ],
)
def test_phone_to_e164(raw, region, expected):
    lead = normalise(_msg(phone=raw), region, NOW)
    assert lead.phone == expected
    assert bool(lead.warnings) == (expected is None)


def test_invalid_phone_warns_and_does_not_search_the_body():
    lead = normalise(_msg(phone="12345", body="call 020 7946 0958"), "GB", NOW)
    assert lead.phone is None
    assert any("'12345'" in w for w in lead.warnings)


def test_phone_found_in_body_when_source_had_none():
    lead = normalise(_msg(body="Hi, ring me on 020 7946 0958 after 4pm. Order #12345."), "GB", NOW)
    assert lead.phone == "+442079460958"
    assert lead.fields["phone_source"] == "body"


def test_text_is_cleaned_but_kept_whole():
    body = "Hello,\r\n\r\n\r\n\r\nLine two   \rLine three\n\n\n"
    lead = normalise(_msg(subject="  Re:\n  quote ", body=body, company="  Acme  Ltd "), "GB", NOW)
    assert lead.body == "Hello,\n\nLine two\nLine three"
    assert lead.subject == "Re: quote"
    assert lead.company == "Acme Ltd"


def test_received_at_is_aware_utc_and_defaults_to_now():
    paris = timezone(timedelta(hours=1))
    assert normalise(_msg(received_at=datetime(2026, 1, 1, 10, tzinfo=paris)), "GB", NOW).received_at == datetime(
        2026, 1, 1, 9, tzinfo=UTC
    )
    assert normalise(_msg(received_at=datetime(2026, 1, 1, 10)), "GB", NOW).received_at == datetime(
        2026, 1, 1, 10, tzinfo=UTC
    )
    assert normalise(_msg(), "GB", NOW).received_at == NOW


def test_everything_else_is_carried_over_without_sharing_lists():
    msg = _msg(
        channel="csv", position=3, attachments=[Attachment("a.pdf", "application/pdf", 10)],
        fields={"budget": "10k"}, warnings=["w"],
    )
    lead = normalise(msg, "GB", NOW)
    assert (lead.channel, lead.source_name, lead.position) == ("csv", "t.eml", 3)
    assert lead.attachments == msg.attachments and lead.fields == {"budget": "10k"}
    lead.warnings.append("new")
    assert msg.warnings == ["w"]


def test_bad_region_never_raises():
    lead = normalise(_msg(phone="020 7946 0958", body="x"), "", NOW)
    assert lead.phone is None and lead.warnings
