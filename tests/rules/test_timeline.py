from datetime import datetime

import pytest

from opsys.rules.timeline import extract_timeline, scan_timeline

from .conftest import NOW, known_texts  # Tuesday 2026-02-10

CASES = [
    ("ASAP please", 7),
    ("We need this right away", 7),
    ("Can it go live this week?", 7),
    ("as soon as possible", 7),
    ("next week", 14),
    ("within 2 weeks", 14),
    ("in 6 weeks", 42),
    ("in a couple of weeks", 14),
    ("a 6-week timeline", 42),
    ("three weeks from now", 21),
    ("next month", 49),                # end of March
    ("by the end of this month", 18),  # Feb 28
    ("in 3 months", 89),               # 2026-05-10
    ("within a month", 28),            # 2026-03-10
    ("by March", 19),                  # March 1
    ("by March 15", 33),
    ("launch by March 15th, 2026", 33),
    ("in May", 110),                   # end of May
    ("by January", 325),               # next occurrence: 2027-01-01
    ("by Q2", 140),                    # 2026-06-30
    ("by Q1", 49),                     # 2026-03-31
    ("Q3 2027", 597),                  # 2027-09-30
    ("end of the year", 324),          # 2026-12-31
    ("year end 2027", 689),            # 2027-12-31, not this year's end
    ("2027-01-15", 339),
    ("January 15th", 339),             # next occurrence: 2027
    ("15 March", 33),
    ("before Christmas", 318),
    ("by 03/15/2026", 33),
    ("by Friday", 3),
    ("in less than a month", 28),
    ("in the next 3 weeks", 21),
    ("we need it done later this year", 324),
    # form field values
    ("1-3 months", 89),
    ("2 weeks", 14),
]


@pytest.mark.parametrize("text,days", CASES)
def test_timeline(text: str, days: int) -> None:
    t = extract_timeline(text, NOW)
    assert t is not None, text
    assert t.days == days
    assert t.matched in text


@pytest.mark.parametrize("text", [
    "We've been in business 3 years",
    "We have been around for 12 years and have 40 pages",
    "It's not urgent",
    # "urgent" is a tone, not a time (issue 14: it scored +10 as a 7-day timeline anywhere)
    "We need this urgently",
    "URGENT: claim your reward today",
    "Urgent question about our invoice",
    "We're not in a rush",
    "Please reply immediately",
    "we may 2x our traffic",
    "Our last redesign was on 2024-05-01",
    "Meeting at 10:30",
    "Our 2025 Q4 results were strong",
    "I can meet on Friday",
    "We were founded in March 2019",
    "May I ask a question?",
    "We launched our shop this year",
    "We are under 2 years old",
    "",
])
def test_no_timeline(text: str) -> None:
    assert extract_timeline(text, NOW) is None


def test_first_mention_wins_and_business_age_ignored() -> None:
    t = extract_timeline("We've been in business 3 years and need the new site in 6 weeks.", NOW)
    assert t is not None and (t.days, t.matched) == (42, "in 6 weeks")


def test_month_in_the_same_month_is_this_month() -> None:
    t = extract_timeline("by February", NOW)  # written on Feb 10: the end of this February
    assert t is not None and t.days == 18


def test_depends_on_now() -> None:
    later = datetime(2026, 11, 1)
    t = extract_timeline("by Q2", later)
    assert t is not None and t.days == (datetime(2027, 6, 30) - later).days


def test_the_quick_test_never_changes_a_timeline() -> None:
    """extract_timeline skips texts with no time word at all; on every known text it agrees with a full scan."""
    texts = known_texts() + [t for t, _ in CASES]
    assert len(texts) > 300
    for now in (NOW, datetime(2026, 11, 30, 9, 0)):
        differ = [t[:80] for t in texts if extract_timeline(t, now) != scan_timeline(t, now)]
        assert not differ
    assert sum(scan_timeline(t, NOW) is not None for t in texts) > 50, "the texts do state timelines"
