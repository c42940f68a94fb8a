from datetime import date

import pytest

from opsys.rules.budget import Budget, extract_budget

POSITIVE = [
    # text, low, high, currency
    ("$25k", 25_000, 25_000, "USD"),
    ("$25K", 25_000, 25_000, "USD"),
    ("25k", 25_000, 25_000, None),
    ("25,000 USD", 25_000, 25_000, "USD"),
    ("USD 25,000", 25_000, 25_000, "USD"),
    ("usd 25,000", 25_000, 25_000, "USD"),
    ("EUR 18.000", 18_000, 18_000, "EUR"),
    ("18.000 €", 18_000, 18_000, "EUR"),
    ("€18,500", 18_500, 18_500, "EUR"),
    ("€18.500,50", 18_500.5, 18_500.5, "EUR"),
    ("$25,000.00", 25_000, 25_000, "USD"),
    ("£7.5k", 7_500, 7_500, "GBP"),
    ("$1.2m", 1_200_000, 1_200_000, "USD"),
    ("1.2 million", 1_200_000, 1_200_000, None),
    ("US$40k", 40_000, 40_000, "USD"),
    ("about 30 grand", 30_000, 30_000, None),
    ("5000 dollars", 5_000, 5_000, "USD"),
    ("$10k-$15k", 10_000, 15_000, "USD"),
    ("$10k – $15k", 10_000, 15_000, "USD"),
    ("$10,000 to $15,000", 10_000, 15_000, "USD"),
    ("between 10 and 15k", 10_000, 15_000, None),
    ("between $10k and $15k", 10_000, 15_000, "USD"),
    ("10-15k", 10_000, 15_000, None),
    ("$5k-8k", 5_000, 8_000, "USD"),
    ("six figures", 100_000, 999_999, None),
    ("a 6-figure budget", 100_000, 999_999, None),
    ("five figures", 10_000, 99_999, None),
    ("low five figures", 10_000, 39_999, None),
    ("high five figures", 70_000, 99_999, None),
    ("mid six figures", 400_000, 699_999, None),
    # bare form fields
    ("20000", 20_000, 20_000, None),
    ("$5,000 - $10,000", 5_000, 10_000, "USD"),
    ("10k+", 10_000, 10_000, None),
    ("50,000+", 50_000, 50_000, None),
    ("5000-10000", 5_000, 10_000, None),
    ("~15000", 15_000, 15_000, None),
    # in sentences
    ("Our budget is around 12000 for the whole project.", 12_000, 12_000, None),
    ("We can spend about 8,000 on this.", 8_000, 8_000, None),
    ("Budget: 15000", 15_000, 15_000, None),
    ("The budget we have set aside is roughly 9500.", 9_500, 9_500, None),
    ("We'd like to invest 20000 in a new site", 20_000, 20_000, None),
    ("Hoping to keep it under $30k all in.", 30_000, 30_000, "USD"),
    ("We have 40 staff and a budget of $20k-$25k.", 20_000, 25_000, "USD"),
    ("Launching in 2026, budget for 2026 is $20k.", 20_000, 20_000, "USD"),
    ("We raised $2M last year. Our budget for the site is $30k.", 30_000, 30_000, "USD"),
    ("Call 555-123-4567 about the $12k project", 12_000, 12_000, "USD"),
    ("a budget of 2000 per month", 2_000, 2_000, None),
    ("Our ad spend is about 3000/month", 3_000, 3_000, None),
    ("Budget: 18 000 EUR", 18_000, 18_000, "EUR"),        # a plain space groups thousands too
    ("Notre budget est de 18 000 €.", 18_000, 18_000, "EUR"),
    ("USD 12 500 for the shop", 12_500, 12_500, "USD"),
    ("10k a month for 6 months of ads", 10_000, 10_000, None),
]


@pytest.mark.parametrize("text,low,high,currency", POSITIVE)
def test_budget_found(text: str, low: float, high: float, currency: str | None) -> None:
    b = extract_budget(text)
    assert b is not None, text
    assert (b.low, b.high, b.currency) == (low, high, currency)
    assert b.matched and b.matched in text


NEGATIVE = [
    "Call me at 555-123-4567",
    "Call me at (555) 123-4567 or 555.123.4567",
    "We plan to launch in 2026.",
    "We have been in business since 1998",
    "The deadline is 2026-03-15",
    "Can we meet on 15/03/2026?",
    "Can we talk at 10:30 tomorrow?",
    "The site has about 40 pages",
    "We have 120 employees across 3 locations",
    "We are a team of 25 people",
    "Our office is in Austin, TX 78701",
    "Conversion went up 25% last quarter",
    "a 25 percent increase",
    "We get 10k monthly visitors",
    "We have 50k followers on Instagram",
    "We sell 2,500 products",
    "Budget is tight and our team is 40",
    "Budget is tight, call me at 555 1234",
    "What would it cost for 40 pages?",
    "We spend 20 hours a week on manual entry",
    "Budget: TBD",
    "Order #48213 is missing",
    "We sold 1.2 million units last year",
    "We have 5k SKUs",
    "We get 20k unique monthly visitors",
    "We need WCAG 2.1 AA and Section 508",
    "Suite 200, Chicago IL 60601",
    "Tel +1 312 555 0199",
    f"The budget {date.today().year + 1} launch is fixed",  # a year near now is a date, not money
    f"We have a budget around {date.today().year} for the rebrand?",
    "Call 020 7946 0958 about the budget",
    "Invoice 2026-0042",
    "ROI of 300%",
    "",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_not_a_budget(text: str) -> None:
    assert extract_budget(text) is None


def test_budget_is_frozen() -> None:
    b = extract_budget("$25k")
    assert b == Budget(25_000, 25_000, "USD", "$25k")
    with pytest.raises(Exception):
        b.low = 1  # type: ignore[misc]


def test_budget_sentence_wins_over_earlier_mention() -> None:
    b = extract_budget("Our last agency charged $5k. This time the budget is $40k.")
    assert b is not None and b.low == 40_000
