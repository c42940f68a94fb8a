"""Read a budget out of free text or a form field: "$25k", "EUR 18.000", "$10k-$15k", "six figures".

A number counts as money only when something says so: a currency sign or code, a k/m/million
suffix, "N figures", a money word right before it ("budget is around 12000"), or the whole text
being just an amount (a form's budget field). Everything else — years, phone numbers, dates,
times, page and head counts, zip codes, percentages — is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """An amount or range as written, with no currency conversion.

    Scoring uses `low`, the conservative end: "$10k-$15k" scores as 10,000, "six figures" as
    100,000. An open-ended "10k+" has high == low.
    """

    low: float
    high: float
    currency: str | None
    matched: str


_CODES = r"USD|EUR|GBP|CAD|AUD|NZD|CHF"
_CUR_BEFORE = rf"US\$|CA?\$|AU?\$|NZ\$|[$€£¥]|\b(?:{_CODES})\b"
_CUR_AFTER = rf"[$€£¥]|\b(?:{_CODES})\b|\b(?:dollars?|euros?|bucks)\b"
# 25,000 / 18.000 / 18 000 (a space or no-break space) / 25,000.50 / 18.500,50, else a plain or decimal number
_NUM = r"\d{1,3}(?:[,.\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
# Single-letter suffixes must touch the number ("25k"), so "5 m" or "3 km" are not millions.
_SUFFIX = r"\s?(?:million|mil|mio|thousand|grand|billion|bn)\b|(?:k|m)\b"
_SEP = r"\s*(?:-|–|—|to)\s*"


def _amount(p: str) -> str:
    return (rf"(?P<{p}cur1>{_CUR_BEFORE})?\s?(?P<{p}num>{_NUM})(?P<{p}suf>{_SUFFIX})?"
            rf"(?:\s?(?P<{p}cur2>{_CUR_AFTER}))?")


_CANDIDATE = re.compile(
    r"(?<![\w.])(?<!\d[,/:\- ])"  # not the middle of a number, date, time or phone number
    rf"(?:between\s+{_amount('a')}\s+and\s+{_amount('b')}|{_amount('c')}(?:{_SEP}{_amount('d')})?)"
    r"(?P<plus>\s?\+)?"
    r"(?!\d|[.,/:\-]\d|\s?%|\s?percent)",
    re.I,
)

_FIGURES = re.compile(
    r"(?<!\w)(?:(?P<q>low|lower|mid|middle|high|upper)[\s-]+)?"
    r"(?P<n>four|five|six|seven|eight|[4-8])[\s-]+figures?\b",
    re.I,
)
_FIGURE_DIGITS = {"four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
# Share of the band "low/mid/high N figures" covers, as multiples of 10**(N-1).
_FIGURE_PART = {"low": (1, 4), "lower": (1, 4), "mid": (4, 7), "middle": (4, 7), "high": (7, 10), "upper": (7, 10)}

_MULTIPLIER = {"k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "mil": 1e6, "mio": 1e6, "million": 1e6,
               "bn": 1e9, "billion": 1e9}
_CURRENCY = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "c$": "CAD", "ca$": "CAD",
             "a$": "AUD", "au$": "AUD", "nz$": "NZD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
             "euro": "EUR", "euros": "EUR"}

_MONEY_WORD = re.compile(
    r"\b(?:budget\w*|spend(?:ing)?|invest(?:ing|ment)?|afford|allocated|set aside|price range|pay(?:ing)?|retainer)\b",
    re.I,
)
# A money word may introduce the number directly ("budget: 12000") or through words ending in one
# of these ("the budget we set aside is around 12000").
_LINKER = re.compile(
    r"(?:[^\d]*?\b(?:around|about|approximately|approx|roughly|circa|up to|max|maximum|no more than|"
    r"at most|under|below|of|is|are|be|was|at|near|close to|like|range of))?[\s:=~≈-]*",
    re.I,
)
# Counted things: a bare "10k" or "budget ... 40" followed by one of these is not money.
_UNITS = re.compile(
    r"\b(?:employees?|people|persons|staff|users?|visitors?|visits|followers|subscribers|pages?|products|skus|"
    r"items|members|customers|clients|downloads|views|sessions|hits|words|locations|stores|emails|contacts|"
    r"leads|records|rows|sq|square|ft|feet|miles|km|kg|lbs|hours?|hrs|days?|weeks?|months?|years?|"
    r"units|resolution|video|tv|monitor|likes|impressions|clicks|installs|orders|patients|students|beds)\b",
    re.I,
)
_RATE = re.compile(r"^(?:/\s*|per\s+|a\s+|an\s+|each\s+|every\s+)(?:mo|month|yr|year|week|quarter)\b", re.I)
_WHOLE_PREFIX = re.compile(
    r"^(?:~|≈|approx\.?|approximately|around|about|roughly|up to|under|over|less than|more than|at least|"
    r"min\.?|max\.?)?$",
    re.I,
)
_WHOLE_SUFFIX = re.compile(r"^(?:(?:/|per|a)\s*(?:mo|month|yr|year)|monthly|per project|total)?\.?$", re.I)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def extract_budget(text: str, year: int | None = None) -> Budget | None:
    """The budget the text states, or None; a sentence with a money word wins over an earlier mention.
    `year` is the current year: a bare number within five years of it reads as a year, not money
    (without it, any bare 1990-2099)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    found: list[tuple[int, Budget, bool]] = []
    taken: list[tuple[int, int]] = []
    for m in _FIGURES.finditer(text):
        n = _FIGURE_DIGITS.get(m["n"].lower()) or int(m["n"])
        lo_part, hi_part = _FIGURE_PART.get((m["q"] or "").lower(), (1, 10))
        unit = 10.0 ** (n - 1)
        found.append((m.start(), Budget(lo_part * unit, hi_part * unit - 1, None, m[0]), _in_money_sentence(text, m)))
        taken.append(m.span())
    for m in _CANDIDATE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        budget = _read(m)
        if budget is None or not _accepted(text, m, budget, year):
            continue
        found.append((m.start(), budget, _in_money_sentence(text, m)))
    if not found:
        return None
    found.sort(key=lambda f: (not f[2], f[0]))
    return found[0][1]


def _read(m: re.Match) -> Budget | None:
    first, second = ("a", "b") if m["anum"] else ("c", "d")
    a = _part(m, first)
    b = _part(m, second) if m[f"{second}num"] else None
    if a is None:
        return None
    a_num, a_mult, a_cur = a
    if b is None:
        low = high = a_num * a_mult
        currency = a_cur
    else:
        b_num, b_mult, b_cur = b
        # A suffix or currency written once covers the whole range: "10-15k", "between 10 and 15k".
        if a_mult == 1 and b_mult > 1 and a_num <= b_num:
            a_mult = b_mult
        elif b_mult == 1 and a_mult > 1 and b_num < 1000 and b_num * a_mult >= a_num * a_mult:
            b_mult = a_mult
        low, high = sorted((a_num * a_mult, b_num * b_mult))
        currency = a_cur or b_cur
    return Budget(low, high, currency, m[0].strip())


def _part(m: re.Match, p: str) -> tuple[float, float, str | None] | None:
    suffix = (m[f"{p}suf"] or "").strip().lower()
    num = _number(m[f"{p}num"], has_suffix=bool(suffix))
    if num is None:
        return None
    cur = m[f"{p}cur1"] or m[f"{p}cur2"]
    if cur:
        cur = cur.strip()
        cur = _CURRENCY.get(cur.lower(), cur.upper())
    return num, _MULTIPLIER.get(suffix, 1.0), cur


def _number(raw: str, has_suffix: bool) -> float | None:
    """Read 25,000 / 18.000 / 18.500,50 / 7.5 / 1,5 the way the writer meant it."""
    s = re.sub(r"[\u00a0\u202f' ]", "", raw)
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        s = s.replace(thousands, "").replace(decimal, ".")
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        tail = s.rsplit(sep, 1)[1]
        # "18.000" and "25,000" group thousands; "7.5k", "1,5k" and "1.25" are decimals.
        if s.count(sep) > 1 or (len(tail) == 3 and not has_suffix):
            s = s.replace(sep, "")
        else:
            s = s.replace(sep, ".")
    try:
        return float(s)
    except ValueError:
        return None


def _accepted(text: str, m: re.Match, budget: Budget, year: int | None) -> bool:
    has_currency = budget.currency is not None
    has_suffix = any(m[f"{p}suf"] for p in "abcd")
    if has_currency:
        return True
    before = text[: m.start()].strip()
    after = text[m.end():].strip()
    if _WHOLE_PREFIX.match(before) and _WHOLE_SUFFIX.match(after):
        return True  # the whole field is an amount: a form's budget field
    # "2000 per month" is a rate, not a count of months.
    after = _RATE.sub("", after, count=1)
    if _UNITS.search(" ".join(_next_words(after))):
        return False  # "10k monthly visitors", "budget ... 40 pages"
    if has_suffix:
        return True
    if _looks_like_a_year(m, text, year):
        return False  # "budget for the 2027 launch": a year, whatever money word precedes it
    return budget.low >= 100 and _after_money_word(text, m.start())


def _looks_like_a_year(m: re.Match, text: str, year: int | None) -> bool:
    """A bare number near `year`, not followed by a rate ("2026 per month" is money)."""
    raw = m[0].strip()
    near = (lambda n: abs(n - year) <= 5) if year is not None else (lambda n: 1990 <= n <= 2099)
    if not re.fullmatch(r"\d{4}", raw) or not near(int(raw)):
        return False
    return not _RATE.match(text[m.end():].strip())


def _next_words(after: str) -> list[str]:
    """Up to three words after an amount, stopping where a new phrase starts ("10k for 6 months")."""
    words: list[str] = []
    for w in after.split()[:3]:
        if any(c.isdigit() for c in w) or w.lower() in {"for", "in", "over", "across", "on", "to", "with", "and"}:
            break
        words.append(w)
    return words


def _after_money_word(text: str, start: int) -> bool:
    """True when a money word introduces the number: "budget: 12000", "we can spend around 8000"."""
    sentence = _sentence_before(text, start)
    words = list(_MONEY_WORD.finditer(sentence))
    if not words:
        return False
    gap = sentence[words[-1].end():]
    if len(gap) > 60 or re.search(r"[\d,;]|\b(?:and|but|or)\b", gap):
        return False
    return bool(_LINKER.fullmatch(gap))


def _sentence_before(text: str, start: int) -> str:
    head = text[:start]
    ends = list(_SENTENCE_END.finditer(head))
    return head[ends[-1].end():] if ends else head


def _in_money_sentence(text: str, m: re.Match) -> bool:
    after = text[m.end():]
    end = _SENTENCE_END.search(after)
    sentence = _sentence_before(text, m.start()) + (after[: end.start()] if end else after)
    return bool(_MONEY_WORD.search(sentence))
