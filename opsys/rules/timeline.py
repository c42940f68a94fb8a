"""Read when a sender wants the work done: "ASAP", "in 6 weeks", "by Q2", "by March 15", "2027-01-15".

A period ("next month", "Q3", "end of the year") counts to its last day; a range ("1-3 months")
to its far end, so a vague timeline never looks more urgent than it is. Durations need a
trigger ("in", "within", "from now", "timeline"), so "in business 3 years" is not a deadline.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable


@dataclass(frozen=True)
class Timeline:
    """Days from `now` to the deadline the text states, and the words that stated it."""

    days: int
    matched: str


_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2,
                 "couple of": 2, "a few": 3, "few": 3, "several": 3}
_N = (r"\d{1,3}|a couple of|a couple|couple of|a few|few|several|an|a|"
      r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve")
_UNIT = r"days?|weeks?|wks?|months?|mos?|years?|yrs?"
_DURATION = rf"(?P<n>{_N})(?:\s*(?:-|–|to)\s*(?P<n2>{_N}))?[\s-]*(?P<unit>{_UNIT})\b"
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
           "oct": 10, "nov": 11, "dec": 12}
_MONTH = (r"(?P<mon>january|february|march|april|may|june|july|august|september|october|november|december|"
          r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

Reader = Callable[[re.Match, date], "date | int | None"]


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _number(word: str) -> int:
    word = " ".join(word.lower().split())
    return int(word) if word.isdigit() else _WORD_NUMBERS[word]


def _duration(m: re.Match, today: date) -> date:
    n = _number(m["n2"] or m["n"])  # a range counts to its far end
    unit = m["unit"].lower()
    if unit.startswith("d"):
        return today + timedelta(days=n)
    if unit.startswith("w"):
        return today + timedelta(weeks=n)
    if unit.startswith("m"):
        return _add_months(today, n)
    return _add_months(today, 12 * n)


def _quarter(m: re.Match, today: date) -> date | None:
    q = int(m["q"] or m["qn"])
    written = m["year"] or m["pyear"]  # "Q3 2027" or "2027 Q3"
    year = _year(written) if written else today.year
    end = _end_of_month(year, 3 * q)
    if end < today:
        if written:
            return None
        end = _end_of_month(year + 1, 3 * q)
    return end


def _year(raw: str) -> int:
    y = int(raw.lstrip("'’"))
    return y + 2000 if y < 100 else y


def _next(target: date, today: date, explicit_year: bool) -> date | None:
    """The next occurrence of a yearless date; a dated one in the past says nothing about now."""
    if target >= today:
        return target
    if explicit_year:
        return None
    year = target.year + 1
    return date(year, target.month, min(target.day, calendar.monthrange(year, target.month)[1]))


def _month_day(m: re.Match, today: date) -> date | None:
    mon = _MONTHS[m["mon"].lower()[:3]]
    day = int(m["day"])
    year = int(m["year"]) if m["year"] else today.year
    if day > calendar.monthrange(year, mon)[1]:
        return None
    return _next(date(year, mon, day), today, bool(m["year"]))


def _month_only(m: re.Match, today: date) -> date | None:
    mon = _MONTHS[m["mon"].lower()[:3]]
    prep = " ".join(m["prep"].lower().split())
    year = int(m["year"]) if m["year"] else today.year
    # "by/before March" is its first day; "mid March" the 15th; "in/late/end of March" its last day.
    if prep in ("by", "before", "until", "till", "beginning of", "start of", "early"):
        target = date(year, mon, 1)
    elif prep in ("mid", "middle of"):
        target = date(year, mon, 15)
    else:
        target = _end_of_month(year, mon)
    if target < today and not m["year"] and mon == today.month:
        return _end_of_month(year, mon)  # "by March" written in March: this month, not next year
    return _next(target, today, bool(m["year"]))


def _numeric_date(m: re.Match, today: date) -> date | None:
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    if m["sep"] == "/":
        # The firm writes US dates; a first part over 12 can only be a day.
        month, day = (b, a) if a > 12 else (a, b)
    else:
        month, day = b, a  # 15.01.2027 is European day.month.year
    try:
        target = date(year, month, day)
    except ValueError:
        return None
    return target if target >= today else None


def _iso(m: re.Match, today: date) -> date | None:
    try:
        target = date(int(m["y"]), int(m["mo"]), int(m["d"]))
    except ValueError:
        return None
    return target if target >= today else None


def _holiday(m: re.Match, today: date) -> date | None:
    name = m["holiday"].lower()
    year = today.year
    for y in (year, year + 1):
        if name in ("christmas", "xmas"):
            target = date(y, 12, 25)
        elif name.startswith("new year"):
            target = date(y + 1, 1, 1)
        else:
            nov1 = date(y, 11, 1)
            thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
            target = thanksgiving + timedelta(days=1) if name == "black friday" else thanksgiving
        if target >= today:
            return target
    return None


def _weekday(m: re.Match, today: date) -> date:
    ahead = (_WEEKDAYS.index(m["wd"].lower()) - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _year_end(m: re.Match, today: date) -> date | None:
    year = m["year"] or m["year2"]  # "end of 2027", "year end 2027"
    if year:
        target = date(int(year), 12, 31)
        return target if target >= today else None
    return date(today.year + (1 if m["next"] else 0), 12, 31)


def _quarter_rel(m: re.Match, today: date) -> date:
    q = (today.month - 1) // 3 + (1 if m["next"] else 0)
    return _end_of_month(today.year + q // 4, 3 * (q % 4) + 3)


def _month_rel(m: re.Match, today: date) -> date:
    first = _add_months(today.replace(day=1), 1 if m["next"] else 0)
    return _end_of_month(first.year, first.month)


_NOT = r"(?<!not )(?<!no )(?<!non-)(?<!non )(?<!isn't )(?<!less )"
_PATTERNS: list[tuple[re.Pattern, Reader]] = [
    # A time, not a tone: "urgent", "rush" or "asap" as a mere word ("URGENT: reply", "not in a
    # rush") says nothing about when the work is due, so only phrases naming a time count.
    (re.compile(_NOT + r"\b(?:asap|a\.s\.a\.p\.?|as soon as possible|(?:start|begin|needed|need it|"
                r"need this|go live|launch|live) (?:immediately|right away)|"
                r"(?:by |before |end of |the end of )?this week(?:end)?|by the weekend|rush job)\b", re.I),
     lambda m, t: 7),
    (re.compile(r"\b(?:by |before |until )(?:tomorrow|tonight|today|end of (?:the )?day|eod)\b", re.I),
     lambda m, t: 1),
    (re.compile(r"\b(?:by |before |until |end of |the end of |within |in )?next week\b", re.I), lambda m, t: 14),
    (re.compile(r"\b(?:by |before |until |in |within |over |during |for )?(?:the )?(?:(?P<next>next )|this |"
                r"(?:the )?end of (?:the |this )?|current )month\b", re.I), _month_rel),
    (re.compile(r"\b(?:by|before|until|at) (?:the )?month[- ]end\b", re.I),
     lambda m, t: _end_of_month(t.year, t.month)),
    (re.compile(r"\b(?:by |before |until |in |within |during |for )?(?:the )?(?:(?P<next>next )|this |"
                r"(?:the )?end of (?:the |this )?|current )quarter\b", re.I), _quarter_rel),
    (re.compile(r"\b(?:(?:the )?end of (?:the |this )?year|year[- ]end(?:\s+(?:of\s+)?(?P<year2>20\d\d))?|"
                r"(?:the )?end of (?:(?P<next>next) year|(?P<year>20\d\d))|"
                r"(?:by |before |during |later )this year)\b", re.I), _year_end),
    (re.compile(r"(?<!\w)(?:(?P<pyear>20\d\d)\s+)?(?:q(?P<q>[1-4])|(?P<qn>[1-4])(?:st|nd|rd|th) quarter)"
                r"(?:\s*(?:of\s+)?(?P<year>20\d\d|['’]\d\d))?\b", re.I), _quarter),
    (re.compile(r"\b(?P<y>20\d\d)-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b"), _iso),
    (re.compile(r"(?<![\d/.])(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y>20\d\d)\b"), _numeric_date),
    (re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])(?:,?\s+(?P<year>20\d\d))?\b", re.I),
     _month_day),
    (re.compile(rf"(?<![\d:/.])(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
                rf"(?:,?\s+(?P<year>20\d\d))?", re.I), _month_day),
    (re.compile(rf"\b(?P<prep>by|before|until|till|in|for|during|early|mid|late|end of|the end of|beginning of|"
                rf"start of|middle of)[\s-]+{_MONTH}(?:\s+(?P<year>20\d\d))?(?!\s*\d)", re.I), _month_only),
    (re.compile(r"\b(?:before|by|for|until|till|ahead of|in time for)\s+(?:the\s+)?"
                r"(?P<holiday>christmas|xmas|black friday|thanksgiving|new year(?:'s)?)", re.I), _holiday),
    (re.compile(r"\b(?:by|before|until|till)\s+(?P<wd>monday|tuesday|wednesday|thursday|friday|"
                r"saturday|sunday)\b", re.I), _weekday),
    (re.compile(rf"\b(?:in|within|inside(?: of)?|over the next|during the next|no later than)\s+"
                rf"(?:the\s+next\s+)?(?:less than\s+|under\s+|about\s+|around\s+|roughly\s+)?{_DURATION}",
                re.I), _duration),
    (re.compile(rf"\b{_DURATION}\s+(?:from now|from today|time|timeline|turnaround|deadline|timeframe|"
                rf"time frame|window)\b", re.I), _duration),
]
# A form's timeline field may be a bare duration: "1-3 months", "2 weeks".
_WHOLE_DURATION = re.compile(rf"^\s*(?:about\s+|around\s+|~\s*)?{_DURATION}\s*\.?\s*$", re.I)


# What every pattern above needs somewhere in the text: a year, a quarter, a time word or unit, a month
# or day name, a holiday. Most messages have none, and one search costs a tenth of the seventeen
# (tests/rules/test_timeline.py checks it never changes a result on the examples and sample mail).
_ANY_TIMELINE = re.compile(
    r"20\d\d|(?<!\w)q[1-4]|asap|a\.s\.a\.p|as soon as possible|immediately|right away|rush job|tomorrow|"
    r"tonight|today|\beod\b|weekend|\b(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|quarter)\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|christmas|xmas|thanksgiving|new year", re.I)


def extract_timeline(text: str, now: datetime) -> Timeline | None:
    """The first deadline the text states, as days from `now`; None when it states none."""
    if not text or not text.strip() or not _ANY_TIMELINE.search(text):
        return None
    return scan_timeline(text, now)


def scan_timeline(text: str, now: datetime) -> Timeline | None:
    """extract_timeline without the quick test: every pattern, always."""
    today = now.date()
    m = _WHOLE_DURATION.match(text)
    if m:
        return Timeline((_duration(m, today) - today).days, text.strip())
    found: list[tuple[int, int, int, Timeline]] = []
    for order, (pattern, read) in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            if m.groupdict().get("mon") and m["mon"].lower() == "may" and not m["mon"].startswith("May"):
                continue  # "we may 2x traffic": only a capitalised May is the month
            target = read(m, today)
            if target is None:
                continue
            days = target if isinstance(target, int) else (target - today).days
            found.append((m.start(), -len(m[0]), order, Timeline(max(days, 0), m[0].strip())))
            break
    if not found:
        return None
    # The earliest mention wins; at one position the longest reading ("by March 15" over "by March").
    return min(found, key=lambda f: f[:3])[3]
