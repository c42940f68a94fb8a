"""Budget extraction measured against the examples' `budget:` labels (exact amount and currency)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from opsys.config.models import Example
from opsys.rules.budget import extract_budget


@dataclass(frozen=True)
class BudgetCheck:
    text: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


def budget_label(amount: float | None, currency: str | None) -> str:
    """A budget as the examples write it: '25000 USD', '12000' (no currency said), 'none'."""
    if amount is None:
        return "none"
    n = f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{n} {currency}" if currency else n


def budget_checks(examples: Sequence[Example], year: int) -> list[BudgetCheck]:
    """What extraction reads for every example with a `budget:` label (exact match on amount and currency)."""
    out = []
    for e in examples:
        if e.budget is None:
            continue
        b = extract_budget(e.text, year)
        out.append(BudgetCheck(e.text, e.budget, budget_label(b.low, b.currency) if b else "none"))
    return out
