"""The pipeline in figures: stages, weighted forecast, win rate, cycle time, aging, gaps, load, new leads.

Pure: takes deals as stored, the system map, recent leads and open assignments, and `now`;
returns plain figures every view (page, terminal, JSON) shows the same way.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opsys.config.models import SystemMap, Team
from opsys.rules.pipeline_diff import days_between, to_datetime
from opsys.records.crm import DealRow


@dataclass(frozen=True)
class StageFigure:
    key: str
    label: str
    probability: float | None  # None: a stage name not in pipeline.yml
    count: int
    value: float
    weighted: float
    max_days_in_stage: int | None


@dataclass(frozen=True)
class DealFlag:
    """A deal that needs a look, and why."""

    crm: str
    external_id: str
    name: str
    stage: str
    owner: str | None
    value: float | None
    days: float | None
    limit: int | None
    reason: str
    lead_contact_id: int | None = None


@dataclass(frozen=True)
class OwnerLoad:
    owner: str
    person_id: str | None
    open_deals: int
    open_value: float
    open_assignments: int
    capacity: int | None

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.open_deals + self.open_assignments > self.capacity


@dataclass(frozen=True)
class SourceFigure:
    channel: str
    new_leads: int
    with_deal: int

    @property
    def conversion(self) -> float:
        return self.with_deal / self.new_leads if self.new_leads else 0.0


@dataclass(frozen=True)
class RecentLead:
    """What the metrics need of an intake lead."""

    contact_id: int
    channel: str
    received_at: str


@dataclass
class PipelineMetrics:
    stages: list[StageFigure] = field(default_factory=list)
    open_count: int = 0
    open_value: float = 0.0
    weighted_forecast: float = 0.0
    won: int = 0
    lost: int = 0
    won_value: float = 0.0
    win_rate: float | None = None
    avg_cycle_days: float | None = None
    aging: list[DealFlag] = field(default_factory=list)
    quiet: list[DealFlag] = field(default_factory=list)
    no_next_action: list[DealFlag] = field(default_factory=list)
    no_owner: list[DealFlag] = field(default_factory=list)
    owners: list[OwnerLoad] = field(default_factory=list)
    sources: list[SourceFigure] = field(default_factory=list)
    unmapped_stages: dict[str, int] = field(default_factory=dict)
    linked_deals: int = 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["owners"] = [{**asdict(o), "over_capacity": o.over_capacity} for o in self.owners]
        d["sources"] = [{**asdict(s), "conversion": round(s.conversion, 3)} for s in self.sources]
        return d


def owner_person(owner: str | None, team: Team, aliases: dict[str, str]) -> str | None:
    """The team.yml person a CRM owner (name, email or id) stands for: pipeline.yml owners first."""
    if not owner:
        return None
    folded = {k.casefold(): v for k, v in aliases.items()}
    o = owner.strip().casefold()
    if o in folded:
        return folded[o]
    for p in team.people:
        if o in (p.name.casefold(), p.email.casefold(), p.id):
            return p.id
    return None


def compute_metrics(deals: list[DealRow], m: SystemMap, now: datetime, recent_leads: list[RecentLead],
                    open_assignments: dict[str, int]) -> PipelineMetrics:
    pipe = m.pipeline
    out = PipelineMetrics()
    by_stage: dict[str, list[DealRow]] = defaultdict(list)
    stages = {s.key: s for s in pipe.stages}
    unmapped: Counter = Counter()
    cycle: list[float] = []
    load: dict[str, list[DealRow]] = defaultdict(list)
    deal_contacts = {d.lead_contact_id for d in deals if d.lead_contact_id is not None}
    out.linked_deals = sum(1 for d in deals if d.lead_contact_id is not None)
    for d in deals:
        s = d.state
        if s.status == "won":
            out.won += 1
            out.won_value += s.value or 0
            span = days_between(s.created_at, to_datetime(s.closed_at) or now) if s.closed_at else None
            if span is not None and span >= 0:
                cycle.append(span)
            continue
        if s.status == "lost":
            out.lost += 1
            continue
        out.open_count += 1
        out.open_value += s.value or 0
        if s.stage_key is None:
            unmapped[s.stage] += 1
        by_stage[s.stage_key or f"?{s.stage}"].append(d)
        load[s.owner or ""].append(d)
        stage = stages.get(s.stage_key or "")
        flag = _flagger(d)
        if stage and stage.max_days_in_stage:
            in_stage = days_between(s.stage_since, now)
            if in_stage is not None and in_stage > stage.max_days_in_stage:
                out.aging.append(flag(in_stage, stage.max_days_in_stage,
                                      f"{int(in_stage)} days in {stage.label} (limit {stage.max_days_in_stage})"))
        if s.quiet_since:
            idle = days_between(s.last_activity_at or s.created_at, now)
            out.quiet.append(flag(idle, None, f"no activity since {(s.last_activity_at or s.created_at or '?')[:10]}"))
        if not s.next_activity_at and not s.next_step:
            out.no_next_action.append(flag(None, None, "no next activity or next step"))
        if not s.owner:
            out.no_owner.append(flag(None, None, "no owner"))

    for st in pipe.stages:
        if st.outcome != "open":
            continue
        rows = by_stage.get(st.key, [])
        value = sum(r.state.value or 0 for r in rows)
        out.stages.append(StageFigure(st.key, st.label, st.probability, len(rows), value, value * st.probability,
                                      st.max_days_in_stage))
    for raw, n in unmapped.most_common():
        rows = by_stage[f"?{raw}"]
        out.stages.append(StageFigure(f"?{raw}", raw, None, n, sum(r.state.value or 0 for r in rows), 0.0, None))
    out.unmapped_stages = dict(unmapped)
    out.weighted_forecast = sum(s.weighted for s in out.stages)
    closed = out.won + out.lost
    out.win_rate = out.won / closed if closed else None
    out.avg_cycle_days = sum(cycle) / len(cycle) if cycle else None
    out.aging.sort(key=lambda f: -((f.days or 0) - (f.limit or 0)))
    out.quiet.sort(key=lambda f: -(f.days or 0))
    for lst in (out.no_next_action, out.no_owner):
        lst.sort(key=lambda f: -(f.value or 0))

    # One row per person however the CRM spells them ("Maya O.", her email...); unknown owners as written
    people = {p.id: p for p in m.team.people}
    by_person: dict[str, list[DealRow]] = defaultdict(list)
    for owner, rows in load.items():
        if owner:
            by_person[owner_person(owner, m.team, pipe.owners) or f"?{owner}"].extend(rows)
    seen_people: set[str] = set()
    for key, rows in sorted(by_person.items(), key=lambda kv: -len(kv[1])):
        p = people.get(key)
        seen_people.add(key)
        out.owners.append(OwnerLoad(p.name if p else key[1:], p.id if p else None, len(rows),
                                    sum(r.state.value or 0 for r in rows),
                                    open_assignments.get(key, 0) if p else 0, p.capacity if p else None))
    for p in m.team.people:  # people with no open deals still carry intake work
        if p.id not in seen_people and open_assignments.get(p.id):
            out.owners.append(OwnerLoad(p.name, p.id, 0, 0.0, open_assignments[p.id], p.capacity))

    week_ago = now - timedelta(days=7)
    per_channel: dict[str, list[RecentLead]] = defaultdict(list)
    for lead in recent_leads:
        when = to_datetime(lead.received_at)
        if when is not None and when >= week_ago:
            per_channel[lead.channel].append(lead)
    out.sources = [SourceFigure(ch, len(ls), sum(1 for x in ls if x.contact_id in deal_contacts))
                   for ch, ls in sorted(per_channel.items(), key=lambda kv: -len(kv[1]))]
    return out


def _flagger(d: DealRow):
    s = d.state

    def make(days: float | None, limit: int | None, reason: str) -> DealFlag:
        return DealFlag(d.crm, s.external_id, s.name, s.stage, s.owner, s.value,
                        None if days is None else round(days, 1), limit, reason, d.lead_contact_id)
    return make
