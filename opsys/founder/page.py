"""What the founder's page holds as of `now`: every provider's items, minus the acknowledged ones that
have not changed, ranked; and one line of what was handled without the founder since yesterday.

Ranking is by severity (1 first), then money at stake (more first), then age (older first); each
item carries the reason of its place, e.g. "severity 1 · 12,000 USD at stake · 3 d old". A provider
that fails is named on the page instead of taking the page down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from opsys.founder.items import FounderApp, item_id
from opsys.founder.providers import PROVIDERS, Provider
from opsys.records.events import Decider, EventKind
from opsys.records.founder import FounderItem, Section
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.founder import acks, event_counts_since, put_ack, record_build


log = logging.getLogger(__name__)
SECTIONS = (Section.ESCALATION, Section.DECISION, Section.ANOMALY)
# "Handled without you": what each count adds up; kinds other helpers add count once they exist
HANDLED: dict[str, tuple[str, ...]] = {
    "routed": ("routed",),
    "answered": ("task_done", "task_closed_by_evidence"),
    "followed up": ("sequence_step",),
    "imported": ("file_processed", "crm_snapshot_imported"),
}


@dataclass(frozen=True)
class Ranked:
    """An item on the page with its short id, place and the reason for that place."""

    item: FounderItem
    id: str
    rank: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        i = self.item
        return {"id": self.id, "rank": self.rank, "rank_reason": self.reason, "key": i.key,
                "section": str(i.section), "title": i.title, "why": i.why, "since": i.since.isoformat(),
                "severity": i.severity, "money": i.money, "evidence": list(i.evidence),
                "resolve": resolve_command(self), "fingerprint": i.fingerprint}


def resolve_command(r: Ranked) -> str:
    return r.item.resolve.replace("{id}", r.id)


@dataclass
class Today:
    now: datetime
    items: list[Ranked] = field(default_factory=list)
    handled: dict[str, int] = field(default_factory=dict)
    acknowledged: int = 0  # hidden because acknowledged and unchanged
    failed: dict[str, str] = field(default_factory=dict)  # provider name -> error

    def section(self, s: Section) -> list[Ranked]:
        return [r for r in self.items if r.item.section == s]

    def as_dict(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "items": [r.as_dict() for r in self.items],
                "sections": {str(s): len(self.section(s)) for s in SECTIONS}, "handled": self.handled,
                "acknowledged_hidden": self.acknowledged, "failed_providers": self.failed}


def _age(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h" if minutes < 2880 else f"{minutes // 1440} d"


def rank(items: Iterable[FounderItem], now: datetime, currency: str = "") -> list[Ranked]:
    """Severity, then money at stake, then age; the reason names all three."""
    order = sorted(items, key=lambda i: (i.severity, -(i.money or 0.0), i.since, i.key))
    out = []
    for n, i in enumerate(order, 1):
        money = f" · {i.money:,.0f} {currency} at stake".rstrip() if i.money else ""
        out.append(Ranked(i, item_id(i), n, f"severity {i.severity}{money} · {_age(i.since, now)} old"))
    return out


def collect(app: FounderApp, now: datetime, providers: Iterable[Provider] | None = None) -> Today:
    """Ask every provider, drop acknowledged-and-unchanged items, rank, count what was handled."""
    today = Today(now)
    seen: dict[str, FounderItem] = {}
    for p in PROVIDERS if providers is None else providers:
        name = getattr(p, "__name__", repr(p))
        try:
            for item in p(app, now):
                seen.setdefault(item.key, item)
        except Exception as e:  # one broken source must not hide the rest of the page
            log.exception("founder page provider %s failed", name)
            today.failed[name] = f"{type(e).__name__}: {e}"
    done = acks(app.db)
    shown = [i for i in seen.values() if not (i.key in done and done[i.key].fingerprint == i.fingerprint)]
    today.acknowledged = len(seen) - len(shown)
    today.items = rank(shown, now, app.map.pipeline.currency)
    today.handled = handled_counts(app, now)
    return today


def handled_since(app: FounderApp, now: datetime) -> datetime:
    """"Since yesterday" as the founder means it: since the start of the last working day before today
    (on Monday, since Friday morning), in the firm's timezone."""
    from zoneinfo import ZoneInfo

    from opsys.rules.business_time import BusinessTime

    tz = ZoneInfo(app.map.team.firm.timezone)
    bt = BusinessTime.for_firm(app.map.team.firm)
    day = now.astimezone(tz).date() - timedelta(days=1)
    for _ in range(14):
        if bt.is_working_day(day):
            break
        day -= timedelta(days=1)
    return datetime.combine(day, time(0), tz)


def handled_counts(app: FounderApp, now: datetime) -> dict[str, int]:
    """Routed, answered, followed up, imported since the last working day began, from the audit log."""
    kinds = {str(k) for k in EventKind}
    wanted = {label: [k for k in ks if k in kinds] for label, ks in HANDLED.items()}
    counts = event_counts_since(app.db, [k for ks in wanted.values() for k in ks], handled_since(app, now))
    return {label: sum(counts.get(k, 0) for k in ks) for label, ks in wanted.items()}


def mark_build(app: FounderApp, now: datetime) -> None:
    """Remember this build's moment, so tomorrow's counts start here."""
    with write_transaction(app.db):
        record_build(app.db, now, now - timedelta(days=8))


class UnknownItem(LookupError):
    """No item with this id is on the founder's page now: run `opsys today` for the ids."""


def acknowledge(app: FounderApp, ident: str, now: datetime, *, by: str, note: str = "") -> Ranked:
    """Take an item off the page until it changes; `ident` is its short id or its key."""
    page = collect(app, now)
    match = next((r for r in page.items if ident in (r.id, r.item.key)), None)
    if match is None:
        raise UnknownItem(f"no item {ident!r} on the founder's page now (acknowledged already, or resolved); "
                          "`opsys today` lists the ids")
    with write_transaction(app.db):
        put_ack(app.db, match.item.key, match.item.fingerprint, note, now, by)
        record_event(app.db, EventKind.FOUNDER_ITEM_ACKNOWLEDGED, decided_by=f"{Decider.PERSON}:{by}",
                     subject_type="founder_item", subject_id=match.item.key,
                     inputs={"id": match.id, "section": str(match.item.section)},
                     decision={"fingerprint": match.item.fingerprint, "note": note},
                     message=f"{by} acknowledged {match.item.title}" + (f": {note}" if note else ""))
    return match


def refresh(app: FounderApp, now: datetime) -> Today:
    """What every build does first: label new messages, keep the pipeline's value; then collect."""
    from opsys.founder.judgment import judge_new_messages
    from opsys.founder.trends import note_pipeline_value

    judge_new_messages(app.db, app.map, now, app.ws.var / "cache")
    note_pipeline_value(app)
    return collect(app, now)
