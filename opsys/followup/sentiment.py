"""A reply to a satisfaction check, read as positive / neutral / negative with a confidence.

The intake classifier's policy, reused: the embedding classifier (all-MiniLM-L6-v2 + logistic
regression, `opsys.ai.embedding_classifier`, fitted on `system_map/examples/sentiment.yml`) decides;
only below `ask_below` is the local LLM asked, between the embedding's two likeliest labels, and
its answer (the next-token probabilities of the labels, calibrated against content-free messages as
in `opsys.ai.llm`) is taken only at >= LLM_ACCEPT and never when it says positive: a positive reading
sends a review request, and the 135M model's positives were the costly mistakes (sure-positive but
not: 1 of 75 for the embedding alone, 4 with the LLM's positives taken). Otherwise the embedding label
stays with its low confidence, and the close-out gives the reply to a person. Figures: `bench/sentiment.py`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsys.ai.embedding_classifier import EmbeddingClassifier
from opsys.ai.errors import ModelUnavailable

if TYPE_CHECKING:
    from opsys.ai.llm import LocalLlm
    from opsys.config.models import ClassifierSettings
    from opsys.config.sequence_models import SentimentExample

log = logging.getLogger(__name__)
LABELS = ("positive", "neutral", "negative")
LLM_ACCEPT = 0.6
_PROMPT = ("A client answered our question \"How did the project go, are you happy with the result?\". "
           "Is their answer positive, neutral or negative? Answer with one word.")
_CONTENT_FREE = ("N/A", "[MASK]", "Hello")


@dataclass(frozen=True)
class Reading:
    sentiment: str
    confidence: float
    decided_by: str  # "embedding:all-MiniLM-L6-v2" or "llm:<gguf>"
    detail: dict[str, Any] = field(default_factory=dict)


class LlmJudge:
    """The local LLM's label for a reply: one next token, its probabilities read from the logits."""

    def __init__(self, llm: "LocalLlm"):
        self.llm = llm
        self._prior: dict[str, float] | None = None

    @property
    def name(self) -> str:
        return self.llm.name

    def probabilities(self, text: str, allowed: list[str], calibrate: bool = True) -> dict[str, float]:
        """Calibrated probabilities of `allowed` labels (renormalised over them)."""
        raw = self._raw(text)
        prior = self._prior_probs() if calibrate else {}
        scaled = {c: raw[c] / max(prior.get(c, 1.0), 1e-6) for c in allowed}
        total = sum(scaled.values()) or 1.0
        return {c: round(v / total, 4) for c, v in scaled.items()}

    def _prior_probs(self) -> dict[str, float]:
        if self._prior is None:
            runs = [self._raw(t) for t in _CONTENT_FREE]
            self._prior = {c: sum(r[c] for r in runs) / len(runs) for c in LABELS}
        return self._prior

    def _raw(self, text: str) -> dict[str, float]:
        import numpy as np

        with self.llm._lock:  # one call at a time on the shared model (as the classifier does)
            model = self.llm.load()
            ids = [model.tokenize(c.encode(), add_bos=False, special=False)[0] for c in LABELS]
            seen: list[Any] = []

            def record(_ids: Any, logits: Any) -> Any:
                seen.append(logits.copy())
                return logits

            from llama_cpp import LogitsProcessorList

            model.create_chat_completion(
                messages=[{"role": "system", "content": _PROMPT},
                          {"role": "user", "content": " ".join(text.split())[:1200]}],
                max_tokens=1, temperature=0.0, top_k=1, logits_processor=LogitsProcessorList([record]))
        if not seen:
            raise ModelUnavailable("the LLM gave no logits for the reply")
        logits = seen[0][ids].astype(np.float64)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return {c: float(x) for c, x in zip(LABELS, p)}


class ReplyReader:
    """Positive / neutral / negative for replies; fitted once per example set (cached like intake's)."""

    def __init__(self, examples: "list[SentimentExample]", settings: "ClassifierSettings", *,
                 cache_path: Path | None = None, ask_below: float = 0.6, llm: "LocalLlm | None" = None,
                 embedding: EmbeddingClassifier | None = None, llm_accept: float = LLM_ACCEPT,
                 judge: LlmJudge | None = None):
        """`embedding` (fitted) and `judge` let benches share loaded models and the LLM's measured prior."""
        self.examples, self.settings, self.ask_below, self.llm_accept = list(examples), settings, ask_below, llm_accept
        self._cache = cache_path
        self._embedding = embedding
        self._judge = judge or (LlmJudge(llm) if llm is not None else None)
        self.llm_calls = 0

    @property
    def embedding(self) -> EmbeddingClassifier:
        if self._embedding is None:
            if len({e.sentiment for e in self.examples}) < 2:
                raise ModelUnavailable("examples/sentiment.yml needs labeled replies of at least two sentiments")
            self._embedding = EmbeddingClassifier(self.settings.embedding.model, self._cache).fit(
                [e.text for e in self.examples], [e.sentiment for e in self.examples], [False] * len(self.examples))
        return self._embedding

    def read(self, text: str) -> Reading:
        return self.read_many([text])[0]

    def read_many(self, texts: list[str]) -> list[Reading]:
        if not texts:
            return []
        emb = self.embedding
        return [self._decide(t, p) for t, p in zip(texts, emb.predict(emb.embed(list(texts))))]

    def read_embedded(self, texts: list[str], embeddings: Any) -> list[Reading]:
        """As read_many for texts already embedded (the bench embeds once)."""
        return [self._decide(t, p) for t, p in zip(texts, self.embedding.predict(embeddings))]

    def _decide(self, text: str, p: Any) -> Reading:
        name = f"embedding:{self.embedding.model_name}"
        detail: dict[str, Any] = {"embedding": {"sentiment": p.category, "confidence": p.confidence,
                                                "probabilities": p.probabilities}, "ask_below": self.ask_below}
        if p.confidence >= self.ask_below or self._judge is None:
            detail["rule"] = (f"embedding confidence {p.confidence:.2f} >= {self.ask_below}" if p.confidence >=
                              self.ask_below else "embedding unsure and no LLM: a person reads it")
            return Reading(p.category, p.confidence, name, detail)
        allowed = p.top(2)
        try:
            probs = self._judge.probabilities(text, allowed)
        except (ModelUnavailable, ImportError) as e:
            log.warning("the LLM cannot read replies, the embedding label stays: %s", e)
            self._judge = None
            detail["rule"] = f"embedding unsure; LLM unavailable ({e})"
            return Reading(p.category, p.confidence, name, detail)
        self.llm_calls += 1
        best = max(probs, key=probs.__getitem__)
        detail["llm"] = {"model": self._judge.name, "allowed": allowed, "probabilities": probs,
                         "accept": self.llm_accept}
        if probs[best] >= self.llm_accept and best != "positive":
            detail["rule"] = f"embedding {p.confidence:.2f} < {self.ask_below}; LLM chose {best} at {probs[best]:.2f}"
            return Reading(best, probs[best], f"llm:{self._judge.name}", detail)
        if best == "positive":  # measured: the LLM's positives were wrong 3 times in 75 (bench/sentiment.py)
            detail["rule"] = (f"embedding {p.confidence:.2f} < {self.ask_below}; the LLM says positive, but a review "
                              "request needs the embedding's own certainty: a person reads it")
            return Reading(p.category, p.confidence, name, detail)
        detail["rule"] = f"embedding {p.confidence:.2f} < {self.ask_below}; LLM unsure ({probs[best]:.2f}), kept"
        return Reading(p.category, p.confidence, name, detail)
