"""The non-AI fallback: keyword rules used when the embedding model cannot be loaded.

Deliberately modest confidences (≤ 0.5) so nothing downstream mistakes a keyword hit for certainty.
"""

from __future__ import annotations

import re

from opsys.records import Classification

DECIDED_BY = "rules:keyword-fallback"

# Checked in this order: spam words first (a pitch saying "urgent" is still a pitch).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "spam": ("backlink", "guest post", "crypto", "bitcoin", "airdrop", "wallet", "unsubscribe", "newsletter",
             "da 50", "high-da", "high da", "link placement", "white-label", "white label", "claim your",
             "you have won", "winner", "prize", "verify your account", "click here", "followers",
             "seo audit", "rank #1", "guaranteed", "txt stop", "inheritance"),
    "urgent": ("urgent", "asap", "down", "hacked", "not working", "broken", "error", "outage", "offline",
               "emergency", "immediately", "locked out", "expired", "malware", "dringend", "urgente"),
    "faq": ("how much", "do you do", "do you offer", "price range", "opening hours", "office hours",
            "where are you", "how long does", "how long will", "what is included", "what's included"),
}
LEAD_WORDS = ("quote", "proposal", "rfp", "budget", "new website", "redesign", "looking for", "interested in",
              "referral", "referred", "estimate", "pricing", "how much", "can you build", "need a website",
              "angebot", "presupuesto", "cotización")


def _hits(text: str, words: tuple[str, ...]) -> list[str]:
    # whole words (plurals too): "download" must not count as "down"
    return [w for w in words if re.search(rf"(?<![a-z]){re.escape(w)}(?:s|es)?(?![a-z])", text)]


def keyword_classify(text: str) -> Classification:
    """Category and is_lead from keyword hits; 'routine' when nothing matches."""
    low = text.lower()
    category, matched = "routine", []
    for name, words in KEYWORDS.items():
        found = _hits(low, words)
        if found:
            category, matched = name, found
            break
    leads = _hits(low, LEAD_WORDS) if category != "spam" else []
    # a couple of hits is more telling than one, but keywords never earn more than a coin flip
    confidence = 0.5 if len(matched) >= 2 else 0.4 if matched else 0.3
    return Classification(
        category=category, category_confidence=confidence,
        is_lead=bool(leads), lead_confidence=0.5 if len(leads) >= 2 else 0.4,
        decided_by=DECIDED_BY,
        detail={"matched": matched, "lead_matched": leads,
                "reason": "embedding model unavailable; keyword rules decided"})
