"""A label never silently overrules the evidence: when the classifier and the signals disagree, a person checks.

The classifier reads words; scoring reads what the sender actually asked for. Two cases cost leads:

- **possible spam**: labelled spam, yet it looks like a lead (the classifier itself thinks it is one,
  a budget in a scoring band, a service we sell asked for concretely or through the website form) or it
  comes from a known contact or a client's domain. Spam is never routed, so such a message would be parked unseen.
- **check**: labelled "not a lead" while the signals say otherwise: two of a budget, a service asked
  for, a concrete ask, a form or lead-list channel (whatever the confidence when one is a budget in a
  scoring band, below UNSURE_LEAD otherwise); one of them when the label is near a coin flip
  (below COIN_FLIP); or a known client asking for new work (a service and a concrete ask).

Either way the message is routed as a lead meanwhile (someone owns it, hot leads still alert), and the
decision carries both sides' reasons; `opsys inquiry relabel` settles it and teaches the classifier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from opsys.config.models import ClientAccount
from opsys.records import Classification, Lead, Score
from opsys.records.events import rule

# "Little confidence" for is_lead: below this the label yields to two strong signals. Measured with
# `opsys eval` (cross-validated lead confidence): wrong is_lead labels sit mostly below 0.8.
UNSURE_LEAD = 0.8
# Below this the label is close to a guess and one signal is enough. Set with `opsys eval`'s
# out-of-fold labels on the sample examples (so tuned on them): of 20 leads labelled "not a lead",
# 7 reach check instead of 2, for 7 of 103 true non-leads sent to check instead of 1.
COIN_FLIP = 0.7
POSSIBLE_SPAM = "check: possible spam"
CHECK = "check"


@dataclass(frozen=True)
class LabelCheck:
    """Why the label is doubted: the classifier's side, the evidence, and what routing acts on meanwhile."""

    queue: str
    label_side: str
    evidence: tuple[str, ...]
    routed_as: Classification

    def reason(self) -> str:
        return f"{self.queue}: the classifier said {self.label_side}, but {'; '.join(self.evidence)}"

    def as_dict(self) -> dict[str, object]:
        return {"queue": self.queue, "label": self.label_side, "evidence": list(self.evidence)}


def _signals(lead: Lead, score: Score) -> dict[str, str]:
    by = {s.name: s for s in score.signals}
    out: dict[str, str] = {}
    if "budget" in by and by["budget"].points > 0:
        out["budget"] = by["budget"].reason
    if score.service:
        out["service"] = by["service"].reason if "service" in by else f"asks for {score.service}"
    if "concrete_ask" in by and by["concrete_ask"].points > 0:
        out["concrete_ask"] = by["concrete_ask"].reason
    if lead.channel in ("web_form", "csv"):
        out["channel"] = f"arrived by {'the website form' if lead.channel == 'web_form' else 'a lead list'}"
    return out


def check_label(lead: Lead, cls: Classification, score: Score, client: ClientAccount | None,
                known_contact: bool) -> LabelCheck | None:
    """The doubt about `cls`, or None when label and evidence agree (or the label is a rule's, not a model's)."""
    if cls.decided_by.startswith("rule"):
        return None  # lead-list rows and person corrections are not guesses
    sig = _signals(lead, score)
    if cls.category == "spam":
        evidence = []
        if cls.is_lead:
            evidence.append(f"the classifier also calls it a lead ({cls.lead_confidence:.2f})")
        if "budget" in sig:
            evidence.append(sig["budget"])
        if "service" in sig and ("concrete_ask" in sig or "channel" in sig):
            evidence += [sig["service"], sig.get("concrete_ask") or sig["channel"]]
        if client is not None:
            evidence.append(f"the sender's domain is {client.name}'s ({client.tier} client)")
        elif known_contact:
            evidence.append("the sender is a known contact")
        if not evidence:
            return None
        return LabelCheck(POSSIBLE_SPAM, f"spam at {cls.category_confidence:.2f}", tuple(evidence),
                          _as_lead(cls, POSSIBLE_SPAM, "routine"))
    if cls.is_lead or cls.category == "urgent":
        return None  # urgent non-leads escalate to a person already
    strong = [sig[k] for k in ("budget", "service", "concrete_ask", "channel") if k in sig]
    new_work = client is not None and "service" in sig and "concrete_ask" in sig
    if new_work:
        evidence = (f"{client.name} ({client.tier} client) asks for new work", sig["service"], sig["concrete_ask"])
    elif len(strong) >= 2 and (cls.lead_confidence < UNSURE_LEAD or "budget" in sig):
        evidence = tuple(strong)
    elif strong and cls.lead_confidence < COIN_FLIP:
        evidence = tuple(strong)
    else:
        return None
    return LabelCheck(CHECK, f"not a lead at {cls.lead_confidence:.2f}", evidence, _as_lead(cls, CHECK, cls.category))


def _as_lead(cls: Classification, queue: str, category: str) -> Classification:
    """The label routing uses until a person decides: a lead, the model's own answer kept in the detail."""
    slug = "possible-spam" if queue == POSSIBLE_SPAM else "label-disagrees-with-signals"
    detail = {**cls.detail, "model_label": {"category": cls.category, "is_lead": cls.is_lead,
                                            "category_confidence": cls.category_confidence,
                                            "lead_confidence": cls.lead_confidence, "decided_by": cls.decided_by}}
    return replace(cls, category=category, is_lead=True, decided_by=rule(f"label_check#{slug}"), detail=detail)
