"""Labels from sentence embeddings: a logistic regression per question, trained on system_map/examples.

Chosen by stratified 5-fold cross-validation on the repo examples (bench/classification.py):
logistic regression (C=10, balanced classes) matched linear/RBF SVMs on accuracy, beat k-NN, and
gave the best-calibrated probabilities, which matter because the probability is the confidence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsys.ai.embeddings import embed, load_embedder, model_name

if TYPE_CHECKING:
    import numpy

log = logging.getLogger(__name__)
C = 10.0
CACHE_FORMAT = 1
# Fitted classifiers per (examples, model) hash: rebuilding a runtime must not retrain.
_FITTED: dict[str, "_Fitted"] = {}


@dataclass(frozen=True)
class EmbeddingPrediction:
    """One message's labels; `confidence` is the probability of `category`."""

    category: str
    confidence: float
    probabilities: dict[str, float]
    is_lead: bool
    lead_confidence: float  # probability of the `is_lead` value given, not of "is a lead"

    def top(self, n: int = 2) -> list[str]:
        """The `n` most probable categories, best first."""
        return sorted(self.probabilities, key=self.probabilities.__getitem__, reverse=True)[:n]


@dataclass
class _Fitted:
    category: Any
    lead: Any
    n_examples: int


def examples_key(texts: list[str], categories: list[str], is_lead: list[bool], model: str) -> str:
    """Hash of the labeled examples and the model: changes whenever the training input does."""
    payload = json.dumps([CACHE_FORMAT, _code_version(), model, C, list(zip(texts, categories, is_lead))],
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _code_version() -> str:
    """opsys and scikit-learn versions: a fit pickled by other code is refitted, never unpickled wrong."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("opsys", "scikit-learn"):
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=?")
    return ",".join(out)


def _logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000)


class EmbeddingClassifier:
    """Category and is_lead from embeddings; fit once per example set, cached in memory (and on disk if asked)."""

    def __init__(self, model: str = "bundled", cache_path: Path | None = None):
        self.model = model
        self.model_name = model_name(model)
        self.cache_path = Path(cache_path) if cache_path else None
        self._fitted: _Fitted | None = None
        self.key: str | None = None

    @property
    def embedder(self) -> Any:
        return load_embedder(self.model)

    def embed(self, texts: list[str]) -> "numpy.ndarray":
        return embed(texts, self.embedder)

    def fit(self, texts: list[str], categories: list[str], is_lead: list[bool]) -> "EmbeddingClassifier":
        """Train on labeled texts; reuses a fit of the same examples and model from memory or the cache file."""
        key = examples_key(texts, categories, is_lead, self.model)
        self.key = key
        if key in _FITTED:
            self._fitted = _FITTED[key]
            return self
        cached = self._read_cache(key)
        if cached is not None:
            self._fitted = _FITTED[key] = cached
            return self
        self.fit_embeddings(self.embed(texts), categories, is_lead)
        _FITTED[key] = self._fitted  # type: ignore[assignment]
        self._write_cache(key)
        return self

    def fit_embeddings(self, embeddings: "numpy.ndarray", categories: list[str],
                       is_lead: list[bool]) -> "EmbeddingClassifier":
        """Train on precomputed embeddings (cross-validation uses this to embed once)."""
        import numpy as np

        if len(set(categories)) < 2:
            raise ValueError("the examples need at least two categories to train a classifier")
        cat = _logistic().fit(embeddings, np.asarray(categories))
        leads = np.asarray(is_lead, dtype=bool)
        lead = _logistic().fit(embeddings, leads) if leads.any() and not leads.all() else bool(leads[0])
        self._fitted = _Fitted(cat, lead, len(categories))
        return self

    def predict(self, embeddings: "numpy.ndarray") -> list[EmbeddingPrediction]:
        """One prediction per row of `embeddings`."""
        if self._fitted is None:
            raise RuntimeError("EmbeddingClassifier.predict called before fit")
        if len(embeddings) == 0:
            return []
        f = self._fitted
        cat_p = f.category.predict_proba(embeddings)
        classes = [str(c) for c in f.category.classes_]
        if isinstance(f.lead, bool):  # every example had the same is_lead
            lead_true = [1.0 if f.lead else 0.0] * len(embeddings)
        else:
            col = list(f.lead.classes_).index(True)
            lead_true = [float(x) for x in f.lead.predict_proba(embeddings)[:, col]]
        out = []
        for row, pl in zip(cat_p, lead_true):
            probs = {c: round(float(p), 4) for c, p in zip(classes, row)}
            best = max(probs, key=probs.__getitem__)
            out.append(EmbeddingPrediction(best, probs[best], probs, pl >= 0.5, round(max(pl, 1 - pl), 4)))
        return out

    # -- optional pickle cache ---------------------------------------------------------------

    def _read_cache(self, key: str) -> _Fitted | None:
        if not self.cache_path or not self.cache_path.is_file():
            return None
        try:
            with self.cache_path.open("rb") as fh:
                stored = pickle.load(fh)  # our own file, written below; never a user-supplied one
            if stored.get("key") == key:
                return stored["fitted"]
        except Exception as e:  # a stale or partial cache is only a missed shortcut
            log.info("ignoring classifier cache %s: %s", self.cache_path, e)
        return None

    def _write_cache(self, key: str) -> None:
        if not self.cache_path:
            return
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump({"key": key, "fitted": self._fitted}, fh)
            tmp.replace(self.cache_path)
        except OSError as e:
            log.warning("could not write classifier cache %s: %s", self.cache_path, e)
