"""The bundled GGUF through llama.cpp: one-pass calibrated labels, the grammar path, clear load errors."""

from __future__ import annotations

import json
import math

import pytest

from opsys.ai.errors import ModelUnavailable
from opsys.ai.llm import (ANSWER_PREFIX, FALLBACK_CONFIDENCE, LocalLlm, bundled_gguf_path, grammar_text,
                          system_prompt)
from opsys.config.models import Firm, LlmSettings, Service


def test_bundled_gguf_is_installed():
    assert bundled_gguf_path().is_file() and bundled_gguf_path().suffix == ".gguf"


@pytest.mark.parametrize("allowed", [["urgent", "routine", "faq", "spam"], ["faq", "spam"], ["routine", "urgent"]])
def test_classify_returns_a_label_within_allowed(local_llm, allowed):
    p = local_llm.classify("Hi, the booking page on our site shows an error, can you look today?", allowed)
    assert json.loads(p.raw) == {"category": p.category} and p.category in allowed
    assert set(p.probabilities) == set(allowed) and abs(sum(p.probabilities.values()) - 1) < 1e-3
    assert p.confidence == p.probabilities[p.category] == max(p.probabilities.values())
    assert p.confidence_source == "calibrated logits"
    assert p.is_lead is False and p.lead_confidence == FALLBACK_CONFIDENCE  # one pass does not read is_lead


@pytest.mark.parametrize("allowed", [["urgent", "routine", "faq", "spam"], ["faq", "spam"]])
def test_grammar_path_returns_json_within_allowed(local_llm, allowed):
    llm = local_llm.load()
    p = local_llm._classify_by_grammar(llm, "Hi, the booking page on our site shows an error, can you look today?",
                                       allowed, local_llm.label_prior())
    parsed = json.loads(p.raw)
    assert set(parsed) == {"category", "is_lead"} and isinstance(parsed["is_lead"], bool)
    assert parsed["category"] == p.category and p.category in allowed
    assert set(p.probabilities) == set(allowed) and p.confidence == p.probabilities[p.category]
    assert 0.5 <= p.lead_confidence <= 1


def _logits_from_scratch(llm, tokens):
    """The next-token logits after `tokens`, evaluated by llama-cpp's own completion from an empty cache."""
    seen = []

    def record(input_ids, logits):
        seen.append(logits.copy())
        return logits

    llm.reset()
    llm.create_completion(tokens, max_tokens=1, temperature=0.0, logits_processor=[record])
    return seen[0]


def test_one_pass_label_is_the_argmax_of_the_calibrated_first_token_logits(local_llm):
    text, allowed = "Where is your office located?", ["faq", "spam"]
    p = local_llm.classify(text, allowed)
    llm, prior = local_llm.load(), local_llm.label_prior()
    # the prompt evaluated is the one create_chat_completion renders, then the answer prefix
    local_llm._classify_by_grammar(llm, text, allowed, prior)
    chat = llm.detokenize([int(t) for t in llm.input_ids[:llm.n_tokens]], special=True).decode()
    tokens = local_llm._prompt_tokens(llm, text)
    assert chat.startswith(llm.detokenize(tokens, special=True).decode())
    assert llm.detokenize(tokens, special=True).decode().endswith("<|im_start|>assistant\n" + ANSWER_PREFIX)
    logits = _logits_from_scratch(llm, tokens)
    first = {c: llm.tokenize(c.encode(), add_bos=False)[0] for c in allowed}
    raw = {c: float(logits[t]) for c, t in first.items()}
    calibrated = {c: raw[c] - math.log(prior[c]) for c in allowed}
    assert p.category == max(calibrated, key=calibrated.get)
    assert max(raw, key=raw.get) != p.category  # the model's raw pick (spam) is overturned by calibration
    top = max(raw.values())
    softmax = {c: math.exp(v - top) / sum(math.exp(w - top) for w in raw.values()) for c, v in raw.items()}
    assert all(abs(softmax[c] - p.raw_probabilities[c]) < 0.02 for c in allowed)


def test_a_call_evaluates_only_the_tokens_after_the_shared_prompt(local_llm):
    import llama_cpp

    llm = local_llm.load()
    local_llm.classify("Can you send me the invoice for March?", ["routine", "faq"])
    before = [int(t) for t in llm.input_ids[:llm.n_tokens]]
    text = "Our launch is on Friday and the payment page still shows errors"
    tokens = local_llm._prompt_tokens(llm, text)
    shared = next(i for i, (a, b) in enumerate(zip(before, tokens)) if a != b)
    assert shared > 400 and len(tokens) - shared < 40  # the system prompt and few-shot turns are shared
    llama_cpp.llama_perf_context_reset(llm.ctx)
    local_llm.classify(text, ["urgent", "routine"])
    perf = llama_cpp.llama_perf_context(llm.ctx)
    # one batch of the new tokens and no generated token (llama.cpp reports a count of 0 as 1)
    assert perf.n_p_eval == len(tokens) - shared and perf.n_eval <= 1


def test_uncalibrated_answer_is_the_raw_argmax(local_llm):
    p = local_llm.classify("Buy cheap backlinks now!", ["faq", "spam"], calibrate=False)
    assert p.probabilities == p.raw_probabilities and p.confidence_source == "logits"
    assert p.category == max(p.raw_probabilities, key=p.raw_probabilities.get)


def test_prior_cache_key_names_the_one_pass_format(local_llm, tmp_path):
    import opsys.ai.llm

    assert opsys.ai.llm.PRIOR_FORMAT == 2  # priors measured by the grammar path (format 1) are measured again
    cache = tmp_path / "llm_prior.json"
    cache.write_text(json.dumps({"key": "format-1-key", "prior": {"urgent": 1.0}}), encoding="utf-8")
    fresh = LocalLlm(local_llm.settings, None, cache)
    assert fresh._cached_prior() is None


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
