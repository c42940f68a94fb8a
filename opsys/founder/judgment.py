"""The judgment label of inbound messages: does it ask the founder to decide something?

Labels (discount, scope_change, cancellation, invoice_dispute, refund, none) come from the same
embedding classifier intake uses (all-MiniLM-L6-v2 + logistic regression), trained on
`system_map/examples/judgment.yml`. Each message is labeled once per example set and model (the
label is stored with the fit's key, so editing the examples relabels); the probability of the label
is its confidence, shown on the page. Loading the model costs seconds, so it loads only when there
are messages without a label.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from opsys.ai.embedding_classifier import EmbeddingClassifier, examples_key
from opsys.ai.errors import ModelUnavailable
from opsys.config.models import SystemMap
from opsys.records.events import EventKind
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.founder import save_judgments, unjudged_messages

log = logging.getLogger(__name__)
TEXT_LIMIT = 2000  # the subject and the start of the body say what is asked


def _training(m: SystemMap) -> tuple[list[str], list[str], list[bool]]:
    ex = m.judgment_examples
    return [e.text for e in ex], [e.label for e in ex], [False] * len(ex)


def judgment_key(m: SystemMap) -> str | None:
    """The fit's key (examples + model); None when there are no judgment examples."""
    texts, labels, flags = _training(m)
    if len(set(labels)) < 2:
        return None
    return "judgment:" + examples_key(texts, labels, flags, m.classifier.embedding.model)


def judge_new_messages(db: sqlite3.Connection, m: SystemMap, now: datetime, cache_dir: Path | None = None) -> int:
    """Label every recent message without a label from the current fit; returns how many were labeled."""
    key = judgment_key(m)
    if key is None:
        return 0
    todo = unjudged_messages(db, now - timedelta(days=m.founder.decisions.window_days), key)
    if not todo:
        return 0
    texts, labels, flags = _training(m)
    try:
        clf = EmbeddingClassifier(m.classifier.embedding.model,
                                  cache_dir / "judgment.pickle" if cache_dir else None).fit(texts, labels, flags)
        preds = clf.predict(clf.embed([f"Subject: {x.subject}\n\n{x.body}"[:TEXT_LIMIT] for x in todo]))
    except ModelUnavailable as e:
        log.warning("judgment labels unavailable: %s", e)
        return 0
    model = clf.model_name
    with write_transaction(db):
        save_judgments(db, [(x.key, p.category, p.confidence) for x, p in zip(todo, preds)], key, now)
        for x, p in zip(todo, preds):
            if p.category == "none":
                continue
            kind, _, ident = x.key.partition(":")
            record_event(db, EventKind.JUDGMENT_CLASSIFIED, decided_by=f"embedding:{model}",
                         subject_type=kind, subject_id=ident, confidence=p.confidence,
                         inputs={"examples": len(texts), "key": key, "inquiry": x.inquiry_id},
                         decision={"label": p.category, "probabilities": p.probabilities},
                         message=f"{x.key} asks for a decision: {p.category} ({p.confidence:.2f})")
    return len(todo)
