"""The receiving server's Authentication-Results verdict on the sender's domain, as the email reader records it."""

from __future__ import annotations

import pytest

from opsys.sources.email import parse_email
from opsys.sources.mail_auth import auth_fields


def test_a_spoofed_client_mail_is_marked_failed_and_a_forged_pass_below_is_ignored(fixture_bytes):
    """Issue 14: `From: ceo@harbordental.example` with spf=fail; dkim=fail got tier gold."""
    msg = parse_email(fixture_bytes("spoofed_client.eml"), "spoofed_client.eml")
    assert msg.email == "ceo@harbordental.example"
    assert msg.fields["auth_failed"] == "spf,dkim,dmarc"
    assert msg.fields["auth_results"] == "spf=fail dkim=fail dmarc=fail"


@pytest.mark.parametrize("value,failed", [
    ("mx.example; spf=fail smtp.mailfrom=a@harbordental.example; dkim=fail header.d=harbordental.example", "spf,dkim"),
    ("mx.example; spf=softfail (not permitted) smtp.mailfrom=harbordental.example", "spf"),
    ("mx.example; dmarc=fail (p=reject) header.from=harbordental.example", "dmarc"),
    ("mx.example; dkim=fail", "dkim"),                                         # names no domain: counts
    ("mx.example; dkim=fail header.d=mail.harbordental.example", "dkim"),      # a subdomain of the sender's
    # Microsoft's form has no server name first
    ("spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=harbordental.example; dkim=none; dmarc=fail "
     "action=none header.from=harbordental.example;compauth=fail reason=000", "spf,dmarc"),
    ("mx.example; spf=pass smtp.mailfrom=harbordental.example; dkim=pass header.d=harbordental.example", None),
    ("mx.example; dkim=fail header.d=sendgrid.example; dkim=pass header.d=harbordental.example", None),
    ("mx.example; spf=neutral; dkim=none; dmarc=none", None),
    ("mx.example; none", None),
])
def test_failures_about_the_sender_domain_count(value, failed):
    found = auth_fields([("Authentication-Results", value)], "ceo@harbordental.example")
    assert found.get("auth_failed") == failed


def test_no_header_records_nothing():
    assert auth_fields([("From", "a@b.example")], "a@b.example") == {}


def test_no_real_mail_in_the_corpus_is_marked_failed(mail_fixtures):
    """The third-party corpus carries pass, neutral, none and softfail-for-another-domain verdicts only."""
    seen = 0
    for path in sorted(mail_fixtures.rglob("*")):
        if path.is_file() and b"Authentication-Results:" in path.read_bytes()[:20_000]:
            msg = parse_email(path.read_bytes(), path.name)
            seen += "auth_results" in msg.fields
            assert "auth_failed" not in msg.fields, path
    assert seen >= 15
