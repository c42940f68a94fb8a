"""How well the classifier does on the firm's own labeled examples, measured the way it will be used.

Stratified k-fold cross-validation: every example is labeled by a classifier trained without it,
through the same policy intake runs (the embedding classifier, the LLM when it is unsure and
enabled). Reported per class with urgent first — a missed urgent message costs the most — with the
confusion matrix and the examples it gets wrong, so a firm sees what to add. Also: the same
measurement for any other labeled set (reply sentiment), and spam false positives on real ham.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from opsys.config.models import ClassifierSettings, Example, Firm
from opsys.records import CATEGORIES

if TYPE_CHECKING:
    import numpy

FOLDS = 5
SEED = 0
ORDER = ("urgent", "routine", "faq", "spam")  # urgent first: its recall is the figure that matters most


@dataclass(frozen=True)
class ClassFigures:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Miss:
    index: int
    text: str
    truth: str
    predicted: str
    confidence: float
    decided_by: str


@dataclass
class LabelReport:
    """One labeled question (category, is-a-lead, sentiment): accuracy, per class, confusion, misses."""

    question: str
    n: int
    accuracy: float
    classes: list[ClassFigures]
    labels: list[str]
    confusion: list[list[int]]  # rows: truth, columns: predicted, both in `labels` order
    misses: list[Miss] = field(default_factory=list)
    note: str = ""

    def figure(self, label: str) -> ClassFigures | None:
        return next((c for c in self.classes if c.label == label), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def label_report(question: str, truth: Sequence[str], pred: Sequence[str], labels: Sequence[str],
                 texts: Sequence[str] = (), confidences: Sequence[float] = (), deciders: Sequence[str] = (),
                 note: str = "") -> LabelReport:
    """Accuracy, per-class precision/recall/F1, the confusion matrix and each wrong example."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = [lab for lab in labels if lab in set(truth) | set(pred)]
    p, r, f, s = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    classes = [ClassFigures(lab, round(float(a), 3), round(float(b), 3), round(float(c), 3), int(d))
               for lab, a, b, c, d in zip(labels, p, r, f, s)]
    cm = confusion_matrix(truth, pred, labels=labels).tolist()
    misses = [Miss(i, (texts[i] if i < len(texts) else ""), t, q,
                   round(float(confidences[i]), 3) if i < len(confidences) else 0.0,
                   deciders[i] if i < len(deciders) else "")
              for i, (t, q) in enumerate(zip(truth, pred)) if t != q]
    acc = sum(t == q for t, q in zip(truth, pred)) / len(truth) if truth else 0.0
    return LabelReport(question, len(truth), round(acc, 3), classes, list(labels), cm, misses, note)


def folds_for(strata: Sequence[str], folds: int = FOLDS, seed: int = SEED) -> list[tuple[list[int], list[int]]]:
    """Stratified folds; a stratum smaller than `folds` still works (sklearn warns, we do not care)."""
    import warnings

    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(strata)), list(strata))
        return [(list(a), list(b)) for a, b in split]


@dataclass
class ClassifierEvaluation:
    category: LabelReport
    lead: LabelReport
    llm_calls: int
    policy: str
    predictions: list = field(default_factory=list)  # the out-of-fold Classification of each example

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category.as_dict(), "lead": self.lead.as_dict(), "llm_calls": self.llm_calls,
                "policy": self.policy}


def evaluate_classifier(settings: ClassifierSettings, examples: Sequence[Example], vectors: "numpy.ndarray", *,
                        llm: Any = None, firm: Firm | None = None, folds: int = FOLDS,
                        seed: int = SEED) -> ClassifierEvaluation:
    """Cross-validated category and is-a-lead labels through the shipped policy.

    `llm` (a loaded LocalLlm) is used for low-confidence messages when given; without it the
    embedding answer stands, as intake does when the LLM is off.
    """
    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.message_classifier import MessageClassifier

    texts = [e.text for e in examples]
    cats = [e.category for e in examples]
    leads = [e.is_lead for e in examples]
    cat_pred: list[str] = [""] * len(texts)
    lead_pred: list[bool] = [False] * len(texts)
    conf: list[float] = [0.0] * len(texts)
    lead_conf: list[float] = [0.0] * len(texts)
    who: list[str] = [""] * len(texts)
    predictions: list = [None] * len(texts)
    calls = 0
    off = settings.model_copy(update={"llm": settings.llm.model_copy(update={"enabled": llm is not None})})
    for train, test in folds_for([f"{c}|{lead}" for c, lead in zip(cats, leads)], folds, seed):
        fitted = EmbeddingClassifier(settings.embedding.model).fit_embeddings(
            vectors[train], [cats[i] for i in train], [leads[i] for i in train])
        mc = MessageClassifier(off, [examples[i] for i in train], embedding=fitted, llm=llm, firm=firm)
        for i, c in zip(test, mc.classify_embedded([texts[i] for i in test], vectors[test])):
            predictions[i] = c
            cat_pred[i], lead_pred[i], conf[i], lead_conf[i], who[i] = (
                c.category, c.is_lead, c.category_confidence, c.lead_confidence, c.decided_by)
        calls += mc.llm_calls
    policy = (f"embedding, LLM below confidence {settings.embedding.min_confidence}" if llm is not None
              else "embedding only (LLM off)")
    category = label_report("category", cats, cat_pred, list(ORDER) + [c for c in CATEGORIES if c not in ORDER],
                            texts, conf, who, note=f"stratified {folds}-fold cross-validation, seed {seed}; {policy}")
    lead = label_report("is a lead", ["lead" if x else "not a lead" for x in leads],
                        ["lead" if x else "not a lead" for x in lead_pred], ["lead", "not a lead"], texts, lead_conf,
                        who)
    return ClassifierEvaluation(category, lead, calls, policy, predictions)


def embedding_policy(settings: ClassifierSettings) -> ClassifierSettings:
    """The shipped policy with the LLM off and never consulted (min_confidence 0): spam evidence, urgent
    rules and the embedding decide, as for a firm that switches the LLM off."""
    return settings.model_copy(update={"llm": settings.llm.model_copy(update={"enabled": False}),
                                       "embedding": settings.embedding.model_copy(update={"min_confidence": 0.0})})


def heldout_report(settings: ClassifierSettings, examples: Sequence[Example], vectors: "numpy.ndarray",
                   heldout: Sequence[Example], heldout_vectors: "numpy.ndarray") -> LabelReport:
    """Category figures on a set nothing was trained or tuned on (tests/quality/data/urgent_heldout.yml), LLM off."""
    from opsys.ai.embedding_classifier import EmbeddingClassifier
    from opsys.ai.message_classifier import MessageClassifier

    fitted = EmbeddingClassifier(settings.embedding.model).fit_embeddings(
        vectors, [e.category for e in examples], [e.is_lead for e in examples])
    got = MessageClassifier(embedding_policy(settings), list(examples), embedding=fitted).classify_embedded(
        [e.text for e in heldout], heldout_vectors)
    return label_report("category (held back)", [e.category for e in heldout], [c.category for c in got],
                        list(ORDER), [e.text for e in heldout], [c.category_confidence for c in got],
                        [c.decided_by for c in got], note="trained on all examples, LLM off")


def evaluate_labels(question: str, texts: Sequence[str], labels: Sequence[str], vectors: "numpy.ndarray", *,
                    folds: int = FOLDS, seed: int = SEED) -> LabelReport:
    """Any other labeled set (reply sentiment): embeddings + logistic regression, cross-validated."""
    from opsys.ai.embedding_classifier import _logistic

    pred = [""] * len(texts)
    conf = [0.0] * len(texts)
    for train, test in folds_for(labels, folds, seed):
        model = _logistic().fit(vectors[train], [labels[i] for i in train])
        proba = model.predict_proba(vectors[test])
        for i, row in zip(test, proba):
            best = int(row.argmax())
            pred[i], conf[i] = str(model.classes_[best]), float(row[best])
    order = sorted(set(labels))
    return label_report(question, list(labels), pred, order, texts, conf,
                        note=f"embeddings + logistic regression, stratified {folds}-fold, seed {seed}")


@dataclass(frozen=True)
class SpamOnHam:
    """How often real non-spam is labelled spam by the classifier trained on the firm's examples."""

    source: str
    n: int
    labelled_spam: int
    examples: list[str]

    @property
    def rate(self) -> float:
        return self.labelled_spam / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": round(self.rate, 4)}


def spam_on_ham(source: str, texts: Sequence[str], fitted: Any, vectors: "numpy.ndarray",
                settings: ClassifierSettings | None = None) -> SpamOnHam:
    """Labels for real ham through the shipped policy, LLM off (spam needs evidence, opsys/ai/spam_evidence.py):
    every 'spam' is a false positive (a message that would be parked)."""
    from opsys.ai.message_classifier import MessageClassifier

    # the LLM cannot choose spam where the evidence is missing anyway
    policy = embedding_policy(settings or ClassifierSettings())
    preds = MessageClassifier(policy, [], embedding=fitted).classify_embedded(list(texts), vectors)
    wrong = [t for t, p in zip(texts, preds) if p.category == "spam"]
    return SpamOnHam(source, len(texts), len(wrong), [w[:160] for w in wrong[:10]])
