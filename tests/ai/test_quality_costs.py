"""What keeps classification cheap and urgent-safe: the LLM calibration cached on disk, urgent_at."""

from __future__ import annotations

import json

from opsys.ai.llm import LocalLlm
from opsys.ai.message_classifier import MessageClassifier
from opsys.config.models import ClassifierSettings, EmbeddingSettings, LlmSettings

ROUTINE = "Can we move Thursday's call to Friday 10am? Something came up."


def test_llm_calibration_is_cached_on_disk_and_reused_without_loading(system_map, tmp_path):
    cache = tmp_path / "cache" / "llm_prior.json"
    first = LocalLlm(system_map.classifier.llm, system_map.team.firm, cache)
    prior = first.label_prior()
    assert json.loads(cache.read_text())["prior"] == prior
    again = LocalLlm(system_map.classifier.llm, system_map.team.firm, cache)
    assert again.label_prior() == prior and again._llm is None  # no model load, no content-free prompts
    other_prompt = LocalLlm(system_map.classifier.llm, None, cache)  # another prompt: another key
    assert other_prompt.prior_key() != again.prior_key()


def test_urgent_at_makes_an_unsure_label_urgent(examples, fitted):
    def mc(urgent_at: float) -> MessageClassifier:
        s = ClassifierSettings(embedding=EmbeddingSettings(urgent_at=urgent_at), llm=LlmSettings(enabled=False))
        return MessageClassifier(s, examples, embedding=fitted)

    plain = mc(1.0).classify(ROUTINE)
    assert plain.category != "urgent"
    p_urgent = plain.detail["embedding"]["probabilities"]["urgent"]
    forced = mc(p_urgent).classify(ROUTINE)
    assert forced.category == "urgent" and forced.category_confidence == p_urgent
    assert forced.decided_by.endswith("(urgent_at)") and "urgent_at" in forced.detail["rule"]
