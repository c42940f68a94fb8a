"""A label never silently overrules the evidence (rules/label_check.py), on real scores of real texts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsys.config.loader import load_system_map
from opsys.records import Classification, Lead
from opsys.rules.label_check import CHECK, POSSIBLE_SPAM, check_label
from opsys.rules.scoring import score_lead

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LEADY = "Hi, we need a new website for our 3 clinics, budget £30-40k. Could you send pricing?"
PITCH = "We can get your site 500 high-DA backlinks for only $99. Reply YES to start ranking #1!"


@pytest.fixture(scope="module")
def m():
    return load_system_map(REPO / "system_map")


def _case(m, text: str, cls: Classification, channel: str = "email", client=None, known: bool = False):
    lead = Lead(channel=channel, source_name="t", position=0, name=None, email=None, phone=None, company=None,
                subject="", body=text, received_at=NOW, attachments=[], fields={}, warnings=[])
    return check_label(lead, cls, score_lead(lead, client, m, NOW), client, known)


def _cls(category: str, conf: float, is_lead: bool, lead_conf: float) -> Classification:
    return Classification(category, conf, is_lead, lead_conf, "embedding:all-MiniLM-L6-v2", {})


def test_spam_that_looks_like_a_lead_goes_to_check_with_both_sides(m):
    found = _case(m, LEADY, _cls("spam", 0.58, False, 0.7))
    assert found.queue == POSSIBLE_SPAM
    assert "spam at 0.58" in found.reason() and any("GBP" in e for e in found.evidence)
    assert found.routed_as.is_lead and found.routed_as.category == "routine"
    assert found.routed_as.decided_by.startswith("rule:label_check")
    assert found.routed_as.detail["model_label"]["category"] == "spam"


def test_a_real_pitch_stays_spam(m):
    assert _case(m, PITCH, _cls("spam", 0.9, False, 0.95)) is None


def test_spam_from_a_client_domain_or_known_contact_is_checked(m):
    client = m.clients.clients[0]
    assert _case(m, PITCH, _cls("spam", 0.9, False, 0.95), client=client).queue == POSSIBLE_SPAM
    assert "known contact" in _case(m, PITCH, _cls("spam", 0.9, False, 0.95), known=True).reason()


def test_unsure_not_a_lead_with_strong_signals_is_checked_confident_one_is_not(m):
    assert _case(m, LEADY, _cls("routine", 0.8, False, 0.6)).queue == CHECK
    assert _case(m, "Thanks, the photos look great on the about page.", _cls("routine", 0.8, False, 0.6)) is None
    asks = "We need a new website for our clinics. Could you send pricing?"  # a service and an ask, no budget
    assert _case(m, asks, _cls("routine", 0.8, False, 0.75)).queue == CHECK
    assert _case(m, asks, _cls("routine", 0.8, False, 0.95)) is None  # confident, no budget: the label stands


def test_a_budget_and_one_more_signal_are_checked_whatever_the_confidence(m):
    # the council's invitation to quote was "not a lead" at 0.80 with a £14.5k budget: never silently
    found = _case(m, LEADY, _cls("routine", 0.8, False, 0.95))
    assert found.queue == CHECK and any("budget" in x for x in found.evidence)


def test_one_signal_is_enough_only_when_the_label_is_near_a_coin_flip(m):
    one = "Do you do website accessibility (ADA) compliance?"  # a service we sell, nothing else
    assert _case(m, one, _cls("faq", 0.7, False, 0.55)).queue == CHECK
    assert _case(m, one, _cls("faq", 0.7, False, 0.75)) is None


def test_known_client_asking_for_new_work_is_checked_whatever_the_confidence(m):
    gold = next(c for c in m.clients.clients if c.tier == "gold")
    found = _case(m, "Could you quote a new landing page and Google Ads for our fifth clinic?",
                  _cls("routine", 0.9, False, 0.97), client=gold)
    assert found.queue == CHECK and gold.name in found.reason()


def test_a_rules_label_is_not_second_guessed(m):
    rule_label = Classification("routine", 1.0, True, 1.0, "rule:channels#lead-list-rows-are-leads", {})
    assert _case(m, PITCH, rule_label, channel="csv") is None
