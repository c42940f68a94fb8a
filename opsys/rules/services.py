"""Tell which of the firm's services (team.yml firm.services) a message asks for."""

from __future__ import annotations

import re
from functools import lru_cache

from opsys.config.models import Firm


@lru_cache(maxsize=512)
def _keyword_pattern(keyword: str) -> re.Pattern:
    # Whole words only ("seo" is not inside "seoul"); any run of spaces matches the keyword's space.
    body = r"\s+".join(re.escape(part) for part in keyword.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.I)


@lru_cache(maxsize=512)
def first_word(keyword: str) -> str:
    """The keyword's first word, case-folded: a text without it cannot match the keyword."""
    return (keyword.split() or [""])[0].casefold()


def keyword_hits(text: str, keywords: list[str], folded: str | None = None) -> list[str]:
    """Each keyword occurrence found in `text`, in keyword order (repeats count).

    `folded` is `text.casefold()` when the caller has it: a keyword whose first word is not in it
    cannot match, so most keywords cost a substring test instead of a regex (lead lists score
    thousands of rows)."""
    text = text or ""
    folded = text.casefold() if folded is None else folded
    hits: list[str] = []
    for kw in keywords:
        if first_word(kw) in folded:
            hits.extend([kw] * len(_keyword_pattern(kw).findall(text)))
    return hits


def detect_service(text: str, form_value: str | None, firm: Firm, folded: str | None = None) -> str | None:
    """The service id whose keywords best match: the form's choice first, then the text.

    Most keyword hits wins; a tie goes to the service listed first in team.yml.
    """
    if form_value and form_value.strip():
        value = " ".join(form_value.split()).casefold()
        for sid, service in firm.services.items():
            # A form may send the id itself or the label shown to the visitor.
            if value in (sid.casefold(), sid.replace("_", " ").casefold(), service.label.casefold()):
                return sid
        best = _best(form_value, firm)
        if best:
            return best
    return _best(text, firm, folded)


def _best(text: str, firm: Firm, folded: str | None = None) -> str | None:
    best, best_hits = None, 0
    folded = (text or "").casefold() if folded is None else folded
    for sid, service in firm.services.items():
        n = len(keyword_hits(text, service.keywords, folded))
        if n > best_hits:
            best, best_hits = sid, n
    return best
