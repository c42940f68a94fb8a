"""Drafting a mail: the template filled from the context first, then the local LLM personalises it.

The plain template (its `{field}` placeholders filled from the context) is always made first: it is
the mail that goes when there is no LLM, when the LLM fails, and when any guard (`draft_guards`)
finds something in the LLM's text that the template and context do not say. The LLM rewrites only
the middle of the mail: the greeting line and the firm's sign-off are kept from the template, so
it cannot misname the contact or sign as someone else. Every draft records the model, a hash of the
exact prompt and settings, and each guard's verdict; a fallback says why in `fallback_reason` and
in the log.

    draft = draft_mail(drafting_llm(m.classifier, m.team.firm), template, {"first_name": "Dana", ...},
                       sign_off=m.sources.outbound.sign_off)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from opsys.ai.draft_guards import Limits, Sources, check_draft
from opsys.ai.errors import ModelUnavailable
from opsys.records.mail import Draft

if TYPE_CHECKING:
    from opsys.ai.llm import LocalLlm
    from opsys.config.models import ClassifierSettings, Firm

log = logging.getLogger(__name__)

MAX_TOKENS = 160
CONTEXT_CHARS = 400  # each context value is cut to this in the prompt (the contact's message can be long)
PROMPT_VERSION = "draft-v1"  # part of the prompt hash: a changed prompt is a different draft
_GREETING = re.compile(r"^\s*(?:dear|hi|hello|hey|good (?:morning|afternoon|evening))\b.*$", re.I)
_CLOSING = re.compile(r"^\s*(?:best|kind|warm|warmest)?\s*(?:regards|wishes|thanks|thank you|cheers|sincerely|"
                      r"best|yours|all the best|talk soon)\b[\w ,!.]*$", re.I)
_PREFACE = re.compile(r"^\s*(?:here is|here's|sure|certainly|rewritten|paragraph|email|subject)\b[^\n]*:\s*$", re.I)


class TemplateError(ValueError):
    """A mail template names a field the context does not give, or uses a form opsys does not fill."""


class DraftingLlm(Protocol):
    """What drafting needs of a model: its name and free text for a prompt."""

    @property
    def name(self) -> str: ...

    def draft(self, prompt: str, max_tokens: int = 200) -> str: ...


def drafting_llm(settings: "ClassifierSettings", firm: "Firm | None" = None) -> "LocalLlm | None":
    """The same local LLM the classifier uses (classifier.yml `llm`), or None when it is switched off."""
    if not settings.llm.enabled:
        return None
    from opsys.ai.llm import LocalLlm

    return LocalLlm(settings.llm, firm)


def template_fields(template: str) -> list[str]:
    """The `{field}` names a template uses, in order, each once (for `opsys check` and errors)."""
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise TemplateError(f"template is not well formed ({e}); write fields as {{first_name}} and a "
                            f"literal brace as {{{{ or }}}}") from None
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or spec or conv:
            raise TemplateError(f"template field {{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}} "
                                f"is not a plain name; write fields as {{first_name}}")
        if name not in out:
            out.append(name)
    return out


def render_template(template: str, context: Mapping[str, str]) -> str:
    """The template with each `{field}` filled from `context`; TemplateError names what is missing."""
    missing = [f for f in template_fields(template) if f not in context]
    if missing:
        raise TemplateError(f"template uses {', '.join('{' + f + '}' for f in missing)} but the context gives only "
                            f"{', '.join(sorted(context)) or 'nothing'}")
    return template.format_map({k: str(v) for k, v in context.items()})


def with_sign_off(text: str, sign_off: str) -> str:
    """`text` ending with the firm's sign-off (added when the template does not end with it already)."""
    text = text.rstrip()
    if not sign_off.strip() or " ".join(text.split()).endswith(" ".join(sign_off.split())):
        return text + "\n"
    return f"{text}\n\n{sign_off.strip()}\n"


def _split(plain: str, sign_off: str) -> tuple[str, str]:
    """(greeting line or "", the middle) of a plain mail that ends with `sign_off`."""
    body = plain.rstrip()
    if sign_off.strip() and body.endswith(sign_off.strip()):
        body = body[: -len(sign_off.strip())].rstrip()
    lines = body.split("\n")
    greeting = lines[0].strip() if lines and _GREETING.match(lines[0]) else ""
    middle = "\n".join(lines[1:] if greeting else lines).strip()
    return greeting, middle


def build_prompt(middle: str, context: Mapping[str, str]) -> str:
    """The instruction to rewrite the middle of the mail for this contact, with the facts it may use."""
    facts = "\n".join(f"- {k.replace('_', ' ')}: {' '.join(str(v).split())[:CONTEXT_CHARS]}"
                      for k, v in context.items() if str(v).strip())
    return ("Rewrite the email text below so it speaks to this person and what they told us. Keep its meaning "
            "and every fact. Do not add prices, numbers, dates, links, offers or promises. Write 2 to 4 "
            "sentences. No greeting, no sign-off.\n\n"
            f"About them:\n{facts}\n\nEmail text:\n{middle}\n\nRewritten text:")


def prompt_hash(model: str, prompt: str) -> str:
    """sha256 of everything that decides the LLM's output: model, prompt, settings, prompt version."""
    key = json.dumps({"model": model, "prompt": prompt, "max_tokens": MAX_TOKENS, "version": PROMPT_VERSION},
                     sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()


def clean_output(raw: str) -> str:
    """The LLM's text without a greeting, closing lines, a preface ("Here is…:") or wrapping quotes."""
    lines = [ln.rstrip() for ln in raw.strip().strip('"').split("\n")]
    while lines and (not lines[0].strip() or _GREETING.match(lines[0]) or _PREFACE.match(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or len(lines[-1].split()) <= 3
                     or (_CLOSING.match(lines[-1]) and len(lines[-1].split()) <= 6)):
        lines.pop()
    return "\n".join(lines).strip().strip('"').strip()


def draft_mail(llm: DraftingLlm | None, template: str, context: Mapping[str, str], *, sign_off: str,
               limits: Limits = Limits()) -> Draft:
    """The mail to send: the LLM's personalised text when every guard passes, else the plain template.

    `template` uses `{field}` placeholders filled from `context` (TemplateError when one is missing);
    the sign-off is added when the template does not end with it.
    """
    plain = with_sign_off(render_template(template, context), sign_off)
    if llm is None:
        return Draft(plain, used_llm=False, model=None, prompt_hash=None, fallback_reason="no LLM (llm.enabled: "
                     "false in classifier.yml, or none given)")
    greeting, middle = _split(plain, sign_off)
    prompt = build_prompt(middle, context)
    model, digest = None, None
    try:
        model = llm.name
        digest = prompt_hash(model, prompt)
        raw = llm.draft(prompt, max_tokens=MAX_TOKENS)
    except ModelUnavailable as e:
        log.warning("drafting without the LLM: %s", e)
        return Draft(plain, used_llm=False, model=model, prompt_hash=digest, fallback_reason=f"LLM unavailable: {e}")
    text = "\n\n".join(p for p in (greeting, clean_output(raw), sign_off.strip()) if p) + "\n"
    guards = check_draft(text, Sources.of(plain, template, context.values(), sign_off, limits))
    failed = [f"{name} ({detail})" for name, ok, detail in guards if not ok]
    if failed:
        reason = "guard failed: " + "; ".join(failed)
        log.info("draft by %s not used, the plain template goes instead: %s", model, reason)
        return Draft(plain, used_llm=False, model=model, prompt_hash=digest, guards=guards, fallback_reason=reason)
    return Draft(text, used_llm=True, model=model, prompt_hash=digest, guards=guards)
