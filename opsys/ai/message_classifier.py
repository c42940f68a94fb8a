"""Classify inbound messages: the embedding classifier decides, the LLM is asked only when it is unsure.

Policy (tuned by stratified 5-fold cross-validation on system_map/examples, see bench/classification.py):
1. The embedding classifier labels every message. If its confidence >= embedding.min_confidence, done.
2. Otherwise the LLM picks between the embedding classifier's two most probable categories. Its
   calibrated label is taken only if its own confidence >= LLM_ACCEPT; else the embedding answer stays.
3. is_lead always comes from the embedding classifier (it measured far better than the 135M LLM).
4. No LLM (disabled or unloadable): the embedding answer stays, marked low confidence; warned once.
5. No embedding model: keyword rules (opsys.ai.fallback) with modest confidences.
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
from opsys.config.models import ClassifierSettings, Example, Firm
from opsys.records import Classification

if TYPE_CHECKING:
    import numpy

log = logging.getLogger(__name__)
# Calibrated LLM confidence (between two labels) needed to overrule the embedding's first choice.
# Measured over 10 cross-validation seeds with min_confidence 0.5: accepting always 0.772, 0.6 0.777,
# 0.8 0.764 (embedding alone 0.762); accepting always gets worse fast as more messages reach the LLM.
LLM_ACCEPT = 0.6
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
        assert self._embedding is not None
        threshold = self.settings.embedding.min_confidence
        emb_name = f"embedding:{self._embedding.model_name}"
        detail: dict[str, object] = {
            "embedding": {"model": self._embedding.model_name, "category": emb.category,
                          "confidence": emb.confidence, "probabilities": emb.probabilities,
                          "is_lead": emb.is_lead, "lead_confidence": emb.lead_confidence},
            "min_confidence": threshold,
        }
        keep = dict(category=emb.category, category_confidence=emb.confidence,
                    is_lead=emb.is_lead, lead_confidence=emb.lead_confidence)
        urgent_at, p_urgent = self.settings.embedding.urgent_at, emb.probabilities.get("urgent", 0.0)
        if emb.category != "urgent" and p_urgent >= urgent_at:
            # cost-sensitive: a missed urgent message costs far more than an urgent false alarm
            detail["rule"] = (f"embedding said {emb.category} at {emb.confidence:.2f}; urgent at {p_urgent:.2f} "
                              f">= urgent_at {urgent_at}: urgent")
            keep.update(category="urgent", category_confidence=p_urgent)
            return Classification(decided_by=f"{emb_name} (urgent_at)", detail=detail, **keep)
        if emb.confidence >= threshold:
            detail["rule"] = f"embedding confidence {emb.confidence:.2f} >= min_confidence {threshold}"
            return Classification(decided_by=emb_name, detail=detail, **keep)
        allowed = emb.top(2)
        llm = self._ask_llm(text, allowed)
        if llm is None:
            detail["rule"] = (f"embedding confidence {emb.confidence:.2f} < min_confidence {threshold}; "
                              f"LLM unavailable, embedding kept")
            detail["llm_status"] = self._llm_status
            return Classification(decided_by=f"{emb_name} (low confidence, llm unavailable)", detail=detail, **keep)
        accepted = llm.confidence >= self.llm_accept
        detail["llm"] = {"model": self._llm.name if self._llm else "", "allowed": allowed,
                         "category": llm.category, "confidence": llm.confidence,
                         "probabilities": llm.probabilities, "raw_probabilities": llm.raw_probabilities,
                         "confidence_source": llm.confidence_source, "is_lead": llm.is_lead,
                         "lead_confidence": llm.lead_confidence, "raw": llm.raw,
                         "accept_threshold": self.llm_accept, "accepted": accepted}
        if not accepted:
            detail["rule"] = (f"embedding confidence {emb.confidence:.2f} < {threshold}; LLM said {llm.category} "
                              f"at {llm.confidence:.2f} < {self.llm_accept}, embedding kept")
            return Classification(decided_by=f"{emb_name} (low confidence, llm unsure)", detail=detail, **keep)
        detail["rule"] = (f"embedding confidence {emb.confidence:.2f} < {threshold}; LLM chose {llm.category} "
                          f"from {allowed} at {llm.confidence:.2f} >= {self.llm_accept}; is_lead from embedding")
        return Classification(category=llm.category, category_confidence=llm.confidence,
                              is_lead=emb.is_lead, lead_confidence=emb.lead_confidence,
                              decided_by=f"llm:{self._llm.name if self._llm else ''}", detail=detail)

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
