"""The deterministic parts of classification: urgent rules and spam evidence, on texts written here."""

from __future__ import annotations

import pytest

from opsys.ai.spam_evidence import spam_evidence
from opsys.ai.urgent_rules import says_not_urgent, urgent_rule


@pytest.mark.parametrize("text, rule", [
    ("The shop has been down since 6am, customers can't check out.", "outage"),
    ("Every page shows a 503 error since the plugin update", "outage"),
    ("Our WordPress admin was hacked overnight, there are users we don't know", "security"),
    ("I'm disputing INV-3021, the hours are wrong", "billing dispute"),
    ("We were charged twice for the care plan this month", "billing dispute"),
    ("The invoice doesn't match the quote we signed. We won't pay it as it stands.", "billing dispute"),
    ("Please take this as notice that we're cancelling our SEO retainer", "cancellation"),
    ("We're thinking of moving the site to another agency next quarter", "cancellation"),
    ("Our solicitor will be in touch about the missed launch", "legal threat"),
    ("The launch is tomorrow at 9 and the checkout still isn't live", "deadline at risk"),
    ("Please fix this ASAP", "urgency words"),
])
def test_each_kind_of_urgent_mail_names_its_rule(text, rule):
    hit = urgent_rule(text)
    assert hit is not None and hit.rule == rule and hit.matched
    assert hit.ref == f"urgent_rules.py#{rule.replace(' ', '-')}"


@pytest.mark.parametrize("text", [
    "Can we move Thursday's call to Friday? Something came up.",
    "Invoice received, it will go out with Friday's payment run.",
    "What's your refund policy if we cancel halfway?",  # a policy question is not a cancellation
    "Our lawyer reviewed the privacy page and is happy with it, please publish.",
    "Could you fix the typo on the About page? Not urgent, whenever you get a chance - it's due tomorrow",
    "We can't pay much, maybe $300 for a logo",
])
def test_ordinary_mail_matches_no_urgent_rule(text):
    assert urgent_rule(text) is None


def test_a_lead_is_lifted_only_by_outages_security_and_deadlines():
    text = "We're a law firm, our lawyer colleagues want a new site ASAP"
    assert urgent_rule(text, lead=False) is not None
    assert urgent_rule(text, lead=True) is None
    assert urgent_rule("Not a client yet, but our site is down since Saturday", lead=True).rule == "outage"


def test_says_not_urgent():
    assert says_not_urgent("No rush on this one") and says_not_urgent("whenever you get a chance")
    assert not says_not_urgent("this is urgent")


@pytest.mark.parametrize("text, kind", [
    ("Boost your rankings with 200 high-DA backlinks", "pitch"),
    ("Visit http://deals.example now", "link"),
    ("Guest posts from $45 per link", "money offer"),
    ("FREE entry in our weekly draw, txt WIN to 80082", "call to action"),
    ("Read online | Unsubscribe | Manage preferences", "bulk footer"),
    ("Your account has been suspended. Verify your identity within 24 hours", "phishing"),
])
def test_spam_evidence_kinds(text, kind):
    assert kind in spam_evidence(text).found


@pytest.mark.parametrize("text", [
    "Gud mrng dear have a nice day",
    "ok see you at 7, bring the charger",
    "Please send invoices to accounts@harbordental.example from now on",  # an address is not a link
    "Don't forget to chat with Vera about the Q3 numbers.",
    "Budget is $25,000 and we'd like to start in January",  # a lead's budget is not a money offer
])
def test_plain_mail_shows_no_spam_evidence(text):
    assert not spam_evidence(text), spam_evidence(text).describe()


def test_strong_evidence_needs_two_kinds_or_two_phishing_phrases():
    assert spam_evidence("Verify your account within 24 hours").strong
    assert spam_evidence("Verify your account at http://x-verify.example").strong
    assert not spam_evidence("Click here").strong
