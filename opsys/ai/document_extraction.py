"""The LLM's reading of a document no rule could read: invoice fields as grammar-constrained JSON.

Only where `sources/documents` found no structure (a PDF whose text names no invoice number or no
line table) is the local LLM asked, and its answer is a proposal, never a pass: the JSON grammar
(llama.cpp's `LlamaGrammar.from_json_schema`) guarantees the shape, not the truth. The confidence
is the geometric mean of the model's own probability for each token it wrote (raw logits, read
before the grammar masks them) times the share of the values it gave that occur in the text; below
`documents.yml extraction.min_confidence` intake makes it a "please check" item.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opsys.ai.errors import ModelUnavailable

if TYPE_CHECKING:
    from opsys.ai.llm import LocalLlm

_TEXT = {"type": "string", "maxLength": 60}
_NUMBER = {"type": "number"}
INVOICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string", "maxLength": 30},
        "client": _TEXT,
        "project": _TEXT,
        "issued": {"type": "string", "maxLength": 12},
        "currency": {"type": "string", "maxLength": 3},
        "lines": {"type": "array", "maxItems": 4, "items": {
            "type": "object",
            "properties": {"description": _TEXT, "quantity": _NUMBER, "unit_price": _NUMBER, "amount": _NUMBER},
            "required": ["description", "quantity", "unit_price", "amount"]}},
        "subtotal": _NUMBER,
        "tax": _NUMBER,
        "total": _NUMBER,
    },
    "required": ["invoice_number", "client", "project", "issued", "currency", "lines", "subtotal", "tax", "total"],
}

_PROMPT = ("Read the invoice below and copy its fields into JSON: invoice_number, client (who is billed), "
           "project, issued (the date as written), currency (ISO code), lines (description, quantity, unit_price, "
           "amount for each billed line), subtotal, tax, total. Copy values exactly as the text writes them; "
           "use 0 or \"\" for what the text does not say.")


@dataclass(frozen=True)
class LlmExtraction:
    """What the LLM read, how sure it was, and why it may be wrong."""

    fields: dict[str, Any]  # as INVOICE_SCHEMA; empty when the answer was not valid JSON
    confidence: float  # model_confidence x grounded, 0..1
    model_confidence: float  # geometric mean of the written tokens' probabilities
    grounded: float  # share of the non-empty values that occur in the document's text
    raw: str
    model: str
    problems: tuple[str, ...] = field(default=())


class InvoiceExtractor:
    """Asks one local LLM for invoice fields; the model loads on first use, calls are serialised."""

    def __init__(self, llm: "LocalLlm", max_text_chars: int = 3000, max_tokens: int = 320):
        self.llm, self.max_text_chars, self.max_tokens = llm, max_text_chars, max_tokens
        self._grammar: Any = None
        self._lock = threading.Lock()

    def extract(self, text: str) -> LlmExtraction:
        """The invoice fields of `text` as JSON valid against INVOICE_SCHEMA, with a confidence."""
        with self._lock:
            llm = self.llm.load()  # ModelUnavailable says which file and why
            raw, probs = self._generate(llm, self._fit(llm, text[: self.max_text_chars]))
        problems: list[str] = []
        try:
            fields = json.loads(raw)
            missing = [k for k in INVOICE_SCHEMA["required"] if k not in fields]
            if missing:
                problems.append(f"the answer lacks {', '.join(missing)}")
        except ValueError:
            fields = {}
            problems.append(f"the answer was cut short after {len(probs)} tokens (not complete JSON)")
        model_conf = math.exp(sum(math.log(max(p, 1e-9)) for p in probs) / len(probs)) if probs else 0.0
        grounded = grounded_share(fields, text)
        if fields and not str(fields.get("invoice_number", "")).strip():
            problems.append("no invoice number")
        return LlmExtraction(fields=fields, confidence=round(model_conf * grounded, 4),
                             model_confidence=round(model_conf, 4), grounded=round(grounded, 4), raw=raw,
                             model=self.llm.name, problems=tuple(problems))

    def _fit(self, llm: Any, text: str) -> str:
        """The start of the text, cut so that prompt, text and answer fit the model's context."""
        budget = llm.n_ctx() - len(llm.tokenize(_PROMPT.encode(), add_bos=True)) - self.max_tokens - 32
        tokens = llm.tokenize(text.encode("utf-8", "replace"), add_bos=False)
        return text if len(tokens) <= budget else llm.detokenize(tokens[:max(budget, 0)]).decode("utf-8", "ignore")

    def _generate(self, llm: Any, text: str) -> tuple[str, list[float]]:
        """Greedy, grammar-constrained answer and the model's probability of each token it wrote."""
        import numpy as np
        from llama_cpp import LlamaGrammar, LogitsProcessorList

        if self._grammar is None:
            self._grammar = LlamaGrammar.from_json_schema(json.dumps(INVOICE_SCHEMA), verbose=False)
        steps: list[np.ndarray] = []
        start: list[int] = []

        def record(input_ids: Any, logits: np.ndarray) -> np.ndarray:
            start.append(len(input_ids)) if not start else None
            steps.append(logits.copy())  # raw: before the grammar masks what the schema forbids
            return logits

        out = llm.create_chat_completion(
            messages=[{"role": "system", "content": _PROMPT}, {"role": "user", "content": text}],
            grammar=self._grammar, temperature=0.0, top_k=1, repeat_penalty=1.0, max_tokens=self.max_tokens,
            logits_processor=LogitsProcessorList([record]))
        raw = out["choices"][0]["message"]["content"] or ""
        generated = [int(t) for t in llm.input_ids[start[0]:llm.n_tokens]] if start else []
        probs = []
        for logits, token in zip(steps, generated):
            z = logits.astype(np.float64)
            z -= z.max()
            probs.append(float(np.exp(z[token]) / np.exp(z).sum()))
        return raw, probs


_WS = re.compile(r"\s+")
_NUMBER_TEXT = re.compile(r"\d[\d,]*(?:\.\d+)?")


def grounded_share(fields: dict[str, Any], text: str) -> float:
    """Share of the extracted values (texts and non-zero numbers) that occur in the document's text."""
    flat = _WS.sub(" ", text).casefold()
    numbers = {round(float(n.replace(",", "")), 4) for n in _NUMBER_TEXT.findall(text)}
    values: list[Any] = [fields.get(k) for k in ("invoice_number", "client", "project", "subtotal", "tax", "total")]
    for ln in fields.get("lines") or []:
        if isinstance(ln, dict):
            values += [ln.get("description"), ln.get("quantity"), ln.get("unit_price"), ln.get("amount")]
    checked = found = 0
    for v in values:
        if v is None or v == "" or v == 0:
            continue
        checked += 1
        if isinstance(v, (int, float)):
            found += round(float(v), 4) in numbers
        else:
            found += _WS.sub(" ", str(v)).strip().casefold() in flat
    return found / checked if checked else 0.0


def llm_unavailable_reason(err: Exception) -> str:
    """The one line a please-check item says when the LLM could not be asked at all."""
    return str(err) if isinstance(err, ModelUnavailable) else f"{type(err).__name__}: {err}"
