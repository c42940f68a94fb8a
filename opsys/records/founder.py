"""An item on the founder's page: only what needs the founder, with why, since when and how to resolve it.

Each producer (tasks, intake, documents, mail, follow-up) contributes items through one small
provider `(app, now) -> Iterable[FounderItem]` registered in `opsys.founder.providers.PROVIDERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Section(StrEnum):
    ESCALATION = "escalation"  # urgent items past their SLA, hot leads not contacted, work nobody can take
    DECISION = "decision"  # needs judgment: discounts, scope, cancellations, disputes, drafts to approve
    ANOMALY = "anomaly"  # document mismatches, intake silence, failing mail, quarantine, stale exports


@dataclass(frozen=True)
class FounderItem:
    """One line on the page. `key` is stable; an acknowledged item returns only when `fingerprint` changes."""

    key: str  # e.g. "task:12:escalated", "mismatch:invoice-1043", "quarantine:abc123"
    section: Section
    title: str  # one line, plain words
    why: str  # why it needs the founder
    since: datetime  # when it started needing attention (aware, UTC)
    fingerprint: str  # changes when the item changes in a way worth seeing again
    severity: int = 2  # 1 highest .. 3
    money: float | None = None  # money at stake in the firm's currency, when known
    evidence: tuple[str, ...] = ()  # where to look: "inquiry 12", "task 4", "var/quarantine/x.eml", page links
    resolve: str = ""  # the command that resolves it, e.g. "opsys task done 4"
