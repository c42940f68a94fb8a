"""Classify inbound messages: the embedding classifier decides, the LLM is asked only when it is unsure.

Policy (tuned by stratified 5-fold cross-validation on system_map/examples, see bench/classification.py):
1. The embedding classifier labels every message.
2. Spam needs evidence: an embedding "spam" with no spam evidence in the text (opsys/ai/spam_evidence.py:
   links, offers, pitches, calls to action, bulk footers, phishing) and below SPAM_SURE keeps its best
   other label; spam is never routed, so a false spam label loses the message. An urgent-looking
   message with strong spam evidence and P(spam) >= PHISHING_SPAM_AT is spam (phishing reads urgent).
3. Urgent: P(urgent) >= embedding.urgent_at, or an urgent rule (opsys/ai/urgent_rules.py) matches with
   P(urgent) >= RULE_FLOOR; an embedding "urgent" below urgent_at that no rule backs is not urgent.
   The rule is named in decided_by ("embedding:… (urgent rule urgent_rules.py#billing-dispute)") and
   in detail["urgent_rule"]; the embedding stays the decider (is_lead is its; the label check weighs it).
4. Otherwise, if the label's confidence >= embedding.min_confidence, done; else the LLM picks between
   the two likeliest labels that are neither urgent nor excluded (the 135M LLM never decides urgency).
   Its calibrated label is taken only if its own confidence >= LLM_ACCEPT; else the embedding's stays.
5. is_lead always comes from the embedding classifier (it measured far better than the 135M LLM).
6. No LLM (disabled or unloadable): the embedding answer stays, marked low confidence; warned once.
7. No embedding model: keyword rules (opsys.ai.fallback) with modest confidences.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from opsys.ai.embedding_classifier import EmbeddingClassifier, EmbeddingPrediction
from opsys.ai.errors import ModelUnavailable
from opsys.ai.fallback import keyword_classify
from opsys.ai.llm import LlmPrediction, LocalLlm
from opsys.ai.spam_evidence import spam_evidence
from opsys.ai.urgent_rules import RULE_FLOOR, UrgentHit, says_not_urgent, urgent_rule
from opsys.config.models import ClassifierSettings, Example, Firm
from opsys.records import Classification

if TYPE_CHECKING:
    import numpy

log = logging.getLogger(__name__)
# Calibrated LLM confidence (between two labels) needed to overrule the embedding's first choice.
# Measured over 10 cross-validation seeds with min_confidence 0.5: accepting always 0.772, 0.6 0.777,
# 0.8 0.764 (embedding alone 0.762); accepting always gets worse fast as more messages reach the LLM.
LLM_ACCEPT = 0.6
# An embedding this sure of spam needs no evidence in the text (opsys/ai/spam_evidence.py).
SPAM_SURE = 0.98
# Confidence given to an urgent rule's lift: its precision was 30/31 on the examples' folds (tuned there)
# and 6/7 on the held-back set (tests/quality/data/urgent_heldout.yml); 0.8 stays below both.
RULE_CONFIDENCE = 0.8
# P(spam) from which an urgent-looking message with strong spam evidence is spam (phishing dressed as urgent).
PHISHING_SPAM_AT = 0.15
_warned: set[str] = set()  # one warning per problem per process, however many classifiers are built


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)


class MessageClassifier:
    """Labels for intake: one Classification per text, each saying who decided and on what inputs."""

    def __init__(self, settings: ClassifierSettings, examples: list[Example], cache_path: Path | None = None, *,
                 embedding: EmbeddingClassifier | None = None, llm: LocalLlm | None = None,
                 llm_accept: float = LLM_ACCEPT, firm: Firm | None = None):
        """`embedding` (already fitted) and `llm` let benches and tests share loaded models; `firm`
        (team.yml) is named in the LLM's prompt."""
        self.settings = settings
        self.examples = list(examples)
        self.cache_path = cache_path
        self.llm_accept = llm_accept
        self._lock = threading.Lock()
        self._embedding: EmbeddingClassifier | None = embedding
        self._embedding_status: str | None = None
        prior = Path(cache_path).with_name("llm_prior.json") if cache_path else None
        self._llm: LocalLlm | None = (llm or LocalLlm(settings.llm, firm, prior)) if settings.llm.enabled else None
        self._llm_status: str | None = None if settings.llm.enabled else (
            "the local LLM is disabled (llm.enabled: false in classifier.yml); "
            "low-confidence messages keep the embedding classifier's label")
        self._llm_key = f"llm:{settings.llm.enabled}:{settings.llm.model_path}"
        self.llm_calls = 0

    # -- what callers may want to say to the user ---------------------------------------------

    @property
    def llm_status(self) -> str | None:
        """None while the LLM is usable (or not yet needed); else why it is not, in words for the user."""
        return self._llm_status

    @property
    def embedding_status(self) -> str | None:
        """None while the embedding model works; else why keyword rules are classifying instead."""
        return self._embedding_status

    def warm_up(self) -> None:
        """Load and fit what classification will need, so the first message does not pay for it:
        the embedding classifier and, when enabled, the LLM with its calibration."""
        self.classify_many(["warm up"])
        if self._llm is not None:
            try:
                self._llm.prepare()
            except Exception as e:  # noqa: BLE001 — unusable for whatever reason: embedding labels stand
                self._llm_status = (f"the local LLM is unavailable, low-confidence messages keep the embedding "
                                    f"classifier's label: {e}")
                _warn_once(self._llm_key, self._llm_status)
                self._llm = None

    # -- classification ----------------------------------------------------------------------

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: list[str]) -> list[Classification]:
        """One Classification per text, in order."""
        if not texts:
            return []
        embedding = self._embedding_classifier()
        if embedding is None:
            return [keyword_classify(t) for t in texts]
        return self.classify_embedded(texts, embedding.embed(list(texts)))

    def classify_embedded(self, texts: list[str], embeddings: "numpy.ndarray") -> list[Classification]:
        """As classify_many, for texts already embedded with the same model (benches embed once)."""
        embedding = self._embedding_classifier()
        if embedding is None:
            return [keyword_classify(t) for t in texts]
        return [self._decide(t, p) for t, p in zip(texts, embedding.predict(embeddings))]

    def _embedding_classifier(self) -> EmbeddingClassifier | None:
        with self._lock:
            if self._embedding is not None or self._embedding_status is not None:
                return self._embedding
            model = self.settings.embedding.model
            try:
                if len({e.category for e in self.examples}) < 2:
                    raise ModelUnavailable("system_map/examples needs labeled examples of at least two categories")
                self._embedding = EmbeddingClassifier(model, self.cache_path).fit(
                    [e.text for e in self.examples], [e.category for e in self.examples],
                    [e.is_lead for e in self.examples])
            except (ModelUnavailable, ImportError) as e:
                self._embedding_status = f"embedding classifier unavailable, keyword rules classify instead: {e}"
                _warn_once(f"embedding:{model}", self._embedding_status)
            return self._embedding

    def _decide(self, text: str, emb: EmbeddingPrediction) -> Classification:
        """The three steps of the module docstring in order; the first that decides returns."""
        assert self._embedding is not None
        d = _Decision(emb, f"embedding:{self._embedding.model_name}", self.settings.embedding.min_confidence)
        return self._spam_gate(d, text) or self._urgency(d, text) or self._by_confidence(d, text)

    def _spam_gate(self, d: "_Decision", text: str) -> Classification | None:
        """Spam needs evidence (step 2): an unbacked spam label yields; phishing dressed as urgent is spam."""
        emb, probs = d.emb, d.emb.probabilities
        evidence, p_spam = spam_evidence(text), probs.get("spam", 0.0)
        if emb.category == "spam" or evidence:
            d.detail["spam_evidence"] = evidence.describe()
        if not evidence and p_spam < SPAM_SURE:
            d.excluded.add("spam")  # whatever else happens below, spam is not a fallback without evidence
        if emb.category == "spam" and "spam" in d.excluded:
            # spam is never routed: a spam label needs spam in the text, or a near-certain embedding
            best = max((c for c in probs if c != "spam"), key=probs.__getitem__)
            d.relabel(best, probs[best], f"embedding said spam at {emb.confidence:.2f} < {SPAM_SURE} with no spam "
                      f"evidence (links, offers, pitches, bulk footers): {best}", "spam without evidence")
        d.hit = urgent_rule(text, lead=emb.is_lead) if d.category != "spam" else None
        looks_urgent = d.category in ("urgent", "spam") or probs.get("urgent", 0.0) >= self.settings.embedding.urgent_at
        if (looks_urgent or d.hit is not None) and evidence.strong and p_spam >= PHISHING_SPAM_AT:
            # a stranger's "your account will be closed within 24 hours" reads urgent and is spam
            d.why.append(f"embedding said {d.category} at {d.confidence:.2f}, spam at {p_spam:.2f} "
                         f">= {PHISHING_SPAM_AT} with strong spam evidence ({evidence.describe()}): spam")
            d.keep.update(category="spam", category_confidence=p_spam)
            return d.done(f"{d.name} (spam evidence)")
        return None

    def _urgency(self, d: "_Decision", text: str) -> Classification | None:
        """Step 3: the embedding alone from urgent_at; below it an urgent rule must agree (from RULE_FLOOR)."""
        urgent_at, p_urgent, hit = self.settings.embedding.urgent_at, d.emb.probabilities.get("urgent", 0.0), d.hit
        if p_urgent >= urgent_at and not (hit is None and says_not_urgent(text)):
            # cost-sensitive: a missed urgent message costs far more than an urgent false alarm
            if d.category != "urgent":
                d.why.append(f"embedding said {d.category} at {d.confidence:.2f}; urgent at "
                             f"{p_urgent:.2f} >= urgent_at {urgent_at}: urgent")
                d.name = f"{d.name} (urgent_at)"
            else:
                d.why.append(f"embedding said urgent at {p_urgent:.2f} >= urgent_at {urgent_at}")
            if hit is not None:
                d.why.append(f"urgent rule {hit.rule!r} agrees")
                d.detail["urgent_rule"] = hit.as_detail()
            d.keep.update(category="urgent", category_confidence=p_urgent)
            return d.done(d.name)
        if hit is not None and p_urgent >= RULE_FLOOR:
            d.why.append(f"embedding said {d.category} at {d.confidence:.2f}; urgent rule {hit.rule!r} matched "
                         f"{hit.matched} and P(urgent) {p_urgent:.2f} >= {RULE_FLOOR}: urgent")
            d.detail["urgent_rule"] = hit.as_detail()
            d.keep.update(category="urgent", category_confidence=max(p_urgent, RULE_CONFIDENCE))
            # the embedding's decision still (is_lead, P(urgent) >= floor): the label check keeps weighing it
            return d.done(f"{d.name} (urgent rule {hit.ref})")
        if d.category == "urgent":
            # too unsure for the embedding alone, and no urgent rule: the likeliest other label
            d.excluded.add("urgent")
            probs = d.emb.probabilities
            best = max((c for c in probs if c not in d.excluded), key=probs.__getitem__)
            calm = " and the sender says it can wait" if says_not_urgent(text) else ""
            d.relabel(best, probs[best], f"embedding said urgent at {p_urgent:.2f}"
                      + (f" < urgent_at {urgent_at}" if not calm else "") + f"{calm}, no urgent rule matched: {best}",
                      "urgent without a rule")
        return None

    def _by_confidence(self, d: "_Decision", text: str) -> Classification:
        """Step 4: a confident label stands; else the LLM between the two likeliest non-urgent labels."""
        threshold, confidence = d.threshold, d.confidence
        if confidence >= threshold:
            d.why.append(f"{d.category} confidence {confidence:.2f} >= min_confidence {threshold}")
            return d.done(d.name)
        probs = d.emb.probabilities
        allowed = [c for c in d.emb.top(len(probs)) if c != "urgent" and c not in d.excluded][:2]
        llm = self._ask_llm(text, allowed) if len(allowed) == 2 else None
        if llm is None:
            d.why.append(f"confidence {confidence:.2f} < min_confidence {threshold}; LLM unavailable, embedding kept")
            d.detail["llm_status"] = self._llm_status
            return d.done(f"{d.name} (low confidence, llm unavailable)")
        accepted = llm.confidence >= self.llm_accept
        d.detail["llm"] = {"model": self._llm.name if self._llm else "", "allowed": allowed,
                           "category": llm.category, "confidence": llm.confidence,
                           "probabilities": llm.probabilities, "raw_probabilities": llm.raw_probabilities,
                           "confidence_source": llm.confidence_source, "is_lead": llm.is_lead,
                           "lead_confidence": llm.lead_confidence, "raw": llm.raw,
                           "accept_threshold": self.llm_accept, "accepted": accepted}
        if not accepted:
            d.why.append(f"confidence {confidence:.2f} < {threshold}; LLM said {llm.category} "
                         f"at {llm.confidence:.2f} < {self.llm_accept}, embedding kept")
            return d.done(f"{d.name} (low confidence, llm unsure)")
        d.why.append(f"confidence {confidence:.2f} < {threshold}; LLM chose {llm.category} "
                     f"from {allowed} at {llm.confidence:.2f} >= {self.llm_accept}; is_lead from embedding")
        d.keep.update(category=llm.category, category_confidence=llm.confidence)
        return d.done(f"llm:{self._llm.name if self._llm else ''}")

    def _ask_llm(self, text: str, allowed: list[str]) -> LlmPrediction | None:
        if self._llm is None:
            _warn_once(self._llm_key, self._llm_status or "the local LLM is unavailable")
            return None
        try:
            prediction = self._llm.classify(text, allowed)
        except ModelUnavailable as e:
            self._llm_status = (f"the local LLM is unavailable, low-confidence messages keep the embedding "
                                f"classifier's label: {e}")
            _warn_once(self._llm_key, self._llm_status)
            self._llm = None
            return None
        except Exception as e:  # one message the model chokes on (context, a llama.cpp error): embedding kept
            log.warning("the local LLM failed on one message, the embedding label is kept: %s", e)
            self._llm_status = f"the local LLM failed on a message ({type(e).__name__}: {e}); embedding kept"
            return None
        self.llm_calls += 1
        return prediction


class _Decision:
    """One message on its way through the policy: the label kept so far, why, and what is ruled out."""

    def __init__(self, emb: EmbeddingPrediction, name: str, threshold: float):
        self.emb, self.name, self.threshold = emb, name, threshold
        self.keep: dict[str, object] = dict(category=emb.category, category_confidence=emb.confidence,
                                            is_lead=emb.is_lead, lead_confidence=emb.lead_confidence)
        self.detail: dict[str, object] = {
            "embedding": {"model": name.removeprefix("embedding:"), "category": emb.category,
                          "confidence": emb.confidence, "probabilities": emb.probabilities,
                          "is_lead": emb.is_lead, "lead_confidence": emb.lead_confidence},
            "min_confidence": threshold,
        }
        self.why: list[str] = []
        self.excluded: set[str] = set()
        self.hit: UrgentHit | None = None

    @property
    def category(self) -> str:
        return str(self.keep["category"])

    @property
    def confidence(self) -> float:
        return float(self.keep["category_confidence"])  # type: ignore[arg-type]

    def relabel(self, category: str, confidence: float, why: str, tag: str) -> None:
        """Another label than the embedding's, with the reason, and the tag decided_by carries."""
        self.keep.update(category=category, category_confidence=confidence)
        self.why.append(why)
        self.name = f"{self.name} ({tag})"

    def done(self, decided_by: str) -> Classification:
        self.detail["rule"] = "; ".join(self.why)
        return Classification(decided_by=decided_by, detail=self.detail, **self.keep)  # type: ignore[arg-type]
