"""Mechanical guards on an LLM draft: it may reword the template, never add a fact or a promise.

A small model writes fluent text and invents freely ("ready by 2035", "a free audit", "Dear Sarah"
to Dana). So every number, price, date, URL, email address, salutation name and promise word in the
draft must already be in the template, the context or the sign-off; the length must stay near the
template's; the firm's sign-off must end it; no placeholder (`{name}`, `[Your Name]`) may be left;
no sentence may repeat; every link, address and figure of the template must stay, and enough of
its own words (the rewrite still says what
the template says); and the firm must not speak as the contact ("our dental practice" written to
the dental practice, a small model's favourite slip). Each guard is a pure function
`(text, Sources) -> (name, passed, detail)`, run in the declared order of GUARDS; the caller uses the
plain template when any fails.

Checked by pattern, not by the LLM: a guard that could be talked round would be no guard.
(Pure, like rules/: it sits beside the drafting it guards because ai/ may not import rules/.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from opsys.records.mail import GuardCheck
from opsys.sources.fields import EMAIL_ADDRESS

NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
                "thousand", "million", "billion", "dozen", "half")
MONTHS = ("january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
          "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend")
RELATIVE_DAYS = ("today", "tomorrow", "tonight", "yesterday", "this week", "next week", "this month", "next month",
                 "this year", "next year", "last week", "last month", "last year", "this morning", "this afternoon", "end of the week", "end of the month", "end of day", "eod", "asap",
                 "right away", "within hours", "within days", "overnight", "same day", "same-day")
PROMISE_WORDS = ("guarantee", "guaranteed", "guarantees", "free", "for free", "free of charge", "discount",
                 "discounts", "discounted", "refund", "refunds", "refunded", "promise", "promised", "promises",
                 "no cost", "no charge", "at no extra", "risk-free", "risk free", "money-back", "money back",
                 "special offer", "limited time", "limited-time", "great deal", "special deal", "cheapest", "lowest price", "best price",
                 "complimentary", "waive", "waived", "bonus", "voucher", "coupon", "rebate", "unlimited",
                 "lifetime", "on the house", "half price", "half-price", "percent off", "% off")
CURRENCY_WORDS = r"usd|eur|gbp|cad|aud|chf|dollars?|euros?|pounds?|bucks|k"

_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_PRICE = re.compile(rf"[$€£¥]\s?\d[\d,.]*\s?k?\b|\b\d[\d,.]*\s?(?:{CURRENCY_WORDS})\b", re.I)
_MONTH_DAY = re.compile(r"\bmay\s+\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?may\b", re.I)  # "may" the month
_URL = re.compile(r"\bhttps?://[^\s<>\"')]+|\bwww\.[^\s<>\"')]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
                  r"\.(?:com|net|org|io|co|uk|de|fr|nl|biz|info|example|app|dev|ai|us|ca|au|page|site|online|ly)\b",
                  re.I)
_EMAIL = EMAIL_ADDRESS  # the one address pattern of the package
_PLACEHOLDER = re.compile(r"\{\{?\s*[\w .-]*\s*\}?\}|\[[^\]\n]{1,40}\]|<[A-Za-z][A-Za-z _-]{1,30}>|"
                          r"\b(?:XXX+|TBD|TODO|lorem ipsum)\b|%\(\w+\)s|%s\b|\$\{\w+\}", re.I)
_SALUTATION = re.compile(r"^\s*(?:dear|hi|hello|hey|good (?:morning|afternoon|evening))[ ,]+([A-Z][\w'’-]+)",
                         re.I | re.M)
_NOT_AN_OFFER = re.compile(r"\bfeel free\b|\bfree to (?:reach|contact|call|ask|get|reply|let|write)\b|"
                           r"\bfree (?:time|moment|slot)\b")  # "feel free to reply" promises nothing
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Limits:
    """How far a draft may stray in length from the plain template, and an absolute cap."""

    min_ratio: float = 0.4
    max_ratio: float = 2.5
    max_chars: int = 2000


@dataclass(frozen=True)
class Sources:
    """What the draft may draw facts from: the template, the context values and the sign-off."""

    plain: str  # the rendered template: the fallback and the length reference
    allowed: str  # every allowed text joined, lower-cased
    sign_off: str
    limits: Limits
    template_words: frozenset[str] = frozenset()  # the template's own content words (coverage)
    their_words: frozenset[str] = frozenset()  # words only the contact's own long texts use (voice)

    @classmethod
    def of(cls, plain: str, template: str, context: Iterable[str], sign_off: str,
           limits: Limits = Limits()) -> "Sources":
        context = [str(c) for c in context]
        ours = _content_words(re.sub(r"\{[^}]*\}", " ", template)) - _content_words(sign_off)
        theirs = set().union(*(_content_words(c) for c in context if len(c) > LONG_CONTEXT)) \
            - _content_words(template) - _content_words(sign_off) \
            - set().union(*(_content_words(c) for c in context if len(c) <= LONG_CONTEXT))
        return cls(plain, _fold("\n".join([plain, template, sign_off, *context])), sign_off, limits,
                   frozenset(ours), frozenset(theirs))


LONG_CONTEXT = 40  # a context value longer than this is taken as the contact's own words (their message)
MIN_COVERAGE = 0.35
_STOP = frozenset("""about above after again against all also and any are because been before being below between
both but can could did does doing down during each few for from further had has have having her here hers
herself him himself his how into its itself just more most now off once only other our ours ourselves out over
own same she should some such than that the their theirs them themselves then there these they this those
through too under until very was were what when where which while who whom why will with would you your
yours yourself yourselves just like want wanted""".split())


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z'-]{3,}", _fold(text)) if w not in _STOP}


def _fold(text: str) -> str:
    """Lower case, typographic quotes and dashes made plain, spaces collapsed: how texts are compared."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("–", "-")
    return " ".join(text.casefold().split())


def _digits(token: str) -> str:
    return re.sub(r"\D", "", token)


def _invented(found: Iterable[str], allowed: str) -> list[str]:
    """Found expressions that appear nowhere in the allowed text, each once, in order."""
    out: list[str] = []
    for f in found:
        key = _fold(f).rstrip(".,;:!?")
        if key and key not in allowed and key not in out:
            out.append(key)
    return out


def _words(text: str, vocabulary: Iterable[str]) -> list[str]:
    folded = _fold(text)
    return [w for w in vocabulary if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", folded)]


def _result(name: str, invented: list[str], what: str) -> GuardCheck:
    if invented:
        return name, False, f"invented {what}: {', '.join(invented[:5])}"
    return name, True, f"no {what} beyond the template and context"


def numbers(text: str, src: Sources) -> GuardCheck:
    """Every figure (and number word) must come from the template or the context."""
    allowed_digits = {_digits(t) for t in _NUMBER.findall(src.allowed)}
    found = [t for t in _NUMBER.findall(text) if _digits(t) not in allowed_digits]
    found += [w for w in _words(text, NUMBER_WORDS) if not re.search(rf"(?<![\w-]){w}(?![\w-])", src.allowed)]
    return _result("numbers", list(dict.fromkeys(found)), "numbers")


def prices(text: str, src: Sources) -> GuardCheck:
    """A price said in the draft must be said, the same way, in the template or the context."""
    allowed = src.allowed.replace(" ", "")
    bad = [p for p in _PRICE.findall(text) if _fold(p).replace(" ", "") not in allowed]
    return _result("prices", list(dict.fromkeys(_fold(p) for p in bad)), "prices")


def dates(text: str, src: Sources) -> GuardCheck:
    """No day, month, weekday or deadline the template and context do not name."""
    found = _words(text, (*MONTHS, *WEEKDAYS, *RELATIVE_DAYS)) + [m.group(0) for m in _MONTH_DAY.finditer(text)]
    found += [f"within {m}" for m in re.findall(r"\bwithin\s+(?:a|an|\w+)\s+(?:hours?|days?|weeks?|months?)\b",
                                                 _fold(text))]
    return _result("dates", _invented(found, src.allowed), "dates")


def urls(text: str, src: Sources) -> GuardCheck:
    """No link or web address the template and context do not give."""
    return _result("urls", _invented(_URL.findall(text), src.allowed), "links")


def emails(text: str, src: Sources) -> GuardCheck:
    """No email address the template and context do not give."""
    return _result("emails", _invented(_EMAIL.findall(text), src.allowed), "email addresses")


def promises(text: str, src: Sources) -> GuardCheck:
    """No guarantee, free offer, discount or refund unless the template makes it."""
    text = _NOT_AN_OFFER.sub(" ", _fold(text))
    found = [w for w in _words(text, PROMISE_WORDS) if not re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])",
                                                                      src.allowed)]
    return _result("promises", found, "promises")


def salutation(text: str, src: Sources) -> GuardCheck:
    """A greeting names only someone the context names ("Dear Sarah" to Dana is wrong)."""
    names = [m.group(1) for m in _SALUTATION.finditer(text)]
    return _result("salutation", _invented(names, src.allowed), "names in a greeting")


def placeholders(text: str, src: Sources) -> GuardCheck:
    """No template field or model placeholder left unfilled."""
    left = list(dict.fromkeys(m.group(0) for m in _PLACEHOLDER.finditer(text)))
    if left:
        return "placeholders", False, f"placeholder left: {', '.join(left[:5])}"
    return "placeholders", True, "no placeholder left"


def length(text: str, src: Sources) -> GuardCheck:
    """Near the template's length: a draft cut short or rambling on is not the mail that was meant."""
    words, ref = len(text.split()), max(1, len(src.plain.split()))
    lo, hi = int(ref * src.limits.min_ratio), int(ref * src.limits.max_ratio) + 1
    if len(text) > src.limits.max_chars:
        return "length", False, f"{len(text)} characters, more than {src.limits.max_chars}"
    if not lo <= words <= hi:
        return "length", False, f"{words} words; the template has {ref}, so {lo}..{hi} are allowed"
    return "length", True, f"{words} words ({lo}..{hi} allowed)"


def sign_off(text: str, src: Sources) -> GuardCheck:
    """The firm's own sign-off ends the mail, as written in the system map."""
    if not src.sign_off.strip():
        return "sign_off", True, "no sign-off configured (sources.yml outbound.sign_off)"
    if _fold(text).endswith(_fold(src.sign_off)):
        return "sign_off", True, "ends with the firm's sign-off"
    return "sign_off", False, "does not end with the firm's sign-off"


_CLOSING_LINE = re.compile(r"^\s*(?:best|kind|warm|warmest|many)?\s*(?:regards|wishes|sincerely|cheers|yours|"
                           r"best|thanks|thank you|all the best|talk soon)\b[\w ,!.]{0,30}$", re.I | re.M)


def one_sign_off(text: str, src: Sources) -> GuardCheck:
    """The mail is signed once, by the firm: no "Best regards, <someone>" before the sign-off."""
    body = text.rstrip()
    if src.sign_off.strip() and _fold(body).endswith(_fold(src.sign_off)):
        body = body[: len(body) - len(src.sign_off.strip())]
    found = [m.group(0).strip() for m in _CLOSING_LINE.finditer(body) if len(m.group(0).split()) <= 4
             and _fold(m.group(0)) not in src.allowed]
    if found:
        return "one_sign_off", False, f"signed before the firm's sign-off: {found[0]!r}"
    return "one_sign_off", True, "signed once, by the firm"


def repetition(text: str, src: Sources) -> GuardCheck:
    """No sentence said twice (small models loop)."""
    sentences = [_fold(s) for s in _SENTENCE.split(text) if len(s.split()) >= 4]
    twice = [s for s, n in Counter(sentences).items() if n > 1]
    if twice:
        return "repetition", False, f"repeated: {twice[0][:80]}"
    return "repetition", True, "no sentence repeated"


def kept(text: str, src: Sources) -> GuardCheck:
    """What the template says exactly — a link, an address, a figure — is still there (a review request
    without its review link is not the mail that was meant)."""
    folded = _fold(text)
    facts = [*_URL.findall(src.plain), *_EMAIL.findall(src.plain), *_NUMBER.findall(src.plain)]
    lost = [f for f in dict.fromkeys(_fold(f).rstrip(".,;:!?") for f in facts) if f and f not in folded]
    if lost:
        return "kept", False, f"left out what the template says: {', '.join(lost[:5])}"
    return "kept", True, "every link, address and figure of the template is kept"


def coverage(text: str, src: Sources) -> GuardCheck:
    """The rewrite keeps the template's message: enough of its own words are still there."""
    if not src.template_words:
        return "coverage", True, "the template has no words of its own to keep"
    kept = src.template_words & _content_words(text)
    share = len(kept) / len(src.template_words)
    if share < MIN_COVERAGE:
        return "coverage", False, (f"kept {share:.0%} of the template's words (at least {MIN_COVERAGE:.0%}): "
                                   f"the draft says something else")
    return "coverage", True, f"kept {share:.0%} of the template's words"


def voice(text: str, src: Sources) -> GuardCheck:
    """The firm speaks as itself: no "we"/"our" claiming what the contact wrote about themselves
    ("our dental practice" in a mail to the dental practice)."""
    for m in re.finditer(r"\b(?:we|our|my|i)\b((?:\s+[\w'-]+){1,3})", _fold(text)):
        words = _content_words(m.group(1))
        if words & src.their_words:
            return "voice", False, f"speaks as the contact: {m.group(0).strip()!r}"
    return "voice", True, "the firm speaks as itself"


Guard = Callable[[str, Sources], GuardCheck]
GUARDS: tuple[Guard, ...] = (numbers, prices, dates, urls, emails, promises, salutation, placeholders, length,
                             sign_off, one_sign_off, repetition, kept, coverage, voice)


def check_draft(text: str, src: Sources) -> tuple[GuardCheck, ...]:
    """Every guard's verdict on `text`, in declared order (all run: the log says everything that failed)."""
    return tuple(g(text, src) for g in GUARDS)
