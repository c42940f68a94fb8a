"""Read how many people a sender's company has, from a form field ("11-50") or the text ("team of 40").

A range counts as its low end ("11-50" is 11), the conservative reading, as for budgets.
"""

from __future__ import annotations

import re

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
          "fifty": 50, "a dozen": 12, "a hundred": 100}
_N = r"\d{1,3}(?:,\d{3})+|\d+|" + "|".join(sorted(_WORDS, key=len, reverse=True))
_COUNT = rf"(?P<n>{_N})(?:\s*(?:-|–|to)\s*(?:{_N}))?\+?"
_APPROX = r"(?:(?:about|around|roughly|approximately|approx\.?|nearly|almost|over|just over|under|~|≈)\s*)?"
_SOLO = re.compile(r"^(?:just me|only me|me|solo|sole trader|sole proprietor|self[- ]employed|freelancer?|"
                   r"one[- ]person|1 person)\b", re.I)
_FEWER = re.compile(r"^(?:<|less than|fewer than|under|up to)\s*\d", re.I)
# "1,200", "1.000" (European thousands), "10k+", "1k-5k": the first count, thousands expanded
_FIRST_NUMBER = re.compile(r"(\d{1,3}(?:[,.]\d{3})+|\d+)(\s?k\b)?", re.I)

_TEXT_PATTERNS = [
    re.compile(rf"\b(?:team|staff|crew|headcount|workforce)\s+(?:of|is|:)\s*{_APPROX}{_COUNT}"
               r"(?!\s*(?:%|percent))", re.I),
    re.compile(rf"(?<![\w.,]){_APPROX}{_COUNT}\s*(?:-\s*)?(?:person|people|man|member|strong)\s+"
               rf"(?:team|company|business|firm|agency|shop|office|operation|practice|studio|organi[sz]ation)\b", re.I),
    re.compile(rf"(?<![\w.,$€£]){_APPROX}{_COUNT}\s+(?:(?:full|part)[- ]time\s+)?"
               rf"(?:employees|employee|staff(?:\s+members)?|team\s+members|ftes?|workers|colleagues)\b", re.I),
    re.compile(rf"(?:~|≈|\b(?:we are|we're|we have|there are|with|about|around|approximately|roughly|nearly|"
               rf"almost))\s*(?:a\s+team\s+of\s+)?{_COUNT}\s+(?:people|persons|folks)\b"
               r"(?!\s+(?:a|per|each|every|visit\w*|use\w*|attend\w*|come|follow\w*|subscrib\w*|sign\w*|"
               r"on (?:our|the|my) (?:mailing )?list|who))", re.I),
    re.compile(rf"\b(?:we employ|employs|employing)\s+{_APPROX}{_COUNT}", re.I),
    re.compile(rf"\b(?:we are|we're)\s+{_COUNT}\s+strong\b", re.I),
]


# A word every text pattern above needs: most messages have none, and one search is cheaper than six
# (tests/rules/test_company.py checks it never changes a result on the examples and sample mail).
_ANY_SIZE = re.compile(r"team|staff|crew|headcount|workforce|person|people|man|member|strong|employ|fte|worker|"
                       r"colleague|folks", re.I)


def extract_company_size(text: str, field: str | None) -> int | None:
    """Employee count: the form field when it holds one, else the first the text states."""
    if field and field.strip():
        value = field.strip()
        if _SOLO.match(value) or _FEWER.match(value):
            return 1
        m = _FIRST_NUMBER.search(value)
        if m:
            return int(re.sub(r"[,.]", "", m[1])) * (1000 if m[2] else 1)
    return size_in_text(text) if text and _ANY_SIZE.search(text) else None


def size_in_text(text: str) -> int | None:
    """The first employee count the text states, every pattern tried."""
    found: list[tuple[int, int]] = []
    for pattern in _TEXT_PATTERNS:
        m = pattern.search(text or "")
        if m:
            found.append((m.start("n"), _read(m["n"])))
    if not found:
        return None
    size = min(found)[1]
    return size if size > 0 else None


def _read(n: str) -> int:
    n = " ".join(n.lower().split())
    return _WORDS[n] if n in _WORDS else int(n.replace(",", ""))
