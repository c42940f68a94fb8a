"""Pipeline figures from deals as stored: stages, forecast, win rate, cycle, flags, load, new leads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsys.config.loader import load_system_map
from opsys.rules.pipeline_metrics import RecentLead, compute_metrics, owner_person
from opsys.records.crm import DealRow, DealState

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture(scope="module")
def m():
    return load_system_map(REPO / "system_map")


def row(ext, stage_key, status="open", value=1000.0, owner="Jordan Reyes", lead=None, **kw):
    base = dict(external_id=ext, name=f"deal {ext}", stage=stage_key or "Odd Stage", stage_key=stage_key,
                status=status, value=value, owner=owner, created_at="2026-11-01", stage_since="2026-11-20",
                next_activity_at="2026-11-30")
    return DealRow("hubspot", DealState(**{**base, **kw}), lead, None)


def test_figures(m):
    deals = [
        row("1", "new", value=1000), row("2", "new", value=3000, owner=None, next_activity_at=None),
        row("3", "proposal", value=10000, stage_since="2026-10-01"),  # 54 days > 21
        row("4", "negotiation", value=20000, owner="Maya O.", quiet_since="2026-11-20", last_activity_at="2026-11-01"),
        row("5", None, value=500),
        row("6", "won", "won", value=7000, created_at="2026-10-01", closed_at="2026-10-31", lead=11),
        row("7", "won", "won", value=3000, created_at="2026-10-01", closed_at="2026-11-10"),
        row("8", "lost", "lost"),
    ]
    leads = [RecentLead(11, "web_form", "2026-11-22T10:00:00+00:00"), RecentLead(12, "web_form", "2026-11-23"),
             RecentLead(13, "email", "2026-11-01")]  # older than a week
    x = compute_metrics(deals, m, NOW, leads, {"jordan": 3})
    by = {s.key: s for s in x.stages}
    assert (by["new"].count, by["new"].value, by["new"].weighted) == (2, 4000, 400)
    assert by["proposal"].weighted == 5000 and by["negotiation"].weighted == 15000
    assert by["?Odd Stage"].probability is None and x.unmapped_stages == {"Odd Stage": 1}
    assert x.open_count == 5 and x.open_value == 34500 and x.weighted_forecast == 20400
    assert (x.won, x.lost) == (2, 1) and x.win_rate == pytest.approx(2 / 3)
    assert x.avg_cycle_days == pytest.approx((30 + 40) / 2)
    assert [f.external_id for f in x.aging] == ["3"] and x.aging[0].limit == 21
    assert [f.external_id for f in x.quiet] == ["4"]
    assert [f.external_id for f in x.no_next_action] == ["2"] and [f.external_id for f in x.no_owner] == ["2"]
    load = {o.owner: o for o in x.owners}
    assert load["Jordan Reyes"].person_id == "jordan" and load["Jordan Reyes"].open_deals == 3
    assert load["Jordan Reyes"].open_assignments == 3 and load["Jordan Reyes"].capacity == 10
    assert load["Maya Okafor"].person_id == "maya"  # "Maya O.", through the pipeline.yml owners alias
    assert [(s.channel, s.new_leads, s.with_deal) for s in x.sources] == [("web_form", 2, 1)]


def test_over_capacity(m):
    deals = [row(str(i), "new", owner="maya@brightside.example") for i in range(5)]
    x = compute_metrics(deals, m, NOW, [], {})
    assert x.owners[0].person_id == "maya" and x.owners[0].capacity == 4 and x.owners[0].over_capacity


def test_one_person_is_one_row_however_the_crm_spells_them(m):
    deals = [row("1", "new", owner="Maya O."), row("2", "new", owner="Maya Okafor"),
             row("3", "new", owner="maya@brightside.example"), row("4", "new", owner="Someone Gone")]
    x = compute_metrics(deals, m, NOW, [], {"maya": 2})
    rows = {o.owner: o for o in x.owners}
    assert set(rows) == {"Maya Okafor", "Someone Gone"}
    maya = rows["Maya Okafor"]
    assert (maya.open_deals, maya.open_assignments, maya.capacity, maya.over_capacity) == (3, 2, 4, True)
    assert rows["Someone Gone"].person_id is None and rows["Someone Gone"].capacity is None


def test_owner_person(m):
    assert owner_person("Priya Natarajan", m.team, {}) == "priya"
    assert owner_person("005Hs00000A1bcDEF", m.team, m.pipeline.owners) == "jordan"
    assert owner_person("Someone Else", m.team, {}) is None and owner_person(None, m.team, {}) is None


def test_empty(m):
    x = compute_metrics([], m, NOW, [], {})
    assert x.open_count == 0 and x.win_rate is None and x.avg_cycle_days is None
