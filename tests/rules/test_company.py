import pytest

from opsys.rules.company import extract_company_size, size_in_text

from .conftest import known_texts


@pytest.mark.parametrize("field,size", [
    ("11-50", 11), ("200+", 200), ("50", 50), ("1,000+", 1000), ("51-200 employees", 51),
    ("Just me", 1), ("Less than 10", 1), (" 1-10 ", 1), ("10k+", 10_000), ("1k-5k", 1000), ("1.000-5.000", 1000),
])
def test_from_field(field: str, size: int) -> None:
    assert extract_company_size("we are a team of 400", field) == size


@pytest.mark.parametrize("text,size", [
    ("We are a team of 40 in Chicago", 40),
    ("We have 40 employees", 40),
    ("120 staff across two offices", 120),
    ("~25 people", 25),
    ("we're about 25 people", 25),
    ("a 12-person agency", 12),
    ("We are a team of five", 5),
    ("roughly 1,200 employees", 1200),
    ("10-20 employees", 10),
    ("we employ around 60", 60),
    ("about 30 full-time staff", 30),
])
def test_from_text(text: str, size: int) -> None:
    assert extract_company_size(text, None) == size


@pytest.mark.parametrize("text", [
    "We've been in business 40 years",
    "The site has 40 pages",
    "we reach 5000 people every week",
    "over 10,000 people visit our site",
    "We serve 300 clients",
    "Budget $40k",
    "",
])
def test_no_size(text: str) -> None:
    assert extract_company_size(text, None) is None


def test_empty_field_falls_back_to_text() -> None:
    assert extract_company_size("we have 40 employees", "  ") == 40


def test_the_quick_test_never_changes_a_size() -> None:
    """extract_company_size skips texts with no staff word at all; on every known text it agrees with a full scan."""
    texts = known_texts()
    assert len(texts) > 300
    assert not [t[:80] for t in texts if extract_company_size(t, None) != size_in_text(t)]
    assert sum(size_in_text(t) is not None for t in texts) > 20, "the texts do state sizes"
