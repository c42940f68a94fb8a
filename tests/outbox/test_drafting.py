"""Drafting: the template first, the LLM's text only when every guard passes, with model, prompt hash
and each guard's verdict recorded; and the real bundled SmolLM2 on a few contexts."""

from __future__ import annotations

import pytest

from opsys.ai.draft_guards import Sources, check_draft
from opsys.ai.drafting import TemplateError, draft_mail, render_template, template_fields
from tests.outbox.test_guards import CONTEXT, SIGN_OFF, TEMPLATE


class ScriptedLlm:
    """A model whose answer is given: to test what drafting does with a known output (the real one runs below)."""

    name = "scripted.gguf"

    def __init__(self, answer: str):
        self.answer, self.prompts = answer, []

    def draft(self, prompt: str, max_tokens: int = 200) -> str:
        self.prompts.append(prompt)
        return self.answer


def test_template_fields_are_filled_and_a_missing_one_is_named():
    assert template_fields(TEMPLATE) == ["first_name", "need"]
    assert render_template("Hi {first_name}, {{literal}}", {"first_name": "Dana"}) == "Hi Dana, {literal}"
    with pytest.raises(TemplateError, match=r"\{need\}"):
        render_template(TEMPLATE, {"first_name": "Dana"})
    with pytest.raises(TemplateError, match="plain name"):
        template_fields("Hi {contact.name}")


def test_without_an_llm_the_plain_template_goes_with_the_sign_off():
    d = draft_mail(None, TEMPLATE, CONTEXT, sign_off=SIGN_OFF)
    assert not d.used_llm and d.model is None and "no LLM" in d.fallback_reason
    assert d.text.startswith("Hi Dana,") and d.text.rstrip().endswith("The Brightside Digital team")


def test_an_llm_text_with_an_invented_price_falls_back_and_says_why():
    llm = ScriptedLlm("Hello Dana!\n\nWe would love to build your bakery site; it costs only $2,999 and we "
                      "guarantee it is live by Friday. I wanted to check whether our last message reached you.\n\n"
                      "Best regards,\nBob")
    d = draft_mail(llm, TEMPLATE, CONTEXT, sign_off=SIGN_OFF)
    assert not d.used_llm
    assert d.text == render_template(TEMPLATE, CONTEXT) + "\n\n" + SIGN_OFF + "\n"
    assert {"prices", "promises", "dates"} <= set(d.failed_guards)
    assert "$2,999" in d.fallback_reason and d.model == "scripted.gguf" and len(d.prompt_hash) == 64
    assert "a small bakery in Austin" in llm.prompts[0]  # the context reaches the prompt
    again = draft_mail(llm, TEMPLATE, CONTEXT, sign_off=SIGN_OFF)
    other = draft_mail(llm, TEMPLATE, {**CONTEXT, "first_name": "Omar"}, sign_off=SIGN_OFF)
    assert again.prompt_hash == d.prompt_hash != other.prompt_hash  # the hash names the exact prompt


def test_a_faithful_llm_text_is_used_between_the_templates_greeting_and_sign_off():
    llm = ScriptedLlm("Dear Dana,\n\nThanks again for telling us about the online ordering website for your bakery. "
                      "I wanted to check whether our last message reached you, and whether a short call would help "
                      "you decide on the next step. If now is not the right time, just reply and say so.\n\nBest,\nBob")
    d = draft_mail(llm, TEMPLATE, CONTEXT, sign_off=SIGN_OFF)
    assert d.used_llm and d.fallback_reason is None and d.failed_guards == ()
    assert d.text.startswith("Hi Dana,\n\nThanks again for telling us about the online ordering website")
    assert "Bob" not in d.text and d.text.rstrip().endswith("The Brightside Digital team")
    assert len(d.guards) == 15


CONTEXTS = [
    {"first_name": "Dana", "need": "a new website with online ordering",
     "message": "We run a small bakery in Austin and need a new website with online ordering before our second "
                "shop opens."},
    {"first_name": "Omar", "need": "better Google rankings",
     "message": "Our plumbing company is invisible on Google. Can you help us show up for local searches?"},
]


@pytest.fixture(scope="module")
def real_llm():
    from opsys.ai.drafting import drafting_llm
    from opsys.config.loader import load_system_map
    from tests.conftest import REPO

    m = load_system_map(REPO / "system_map")
    m.classifier.llm.n_threads = 1  # the test machine is shared: two llama.cpp threads wait on each other
    llm = drafting_llm(m.classifier, m.team.firm)
    assert llm is not None, "the sample map switches the LLM on"
    return llm


@pytest.mark.parametrize("context", CONTEXTS, ids=["bakery", "plumber"])
def test_the_real_bundled_llm_drafts_are_guarded_and_recorded(real_llm, context):
    d = draft_mail(real_llm, TEMPLATE, context, sign_off=SIGN_OFF)
    plain = render_template(TEMPLATE, context) + "\n\n" + SIGN_OFF + "\n"
    assert d.model == "SmolLM2-135M-Instruct.Q4_1.gguf" and len(d.prompt_hash) == 64
    assert [g[0] for g in d.guards][:3] == ["numbers", "prices", "dates"]
    if d.used_llm:
        assert d.failed_guards == () and d.text != plain
    else:
        assert d.text == plain and d.failed_guards and d.fallback_reason.startswith("guard failed")
    # whatever was chosen passes every guard: nothing invented reaches the mail
    src = Sources.of(plain, TEMPLATE, context.values(), SIGN_OFF)
    assert all(ok for _, ok, _ in check_draft(d.text, src)), check_draft(d.text, src)
