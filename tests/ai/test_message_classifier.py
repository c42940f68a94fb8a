"""MessageClassifier: the combination policy, its audit detail, and what happens when models are missing."""

from __future__ import annotations

import logging

import pytest

from opsys.ai import message_classifier as classify_module
from opsys.ai.message_classifier import LLM_ACCEPT, MessageClassifier
from opsys.config.models import ClassifierSettings, EmbeddingSettings, LlmSettings

AMBIGUOUS = "Hi, quick question about the website, can you call me back when you get a chance?"


def settings(min_confidence: float = 0.6, **llm) -> ClassifierSettings:
    return ClassifierSettings(embedding=EmbeddingSettings(min_confidence=min_confidence), llm=LlmSettings(**llm))


def kept(c) -> str:
    """The label the embedding stands for: its own, or its best other than spam when the text shows no spam."""
    probs = c.detail["embedding"]["probabilities"]
    if "(spam without evidence)" in c.decided_by:
        return max((x for x in probs if x != "spam"), key=probs.get)
    return c.detail["embedding"]["category"]


def test_real_path_fits_from_examples_and_decides_by_embedding(system_map):
    mc = MessageClassifier(system_map.classifier, system_map.examples)
    [c] = mc.classify_many(["URGENT our online shop is down, nobody can check out, please fix now"])
    assert (c.category, c.decided_by) == ("urgent", "embedding:all-MiniLM-L6-v2")
    assert c.category_confidence >= system_map.classifier.embedding.min_confidence
    emb = c.detail["embedding"]
    assert emb["probabilities"]["urgent"] == c.category_confidence and "rule" in c.detail
    assert mc.classify_many([]) == [] and mc.llm_status is None and mc.llm_calls == 0


def test_low_confidence_asks_the_llm_between_the_top_two(examples, fitted, local_llm):
    # min_confidence 1.0: every message is "unsure", so the LLM path is always taken
    mc = MessageClassifier(settings(1.0), examples, embedding=fitted, llm=local_llm)
    [c] = mc.classify_many([AMBIGUOUS])
    llm, emb = c.detail["llm"], c.detail["embedding"]
    assert mc.llm_calls == 1
    # urgency is never the LLM's call, and spam is not offered without spam evidence in the text
    ranked = sorted(emb["probabilities"], key=emb["probabilities"].get, reverse=True)
    assert llm["allowed"] == [x for x in ranked if x not in ("urgent", "spam")][:2]
    assert llm["category"] in llm["allowed"] and llm["accept_threshold"] == LLM_ACCEPT
    if llm["accepted"]:
        assert c.decided_by == "llm:SmolLM2-135M-Instruct.Q4_1.gguf" and c.category == llm["category"]
        assert c.category_confidence == llm["confidence"] >= LLM_ACCEPT
    else:
        assert c.decided_by.startswith("embedding:all-MiniLM-L6-v2")
        assert c.decided_by.endswith("(low confidence, llm unsure)")
        assert c.category == kept(c)
    assert (c.is_lead, c.lead_confidence) == (emb["is_lead"], emb["lead_confidence"])  # leads: embedding


def test_bad_gguf_keeps_embedding_answer_and_warns_once(tmp_path, examples, fitted, caplog, monkeypatch):
    monkeypatch.setattr(classify_module, "_warned", set())
    bad = tmp_path / "missing.gguf"
    mc = MessageClassifier(settings(1.0, model_path=str(bad)), examples, embedding=fitted)
    with caplog.at_level(logging.WARNING, logger="opsys.ai.message_classifier"):
        results = mc.classify_many([AMBIGUOUS, "Do you do SEO?", "the site is down"])
        results += MessageClassifier(settings(1.0, model_path=str(bad)), examples,
                                     embedding=fitted).classify_many([AMBIGUOUS])
    urgent = [r for r in results if r.category == "urgent"]  # urgency never waits for the LLM
    assert [r.decided_by for r in urgent] == ["embedding:all-MiniLM-L6-v2 (urgent rule urgent_rules.py#outage)"]
    assert all(r.decided_by.endswith("(low confidence, llm unavailable)") for r in results if r not in urgent)
    assert all(r.category == kept(r) for r in results if r not in urgent)
    assert mc.llm_status and str(bad) in mc.llm_status
    assert len([r for r in caplog.records if "missing.gguf" in r.getMessage()]) == 1


def test_disabled_llm_is_reported_without_loading(examples, fitted):
    mc = MessageClassifier(settings(1.0, enabled=False), examples, embedding=fitted)
    [c] = mc.classify_many([AMBIGUOUS])
    assert c.decided_by.endswith("(low confidence, llm unavailable)")
    assert "disabled" in (mc.llm_status or "")


def test_missing_embedding_model_falls_back_to_keywords(tmp_path, examples, monkeypatch):
    monkeypatch.setattr(classify_module, "_warned", set())
    s = ClassifierSettings(embedding=EmbeddingSettings(model=str(tmp_path / "no-model")),
                           llm=LlmSettings(enabled=False))
    mc = MessageClassifier(s, examples)
    got = mc.classify_many(["Our website is down!", "Cheap backlinks for sale"])
    assert [c.category for c in got] == ["urgent", "spam"]
    assert all(c.decided_by == "rules:keyword-fallback" for c in got)
    assert mc.embedding_status and "no-model" in mc.embedding_status


@pytest.mark.parametrize("text, category", [
    ("Our website was hacked and now redirects to a casino site, please help today!", "urgent"),
    ("Congratulations! You won a $1000 gift card, click here to claim your prize now", "spam"),
])
def test_shipped_settings_on_clear_messages(system_map, fitted, local_llm, text, category):
    mc = MessageClassifier(system_map.classifier, system_map.examples, embedding=fitted, llm=local_llm)
    assert mc.classify(text).category == category


def test_an_llm_error_on_a_message_keeps_the_embedding_label(examples, fitted):
    from opsys.ai.llm import LocalLlm

    tiny = LlmSettings().model_copy(update={"n_ctx": 256})  # below what the prompt needs: llama.cpp raises
    mc = MessageClassifier(ClassifierSettings(embedding=EmbeddingSettings(min_confidence=1.0), llm=tiny),
                           examples, embedding=fitted, llm=LocalLlm(tiny))
    [c] = mc.classify_many([AMBIGUOUS])
    assert c.decided_by.startswith("embedding:all-MiniLM-L6-v2")
    assert c.decided_by.endswith("(low confidence, llm unavailable)")
    assert c.category == kept(c)
    assert "failed on a message" in mc.llm_status
