"""Deterministic urgent rules: the phrases of what a founder acts on today, named so a lift explains itself.

The embedding classifier misses urgent mail that reads calmly ("please take this as notice that we
are cancelling our retainer") and calls plain client mail urgent because it is about the website.
Each rule below is a kind of urgent mail (outage, security, billing dispute, cancellation or churn
threat, legal threat, deadline at risk) and its patterns over the lower-cased text.
MessageClassifier (opsys/ai/message_classifier.py) makes a message urgent when the embedding alone
gives P(urgent) >= urgent_at (classifier.yml), or when a rule here matches and the embedding gives
urgent at least `RULE_FLOOR`; an embedding "urgent" below urgent_at with no rule is not urgent.
The weak rules (urgency words, deadlines) do not fire on a message that says it can wait; a lead
(a new prospect) is lifted only by FOR_LEADS; UNLESS names where the words are harmless.

Patterns tuned on system_map/examples (cross-validated by `opsys eval`); checked apart on
tests/quality/data/urgent_heldout.yml, which they were not tuned on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lowest embedding P(urgent) a rule may lift; measured on the examples' folds (0.1 loses recall, 0 = 0.03).
RULE_FLOOR = 0.03
_WHAT = (r"(?:site|website|web site|shop|store|app|server|portal|checkout|check-out|email|e-mail|mail|booking|"
         r"bookings|form|forms|page|pages|system|platform|homepage|dashboard|login|members area|payments?)")
# soon enough that waiting a day misses it (weekday names alone are ordinary scheduling)
_SOON = (r"(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|monday|tuesday|wednesday|thursday|friday|"
         r"saturday|sunday|weekend)|in (?:\d+|two|three|a few|48|24) (?:days|hours)|first thing|at the latest)")
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
RULES: dict[str, tuple[str, ...]] = {
    "outage": (
        rf"\b{_WHAT}\b[^.!?\n]{{0,40}}\b(?:is|are|was|has been|have been|went|go(?:es)?|keeps? going|'s)"
        r"\s+(?:completely |totally |still |all )?(?:down|offline|broken|unreachable|"
        r"not (?:loading|working|responding))",
        r"\b(?:down|offline) (?:since|again|for (?:hours|\d+))", r"\b(?:stopped|stops) (?:working|sending|loading)",
        r"\b50[0234] (?:error|bad gateway|gateway)", r"\berror 50[0234]\b", r"\bfehler 50\d\b",
        r"\bwhite screen\b", r"\bblank (?:page|screen)\b", r"\bgateway timeout\b", r"\btime[sd]? out\b",
        r"\bcrash(?:es|ed|ing)\b", r"\b(?:emails?|mail) (?:is |are )?(?:bouncing|bounced)\b",
        r"\b(?:customers|clients|patients|people|nobody|no one|users|visitors|guests) (?:can't|cannot|can not|"
        r"are unable to|couldn't) (?:pay|book|order|check ?out|log ?in|get in|email|reach|buy|sign in|access)",
        r"\bwe (?:can't|cannot|are unable to) (?:log ?in|get in|access|send|receive|take (?:orders|payments|bookings))",
        r"\blosing (?:orders|sales|customers|money|bookings|leads)\b",
        r"\babandon(?:ing|ed)? (?:their )?(?:carts|baskets|orders)\b", r"\bevery (?:order|page|booking)\b",
        r"\bnicht erreichbar\b", r"\bfunktioniert nicht\b", r"\bniemand kann\b", r"\bno funciona\b", r"\bcaído\b",
        r"\bnadie puede\b", r"\bne fonctionne (?:pas|plus)\b", r"\bpersonne ne peut\b"),
    "security": (
        r"\bhack(?:ed|er|ers)\b", r"\b(?:data )?breach\b", r"\bmalware\b", r"\bransomware\b", r"\bvirus\b",
        r"\bdefaced\b", r"\bcompromised\b", r"\bleak(?:ed)?\b", r"\bskimm", r"\bunauthori[sz]ed\b",
        r"\bredirects? to (?:a )?(?:casino|porn|spam|gambling|pharma)", r"\bssl\b[^.!?\n]{0,30}\bexpired\b",
        r"\bnot (?:secure|private)\b", r"\bprivacy (?:problem|issue|breach)\b",
        r"\bpassword (?:no longer works|was changed|changed)\b", r"\blocked out\b",
        r"\bsomeone (?:has )?(?:logged|got|broke) in"),
    "billing dispute": (
        r"\bdisput", r"\bchargeback\b", r"\b(?:charged|billed|invoiced) (?:us |me )?twice\b",
        r"\bdouble[- ](?:charged|billed)\b", r"\bduplicate (?:charge|invoice|payment)\b", r"\bovercharg",
        r"\b(?:won't|will not|not going to|refuse to) (?:pay|be paying|settle)\b", r"\bnot (?:paying|settling)\b",
        r"\bwithhold(?:ing)? (?:the )?payment\b", r"\brefund (?:the|this|our|us|it|me)\b",
        r"\b(?:want|need|expect) (?:a |our |my )?(?:full )?refund\b", r"\bcredit note\b",
        r"\brevers(?:e|ed) (?:the |this |that )?charge",
        r"\b(?:invoice|bill|charge|amount)\b[^.!?\n]{0,60}\b(?:doesn't|does not|don't|do not) match\b",
        r"\b(?:doesn't|does not|don't|do not) match (?:the |our |your )?(?:invoice|quote|estimate|bill)",
        r"\b(?:higher|more) than (?:the |our |what we )?(?:budget|quote|estimate|agreed)",
        r"\bnever (?:agreed|approved|signed)\b", r"\bnot agreed\b", r"\bwhat (?:is|was) (?:this|it) for\b",
        r"\b(?:sent|gone|passed|referred) to (?:debt )?collections?\b", r"\bdebt collect", r"\bno idea what for\b",
        r"\bescalat", r"\bbut you (?:invoiced|billed|charged)\b",
        r"\b(?:zahlen|bezahlen) wir nicht\b", r"\bnicht (?:zahlen|bezahlen)\b", r"\bno (?:vamos a )?pagar\b"),
    "cancellation": (
        r"\bcancel(?:l?ing|l?ed)?\s+(?:our|the|my|this|your)?\s*(?:\w+\s)?(?:retainer|contract|plan|subscription|"
        r"account|agreement|services?|project|care plan|package|hosting|maintenance|membership)\b",
        r"\bterminat(?:e|ing|ion)\b", r"\bnotice (?:to|that) (?:end|terminate|cancel|we)",
        r"\bend (?:the|our) (?:\w+ )?(?:contract|agreement|retainer|relationship)\b",
        r"\b(?:other|another) agenc(?:y|ies)\b",
        r"\b(?:bring|bringing|take|taking|move|moving)\b[^.!?\n]{0,30}\bin-?house\b",
        r"\b(?:not|won't be|aren't) renewing\b", r"\bnot (?:going |to |going to )?renew\b",
        r"\b(?:move|moving|take|taking|switch|switching|go|going)\b(?:\s[\w']+){0,3}\s(?:over )?(?:to (?:another|"
        r"a different|a new|a cheaper|other) (?:agency|provider|developer|company|firm|vendor|host)|elsewhere)\b",
        r"\bone more and\b", r"\blost (?:confidence|faith|trust)\b", r"\blosing (?:patience|faith)\b",
        r"\bfed up\b", r"\bunacceptable\b", r"\b(?:very|extremely|really) (?:unhappy|disappointed|frustrated)\b",
        r"\bhand (?:over|the site over)\b", r"\bto be cut\b", r"\bwe'?ll (?:switch|leave|walk)\b",
        r"\bmatch (?:it|their price|the price)\b"),
    "legal threat": (
        r"\blawyers?\b", r"\battorneys?\b", r"\bsolicitors?\b", r"\blegal action\b", r"\bsu(?:e|ing)\b",
        r"\blawsuit\b", r"\bcease and desist\b", r"\bcourt\b", r"\binfring", r"\btrademark\b",
        r"\bcopyright(?:ed)? (?:claim|notice|infringement|holder)?", r"\bgdpr (?:complaint|request)\b",
        r"\bregulator\b", r"\babmahnung\b", r"\babogad[oa]s?\b", r"\banwalt\b", r"\bavocat\b"),
    "deadline at risk": (
        r"\bat risk\b", r"\b(?:won't|will not|not going to|might not|may not) (?:make it|be ready|meet|hit)\b",
        r"\bmiss(?:ing|ed)? (?:the|our) (?:deadline|launch|date)\b", r"\bbehind schedule\b",
        r"\brunning out of time\b",
        r"\b(?:launch|launches|launching|go[- ]live|goes live|going live|live|deadline|due|event|show|"
        r"press release|campaign|tv|conference|open|opening|rfp|tender|sale|print|printer|presentation|board)\b"
        rf"[^.!?\n]{{0,50}}\b{_SOON}\b",
        rf"\b(?:by|before) {_SOON}\b[^.!?\n]{{0,40}}\b(?:or|otherwise|else)\b",
        rf"\bdue (?:on |this |by )?{_WEEKDAY}\b"),
    "urgency words": (
        r"\burgent(?:ly)?\b(?!-care)", r"\basap\b", r"\bemergency\b", r"\bimmediately\b", r"\bright (?:now|away)\b",
        r"\bdringend\b", r"\burgente\b", r"\bhoy mismo\b", r"\bsofort\b", r"!!!"),
}
# a rule does not fire where these say the words are not a threat (a policy question, a lawyer's approval)
UNLESS: dict[str, tuple[str, ...]] = {
    "cancellation": (r"\bpolicy\b", r"\bminimum term\b", r"\bif (?:we|i)\b[^.!?\n]{0,20}\bcancel"),
    "legal threat": (r"\b(?:lawyer|attorney|solicitor)s? (?:has |have )?(?:checked|reviewed|approved|looked at|"
                     r"signed off|is happy|are happy|was happy)", r"\b(?:law|legal) (?:firm|practice|office)\b"),
}
WEAK = ("urgency words", "deadline at risk")  # a message that says it can wait is not lifted by these
# what can make a new prospect's mail urgent; a lead that mentions lawyers, another agency or ASAP is a lead
FOR_LEADS = ("outage", "security", "deadline at risk")
_CALM = re.compile(r"\b(?:not urgent|no rush|no hurry|no urgency|not in a rush|whenever (?:you|it)|when you get a "
                   r"(?:chance|minute|moment)|no deadline|nothing urgent|not worried|just curious)\b")
_COMPILED = {name: [re.compile(p) for p in patterns] for name, patterns in RULES.items()}
_UNLESS = {name: [re.compile(p) for p in patterns] for name, patterns in UNLESS.items()}


@dataclass(frozen=True)
class UrgentHit:
    """The urgent rule that matched and the words it matched on."""

    rule: str
    matched: list[str]

    @property
    def ref(self) -> str:
        """Where the rule is written, for decided_by and the audit detail: urgent_rules.py#billing-dispute."""
        return f"urgent_rules.py#{self.rule.replace(' ', '-')}"

    def as_detail(self) -> dict[str, object]:
        """The audit detail's `urgent_rule` entry."""
        return {"rule": self.rule, "ref": self.ref, "matched": self.matched}


def says_not_urgent(text: str) -> bool:
    """The sender says it can wait ("not urgent", "no rush", "whenever you get a chance")."""
    return bool(_CALM.search(" ".join(text.lower().split())))


def urgent_rule(text: str, lead: bool = False) -> UrgentHit | None:
    """The first urgent rule whose patterns match `text` (in RULES order), or None; `lead`: FOR_LEADS only."""
    low = " ".join(text.lower().split())
    calm = bool(_CALM.search(low))
    for name, patterns in _COMPILED.items():
        if (calm and name in WEAK) or (lead and name not in FOR_LEADS):
            continue
        if any(p.search(low) for p in _UNLESS.get(name, ())):
            continue
        matched = [m.group(0) for p in patterns if (m := p.search(low))][:3]
        if matched:
            return UrgentHit(name, matched)
    return None
