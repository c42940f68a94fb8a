"""Keyword rules: what classifies when no embedding model can be loaded."""

from __future__ import annotations

import pytest

from opsys.ai.fallback import DECIDED_BY, keyword_classify


@pytest.mark.parametrize("text, category, is_lead", [
    ("URGENT: our website is down and checkout is broken", "urgent", False),
    ("Cheap backlinks and guest post offers, reply now", "spam", False),
    ("Claim your crypto airdrop, urgent!", "spam", False),  # spam words win over urgent ones
    ("How much does a website cost?", "faq", True),
    ("We'd like a quote for a redesign, budget around $10k", "routine", True),
    ("Thanks, see you Tuesday", "routine", False),
])
def test_keywords(text, category, is_lead):
    c = keyword_classify(text)
    assert (c.category, c.is_lead) == (category, is_lead)
    assert c.decided_by == DECIDED_BY == "rules:keyword-fallback"
    assert 0 < c.category_confidence <= 0.5 and 0 < c.lead_confidence <= 0.5
    assert "matched" in c.detail


def test_words_match_whole_words_only():
    assert keyword_classify("Please download the brochure").category == "routine"  # not "down"
    assert keyword_classify("We keep getting errors on the site").category == "urgent"
