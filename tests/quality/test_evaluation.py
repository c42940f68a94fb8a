"""`opsys eval`'s classifier figures, with the real embedding model on the repo examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsys.ai.evaluation import evaluate_classifier, label_report

REPO = Path(__file__).resolve().parents[2]


def test_label_report_counts_by_hand():
    r = label_report("category", ["urgent", "urgent", "routine", "spam"], ["urgent", "routine", "routine", "spam"],
                     ["urgent", "routine", "faq", "spam"], ["a", "b", "c", "d"])
    assert r.labels == ["urgent", "routine", "spam"]  # faq appears nowhere: left out
    assert r.figure("urgent").recall == 0.5 and r.figure("routine").precision == 0.5
    assert r.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert [m.text for m in r.misses] == ["b"] and r.accuracy == 0.75


@pytest.mark.slow
def test_cross_validated_urgent_recall_with_the_real_model():
    from opsys.ai.embeddings import embed, load_embedder
    from opsys.config.loader import load_system_map

    m = load_system_map(REPO / "system_map")
    X = embed([e.text for e in m.examples], load_embedder())
    ev = evaluate_classifier(m.classifier, m.examples, X, llm=None)
    urgent = ev.category.figure("urgent")
    assert urgent.support >= 80
    assert urgent.recall >= 0.83  # urgent_at in classifier.yml; 0.79 without it on the same folds
    assert ev.category.accuracy >= 0.72
    assert ev.lead.accuracy >= 0.82
    assert sum(map(sum, ev.category.confusion)) == len(m.examples)
