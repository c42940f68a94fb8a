"""What makes a message spam beyond sounding unlike the firm's mail: links, offers, pitches, bulk footers.

Spam is never routed, so a false spam label loses the message. The embedding classifier learns
"unlike our clients" as much as "spam": short personal texts and plain business sentences land
nearest the spam examples. A spam label therefore needs evidence of spam in the text itself (or a
near-certain embedding); without it the message keeps its best other label. Each kind below is a
list of patterns over the lower-cased text, written from what spam does (sell, phish, prize, bulk),
not from the measurement sets; `opsys eval` measures the result on real ham (../shared/realdata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONEY = r"(?:[$£€]\s?\d[\d,.]*k?|\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros?|pounds|bucks)\b)"
KINDS: dict[str, tuple[str, ...]] = {
    # a link to follow (an e-mail address is not a link)
    "link": (r"https?://", r"\bwww\.", r"(?<![@\w.-])[a-z0-9][a-z0-9-]*\.(?:com|net|org|info|biz|xyz|top|site|online|"
             r"click|link|ru|io|co|example)/\S*", r"(?<![@\w.-])[a-z0-9]+-[a-z0-9-]+\.(?:com|net|org|info|biz|xyz|top|"
             r"site|online|click|link|ru|io|co|example)\b"),
    # a price per unit, a price "only" or "from", money to be won or earned
    "money offer": (rf"{_MONEY}\s?(?:/|per |an? )\s?(?:hour|hr|link|post|article|backlink)\b",
                    rf"\b(?:only|just|from|starting at|starts at|starting from|for as little as)\s+{_MONEY}",
                    rf"\b(?:earn|win|won|prize|cash|reward|bonus|receive)\b[^.!?\n]{{0,30}}{_MONEY}",
                    rf"{_MONEY}[^.!?\n]{{0,20}}\b(?:prize|cash|reward|bonus|gift card|voucher)\b",
                    r"\b\d{1,3}\s?% off\b", r"\b(?:bulk|package) (?:discounts?|deals?|prices?)\b",
                    r"\bat (?:a )?(?:very )?(?:affordable|competitive|low|discounted) (?:price|rate|cost)s?\b"),
    # the trade of cold pitches to agencies
    "pitch": (r"\bback-?links?\b", r"\bguest post", r"\bdo-?follow\b", r"\blink (?:placement|building|insertion)\b",
              r"\b(?:high[- ])?da\s?\d{2}\b", r"\bhigh[- ](?:da|authority)\b", r"\bcitations\b",
              r"\b(?:rank|ranking|rankings)\b[^.!?\n]{0,20}\b(?:#1|number one|first page|top \d+|guarantee)",
              r"\bfirst page of google\b", r"\bseo (?:errors|issues|audit|report|packages?|services)\b",
              r"\bcrypto", r"\bbitcoin\b", r"\bbtc\b", r"\beth\b", r"\bairdrop\b", r"\bforex\b", r"\bpassive income\b",
              r"\bwhite[- ]label\b", r"\boutsourc", r"\boffshore\b", r"\bemail lists?\b",
              r"\bb2b (?:leads|data|lists)\b",
              r"\b(?:real |instagram |tiktok )?followers\b", r"\blead generation\b", r"\bon autopilot\b",
              r"\bcold (?:email|outreach)\b", r"\bsponsored (?:post|placement|article|listing)\b",
              r"\b(?:free|book a|schedule a) (?:demo|trial|audit|report|consultation|sample|video)\b",
              r"\bwe (?:offer|provide|guarantee)\b",
              r"\bwe help (?:agencies|businesses|companies|brands)\b", r"\b(?:my|our) rates? (?:is|are|start|from)\b",
              r"\b(?:are you|if you are|if you're) (?:looking for|interested in)\b", r"\bwould you be interested\b",
              r"\blet me know if you(?:'re| are) interested\b", r"\binterested\?",
              r"\bdo you want (?:more|to increase)", r"\bwant to (?:increase|boost|grow) your\b", r"\bboost your\b",
              r"\bmore (?:customers|sales|traffic|leads) "
              r"(?:for|to) your\b", r"\b100% (?:safe|guaranteed|legit)\b", r"\bguaranteed\b", r"\bno obligation\b",
              r"\blimited (?:time|spots|offer)\b", r"\bact now\b", r"\bsingles\b", r"\bsexy\b", r"\bxxx\b"),
    # asks for a scripted reply, a premium call or a click
    "call to action": (r"\breply (?:yes|stop|win|now)\b", r"\b(?:txt|text|sms|send)\s+[a-z0-9]+\s+to\s+\d{4,}",
                       r"\bcall\s+(?:now\s+)?(?:on\s+)?0[89]\d{6,}", r"\bclick (?:here|now|the link|below|this link)\b",
                       r"\bclaim (?:your|now|code|it|within|the)\b", r"\bto claim\b", r"\bopt[- ]out\b",
                       r"\bt&cs?\b", r"\bstd (?:msg|txt|rates?)\b", r"\b18\+", r"\bwhatsapp me\b",
                       # premium-rate and freephone numbers, per-minute prices, text-to-shortcode offers
                       r"\b(?:call|ring|dial|phone)\b[^.!?\n]{0,25}\b0[89]\d{2}[\s-]?\d{3}[\s-]?\d{3,4}\b",
                       r"\bfreephone\b", r"\b\d{1,3}p ?(?:per|/|a) ?(?:min|minute|msg|text|txt|week|wk)\b",
                       r"\bpence per minute\b", r"\bto \d{5}\b", r"\bopt in\b", r"\b(?:txt|send|reply) stop\b",
                       r"\bfree (?:entry|msg|message|ringtones?|tones?|game|calls?|credit|mins|minutes|texts?|phones?|"
                       r"camera|gifts?|link|tickets?|video)\b", r"\b(?:4|for) free\b",
                       r"\bwin (?:a|an|the|£|\$|cash|free|our)\b", r"\bringtones?\b", r"\bline ?rental\b",
                       r"\bun-?redeemed\b", r"\bnetwork mins\b"),
    # a list mail's footer
    "bulk footer": (r"\bunsubscribe\b", r"\bmanage (?:your )?preferences\b", r"\byou(?:'re| are) receiving this\b",
                    r"\bview (?:it |this )?(?:online|in your browser)\b", r"\bread online\b",
                    r"\bstop receiving\b", r"\btaken off the (?:e-?mail|mailing) list\b"),
    # a stranger's claim on an account, a parcel, a fee or a fortune
    "phishing": (r"\bverify (?:your )?(?:account|identity|details|email|payment|information)\b",
                 r"\bconfirm (?:your )?(?:account|identity|details|payment|information)\b",
                 r"\b(?:account|listing|mailbox|domain) (?:has been|will be|is) (?:suspended|locked|restricted|"
                 r"deactivated|disabled|closed|compromised|terminated)",
                 r"\bwithin \d+ (?:hours|hrs)\b", r"\bredelivery fee\b", r"\binheritance\b", r"\bunclaimed\b",
                 r"\bbarrister\b", r"\bdear (?:sir|madam|customer|business owner|partner|friend|beneficiary)\b",
                 r"\bkindly\b", r"\bselected (?:to|for)\b", r"\bcongratulations\b", r"\bwinner\b", r"\byou have won\b",
                 r"\bgift card\b", r"\bprize\b", r"\bdocument to (?:review|sign)\b", r"\blog(?:ging)? in to view\b",
                 r"\b(?:open|download) the attached\b", r"\bpay immediately\b", r"\bsubmit an appeal\b",
                 r"\bto avoid (?:legal action|suspension|deactivation|losing|the takedown|penalt|closure)"),
}
_COMPILED = {kind: [re.compile(p) for p in patterns] for kind, patterns in KINDS.items()}


@dataclass(frozen=True)
class SpamEvidence:
    """Which kinds of spam evidence a text shows, with the words that matched (empty: none)."""

    found: dict[str, list[str]]

    def __bool__(self) -> bool:
        return bool(self.found)

    @property
    def strong(self) -> bool:
        """Two kinds of evidence, or two phishing phrases: enough to call an urgent-looking message spam."""
        return len(self.found) >= 2 or len(self.found.get("phishing", ())) >= 2

    def describe(self) -> str:
        """One line for the audit detail: kind: 'matched', 'words'; …"""
        return "; ".join(f"{k}: " + ", ".join(repr(w) for w in ws) for k, ws in self.found.items()) or "none"


def spam_evidence(text: str) -> SpamEvidence:
    """The spam evidence in `text`, at most three matches per kind."""
    low = " ".join(text.lower().split())
    found: dict[str, list[str]] = {}
    for kind, patterns in _COMPILED.items():
        words = [m.group(0) for p in patterns if (m := p.search(low))][:3]
        if words:
            found[kind] = words
    return SpamEvidence(found)
