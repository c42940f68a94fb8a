"""sources/reply_split.py: the new text apart from quotes and signatures, never losing what was written."""

from __future__ import annotations

from pathlib import Path

from opsys.sources.email import parse_email
from opsys.sources.reply_split import signature_details, split_reply
from opsys.workspace import SAMPLE_INBOX


def test_quote_headers_of_the_common_mailers_are_split_off():
    outlook = ("Sounds good, thanks.\n\n________________________________\nFrom: Maya <maya@x.example>\n"
               "Sent: Tuesday, December 1, 2026 2:02 PM\nTo: Dana\nSubject: RE: Website\n\nOur timeline is urgent")
    german = ("Passt, danke!\n\nViele Grüße\nJonas Weber\nWeber GmbH\n\nAm Di., 1. Dez. 2026 um 14:02 Uhr schrieb "
              "Maya <maya@x.example>:\n> Hallo Jonas, wann passt es?")
    iphone = "Yes please\n\nSent from my iPhone\n\n> On 1 Dec 2026, at 14:02, Maya wrote:\n> \n> Hi"
    assert split_reply(outlook).new_text == "Sounds good, thanks." and "urgent" in split_reply(outlook).quoted
    g = split_reply(german)
    assert g.new_text == "Passt, danke!" and g.signature.startswith("Viele Grüße") and "schrieb" in g.quote_header
    assert split_reply(iphone).new_text == "Yes please"


def test_lists_and_a_thanks_that_opens_a_paragraph_are_content_not_a_signature():
    text = "Hi,\n\nThanks, we'd love a quote for a new site.\n- 40 pages\n- booking\n\nBest,\nDana"
    r = split_reply(text)
    assert "40 pages" in r.new_text and "love a quote" in r.new_text
    listed = "Quick facts:\n\n- We're 120 people\n- Drupal 7 today\n\nBudget 40k.\n\nBest regards,\nAnn"
    r = split_reply(listed)
    assert "120 people" in r.new_text and r.signature == "Best regards,\nAnn"


def test_a_forward_keeps_its_whole_text():
    fwd = ("Can you help this person?\n\n---------- Forwarded message ---------\nFrom: Dana <dana@x.example>\n"
           "Subject: Website\n\nWe need a new website, budget 20k.")
    assert split_reply(fwd).new_text == fwd
    assert split_reply("> only a quote\n> here").new_text == "> only a quote\n> here"


def test_every_sample_lead_keeps_its_request():
    """The sample inbox's leads: the split never takes the budget or the ask out of a first mail."""
    for path in sorted(Path(SAMPLE_INBOX).glob("*.eml")):
        raw = path.read_bytes()
        if b"\x00" in raw[:4096]:
            continue
        try:
            msg = parse_email(raw, path.name)
        except Exception:  # the broken samples are the quarantine tests' business
            continue
        if msg.fields.get("in_reply_to"):
            assert "wrote" in msg.fields.get("quote_header", "") or msg.fields.get("quoted_text"), path.name
            continue  # a reply: what it quotes was said before (and is stored with that mail)
        if "budget" in (msg.fields.get("signature", "") + msg.fields.get("quoted_text", "")).lower():
            raise AssertionError(f"{path.name}: the budget went into the split-off part")


def test_signature_details():
    assert signature_details("Best,\nDana Whitfield\nHarbor Dental Ltd\n+44 20 7946 0958") == (
        "+44 20 7946 0958", "Harbor Dental Ltd")
    assert signature_details("Thanks\nSam | Head of Ops | Acme Widgets Inc.\nM: 07700 900123") == (
        "07700 900123", "Acme Widgets Inc.")
    assert signature_details("Sent from my iPhone") == (None, None)
