"""The bundled GGUF through llama.cpp: grammar-constrained JSON, calibrated confidence, clear load errors."""

from __future__ import annotations

import json

import pytest

from opsys.ai.errors import ModelUnavailable
from opsys.ai.llm import LocalLlm, bundled_gguf_path, grammar_text, system_prompt
from opsys.config.models import Firm, LlmSettings, Service


def test_bundled_gguf_is_installed():
    assert bundled_gguf_path().is_file() and bundled_gguf_path().suffix == ".gguf"


@pytest.mark.parametrize("allowed", [["urgent", "routine", "faq", "spam"], ["faq", "spam"], ["routine", "urgent"]])
def test_classify_returns_json_within_allowed(local_llm, allowed):
    p = local_llm.classify("Hi, the booking page on our site shows an error, can you look today?", allowed)
    parsed = json.loads(p.raw)
    assert set(parsed) == {"category", "is_lead"} and isinstance(parsed["is_lead"], bool)
    assert parsed["category"] == p.category and p.category in allowed
    assert set(p.probabilities) == set(allowed) and abs(sum(p.probabilities.values()) - 1) < 1e-3
    assert p.confidence == p.probabilities[p.category] and p.confidence_source == "calibrated logits"
    assert 0.5 <= p.lead_confidence <= 1


def test_uncalibrated_answer_is_the_raw_argmax(local_llm):
    p = local_llm.classify("Buy cheap backlinks now!", ["faq", "spam"], calibrate=False)
    assert p.probabilities == p.raw_probabilities and p.confidence_source == "logits"
    assert p.category == max(p.raw_probabilities, key=p.raw_probabilities.get)


def test_long_input_is_truncated_to_fit_the_context(local_llm):
    p = local_llm.classify("Our site is down. " + "Lorem ipsum dolor sit amet. " * 800, ["urgent", "routine"])
    assert p.category in ("urgent", "routine")


def test_grammar_enumerates_only_the_allowed_labels():
    g = grammar_text(["faq", "spam"])
    assert '"faq"' in g and '"spam"' in g and "urgent" not in g


def test_draft_returns_text(local_llm):
    text = local_llm.draft("Write one short sentence thanking a client for their message.", max_tokens=24)
    assert isinstance(text, str) and text.strip()


def test_missing_gguf_names_the_path(tmp_path):
    path = tmp_path / "models" / "nope.gguf"
    with pytest.raises(ModelUnavailable, match="nope.gguf"):
        LocalLlm(LlmSettings(model_path=str(path))).classify("hello", ["faq", "spam"])


def test_file_that_is_not_a_gguf_names_the_path(tmp_path):
    path = tmp_path / "garbage.gguf"
    path.write_bytes(b"this is not a model" * 100)
    with pytest.raises(ModelUnavailable, match="garbage.gguf"):
        LocalLlm(LlmSettings(model_path=str(path))).load()


STUDIO = Firm(name="Kestrel & Pine Studio", timezone="Europe/London", default_region="GB",
              services={"arch": Service(label="Architecture", keywords=["extension"]),
                        "interiors": Service(label="Interior design", keywords=["kitchen"])})


def test_prompt_names_the_firm_and_services_of_team_yml(system_map):
    assert system_prompt(STUDIO).startswith(
        "You label messages received by Kestrel & Pine Studio, a small firm offering Architecture and "
        "Interior design.\n")
    shipped = system_prompt(system_map.team.firm)
    assert system_map.team.firm.name in shipped
    assert all(s.label in shipped for s in system_map.team.firm.services.values())
    for prompt in (system_prompt(STUDIO), system_prompt(None), system_prompt(Firm(name="Solo"))):
        assert system_map.team.firm.name not in prompt and "Answer with JSON only." in prompt


def test_no_firm_name_is_written_into_the_llm_module(system_map):
    from pathlib import Path

    import opsys.ai.llm

    assert system_map.team.firm.name not in Path(opsys.ai.llm.__file__).read_text(encoding="utf-8")


def test_the_firm_prompt_is_what_the_model_reads(local_llm):
    studio = LocalLlm(local_llm.settings, STUDIO)
    p = studio.classify("Could you quote for a kitchen extension?", ["routine", "faq"])
    assert p.category in ("routine", "faq")
    llm = studio.load()
    seen = llm.detokenize([int(t) for t in llm.input_ids[:llm.n_tokens]]).decode("utf-8", "ignore")
    assert "Kestrel & Pine Studio, a small firm offering Architecture and Interior design" in seen
