"""What was decided about a lead: its classification, its score with every signal, its route."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Classification:
    """What AI (or its rule fallback) said about a message, and who said it."""

    category: str
    category_confidence: float
    is_lead: bool
    lead_confidence: float
    decided_by: str  # e.g. "embedding:all-MiniLM-L6-v2", "llm:SmolLM2-135M", "rules:fallback"
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    """One line of a score's explanation."""

    name: str
    points: int
    reason: str


@dataclass(frozen=True)
class Score:
    value: int
    hot: bool
    signals: tuple[Signal, ...]
    budget: float | None = None
    service: str | None = None

    def explain(self) -> str:
        """Every signal and its points, the form shown wherever the score is."""
        parts = [f"{s.name} {s.points:+d} ({s.reason})" for s in self.signals if s.points]
        return "; ".join(parts) if parts else "no signals"


@dataclass(frozen=True)
class RouteDecision:
    """Which rule fired and what it decided. Rules return this; the caller stores it."""

    rule: str
    action: Literal["notify", "queue", "escalate", "spam", "client_queue"]
    owner_id: str | None
    reason: str
    inputs: dict[str, object] = field(default_factory=dict)
    # How the owner was chosen: strategy, every candidate's load, capacity and availability, the
    # tie-break, whether it was parked on the overflow owner, and the round-robin cursor to store.
    explanation: dict[str, object] = field(default_factory=dict)
