"""Anomalies only history can show: a channel gone silent, a person over capacity for days, the
pipeline's open value falling week on week. Thresholds are `founder.yml anomalies`.

Intake silence counts *arrivals* (one per dropped file and channel: a lead list of fifty rows is one)
on the firm's working days over `silence.history_days`. A channel's usual rate times the share of
today's working hours gone is what was expected by now; zero where `min_expected` or more was
expected is strange (with 3 expected, a quiet day by chance is under 5 %). The last working day,
whole, is checked the same way, so the morning page says what went quiet yesterday.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsys.founder.items import FounderApp, short
from opsys.records.founder import FounderItem, Section
from opsys.rules.business_time import BusinessTime
from opsys.store.founder import arrivals, pipeline_values, task_spans



def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    return start, start + timedelta(days=1)


def intake_silence(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Per channel: no arrival today (by now) or on the last working day, where history expected some."""
    cfg = app.map.founder.anomalies.silence
    tz = ZoneInfo(app.map.team.firm.timezone)
    bt = BusinessTime.for_firm(app.map.team.firm)
    today = now.astimezone(tz).date()
    start = today - timedelta(days=cfg.history_days)
    seen = arrivals(app.db, datetime.combine(start, time(0), tz))
    per_day = Counter((ch, at.astimezone(tz).date()) for ch, at in seen)
    first = {}
    for ch, at in seen:
        d = at.astimezone(tz).date()
        first[ch] = min(first.get(ch, d), d)
    history = [start + timedelta(days=i) for i in range(cfg.history_days)]
    working = [d for d in history if bt.is_working_day(d)]
    last_day = max(working, default=None)
    for ch in sorted(first):
        days = [d for d in working if d >= first[ch]]
        if len(days) < 5:  # too little history to know what is usual
            continue
        rate = sum(per_day[(ch, d)] for d in days) / len(days)
        silent: list[tuple[date, float]] = []
        if last_day and per_day[(ch, last_day)] == 0 and rate >= cfg.min_expected:
            silent.append((last_day, rate))
        if bt.is_working_day(today) and per_day[(ch, today)] == 0:
            s, e = _day_bounds(today, tz)
            total = bt.business_minutes_between(s, e)
            share = bt.business_minutes_between(s, now) / total if total else 0.0
            if rate * share >= cfg.min_expected:
                silent.append((today, rate * share))
        if not silent:
            continue
        since_day, _ = silent[0]
        label = ch.replace("_", " ")
        when = " and ".join(("today so far" if d == today else f"on {d:%a %Y-%m-%d}") for d, _ in silent)
        yield FounderItem(
            key=f"silence:{ch}", section=Section.ANOMALY,
            title=f"no {label} inbound {when}",
            why=f"usually {rate:.1f} a working day over the last {len(days)} working days; "
                f"{max(x for _, x in silent):.1f} were expected",
            since=_day_bounds(since_day, tz)[0].astimezone(UTC),
            fingerprint=",".join(str(d) for d, _ in silent), severity=2,
            evidence=("opsys leads --all", "opsys status"),
            resolve=f"check the {label} connection (mail forwarding, form notifications), then `opsys ack {{id}}`")


def over_capacity(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """A person whose open work was over capacity at the end of each of the last N working days, and now."""
    n = app.map.founder.anomalies.over_capacity_days
    tz = ZoneInfo(app.map.team.firm.timezone)
    bt = BusinessTime.for_firm(app.map.team.firm)
    moments = [now]
    day = now.astimezone(tz).date()
    while len(moments) < n:
        day -= timedelta(days=1)
        if bt.is_working_day(day):
            moments.append(_day_bounds(day, tz)[1].astimezone(UTC))
        if (now.astimezone(tz).date() - day).days > 60:
            return
    spans = task_spans(app.db, min(moments))
    effort = {k: v.effort_hours for k, v in app.map.tasks.kinds.items()}
    for p in app.map.team.people:
        mine = [s for s in spans if s.owner_id == p.id]
        over = []
        for at in moments:
            live = [s for s in mine if s.created_at <= at and (s.closed_at is None or s.closed_at > at)]
            hours = sum(s.effort_hours if s.effort_hours is not None else effort.get(s.kind, 0.0) for s in live)
            if len(live) > p.capacity or (p.weekly_hours and hours > p.weekly_hours):
                over.append((len(live), hours))
        if len(over) < n:
            continue
        count, hours = over[0]
        limits = f"capacity {p.capacity}" + (f", {p.weekly_hours:g} h a week" if p.weekly_hours else "")
        yield FounderItem(
            key=f"capacity:{p.id}", section=Section.ANOMALY,
            title=f"{short(p.name, 40)} over capacity {n} working days running: {count} open tasks, {hours:.1f} h",
            why=f"more than their {limits} (team.yml) at the end of each of the last {n} working days",
            since=moments[-1], fingerprint=str(moments[-1].date()), severity=2,
            evidence=(f"opsys tasks --person {p.id}", "pipeline.md"),
            resolve="move work: `opsys task reassign ID PERSON`, or raise their capacity in team.yml")


def pipeline_drop(app: FounderApp, now: datetime) -> Iterator[FounderItem]:
    """Open pipeline value down more than X % against the export of a week before."""
    values = pipeline_values(app.db)
    if len(values) < 2:
        return
    at, value, deals = values[-1]
    before = [v for v in values if v[0] <= at - timedelta(days=7)]
    if not before or before[-1][1] <= 0:
        return
    then, old, old_deals = before[-1]
    drop = (old - value) / old * 100
    limit = app.map.founder.anomalies.pipeline_drop_percent
    if drop <= limit:
        return
    cur = app.map.pipeline.currency
    yield FounderItem(
        key="pipeline:drop", section=Section.ANOMALY,
        title=f"open pipeline down {drop:.0f} % in a week: {old:,.0f} → {value:,.0f} {cur}",
        why=f"more than {limit:g} % (founder.yml anomalies.pipeline_drop_percent); open deals {old_deals} → {deals}, "
            f"exports of {then:%Y-%m-%d} and {at:%Y-%m-%d}",
        since=at, fingerprint=f"{at.isoformat()}", severity=2, money=old - value,
        evidence=("pipeline.md", "opsys log --kind deal_lost"), resolve="read the pipeline page, then `opsys ack {id}`")


def note_pipeline_value(app: FounderApp) -> None:
    """Keep the open value as of the newest deals export, once per export, for next week's comparison."""
    from opsys.store.crm import latest_snapshots, list_deals
    from opsys.store.db import write_transaction
    from opsys.store.founder import record_pipeline_value

    deals_snaps = [s for s in latest_snapshots(app.db) if s.object == "deals"]
    if not deals_snaps:
        return
    as_of = max(s.as_of for s in deals_snaps)
    open_deals = [d for d in list_deals(app.db) if d.state.status == "open"]
    with write_transaction(app.db):
        record_pipeline_value(app.db, as_of, float(sum(d.state.value or 0 for d in open_deals)), len(open_deals))
