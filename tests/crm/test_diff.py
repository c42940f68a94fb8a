"""The pure snapshot diff: each change kind, with the pipeline.yml stages of the template."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsys.config.loader import load_system_map
from opsys.rules.pipeline_diff import diff_contacts, diff_deals
from opsys.records.crm import CrmContact, CrmDeal

REPO = Path(__file__).resolve().parents[2]
SNAP = {"id": 1, "file": "x.csv", "as_of": "2026-11-23T00:00:00+00:00"}


@pytest.fixture(scope="module")
def pipeline():
    return load_system_map(REPO / "system_map").pipeline


def deal(**kw) -> CrmDeal:
    base = dict(crm="hubspot", external_id="1", name="Site", stage="Appointment Scheduled", value=1000.0,
                owner="Jordan Reyes", created_at="2026-11-20", last_activity_at="2026-11-21")
    return CrmDeal(**{**base, **kw})


def step(pipeline, prev, deals, as_of="2026-11-23T00:00:00+00:00"):
    d = diff_deals(prev, deals, as_of, pipeline, SNAP)
    return {**prev, **d.deals}, [c.kind for c in d.changes], d


def test_created_then_unchanged(pipeline):
    state, kinds, d = step(pipeline, {}, [deal()])
    assert kinds == ["deal_created"]
    assert state["1"].stage_key == "new" and state["1"].status == "open" and state["1"].stage_since == "2026-11-20"
    again, kinds, d = step(pipeline, state, [deal()])
    assert kinds == [] and d.deals == {}


def test_aliases_of_one_stage_are_no_move(pipeline):
    state, _, _ = step(pipeline, {}, [deal(stage="appointmentscheduled")])
    _, kinds, _ = step(pipeline, state, [deal(stage="Appointment Scheduled")])
    assert "deal_stage_changed" not in kinds


def test_won_lost_reopened(pipeline):
    state, _, _ = step(pipeline, {}, [deal()])
    state, kinds, _ = step(pipeline, state, [deal(stage="Closed Won", close_date="2026-11-22")])
    assert kinds == ["deal_stage_changed", "deal_won"] and state["1"].closed_at == "2026-11-22"
    state, kinds, _ = step(pipeline, state, [deal(stage="Contract Sent")], "2026-11-24T00:00:00+00:00")
    assert kinds == ["deal_stage_changed", "deal_reopened"] and state["1"].closed_at is None
    state, kinds, _ = step(pipeline, state, [deal(stage="Contract Sent", status="lost")])
    assert kinds == ["deal_lost"]  # Pipedrive's Status column beats the stage


def test_value_owner_activity(pipeline):
    state, _, _ = step(pipeline, {}, [deal()])
    _, kinds, d = step(pipeline, state, [deal(value=1500.0, owner=None, last_activity_at="2026-11-22")])
    assert kinds == ["deal_value_changed", "deal_owner_changed", "activity_recorded"]
    assert d.changes[1].inputs["from"] == "Jordan Reyes" and d.changes[1].inputs["to"] is None
    _, kinds, _ = step(pipeline, state, [deal(value=1000.004)])
    assert kinds == []  # rounding noise is not a change


def test_quiet_uses_the_stage_limit_and_clears_on_activity(pipeline):
    old = deal(created_at="2026-11-01", last_activity_at="2026-11-15")  # 8 days idle; "new" allows 7
    state, kinds, d = step(pipeline, {}, [old])
    assert kinds == ["deal_created", "deal_gone_quiet"]
    assert d.changes[1].inputs["quiet_after_days"] == 7 and d.changes[1].inputs["snapshot"] == SNAP
    proposal = deal(stage="Proposal Made", created_at="2026-11-01", last_activity_at="2026-11-15")
    _, kinds, _ = step(pipeline, {}, [proposal])
    assert kinds == ["deal_created"]  # proposal allows 10 days
    state, kinds, _ = step(pipeline, state, [old], "2026-11-24T00:00:00+00:00")
    assert kinds == []  # said once
    state, kinds, _ = step(pipeline, state, [deal(created_at="2026-11-01", last_activity_at="2026-11-23")])
    assert kinds == ["activity_recorded"] and state["1"].quiet_since is None


def test_unmapped_stage_is_kept_as_written(pipeline):
    state, _, _ = step(pipeline, {}, [deal(stage="Discovery Workshop")])
    assert state["1"].stage_key is None and state["1"].status == "open"
    _, kinds, _ = step(pipeline, state, [deal(stage="Workshop Done")])
    assert kinds == ["deal_stage_changed"]


def test_missing_and_back(pipeline):
    state, _, _ = step(pipeline, {}, [deal(), deal(external_id="2")])
    state, kinds, _ = step(pipeline, state, [deal()])
    assert kinds == ["deal_missing"] and state["2"].present is False
    state, kinds, _ = step(pipeline, state, [deal(), deal(external_id="2")])
    assert kinds == ["deal_reappeared"] and state["2"].present is True


def test_contacts():
    c = CrmContact(crm="hubspot", kind="contact", external_id="9", name="Ann", email="ann@x.example",
                   last_activity_at="2026-11-01")
    d = diff_contacts({}, [c], SNAP)
    assert [x.kind for x in d.changes] == ["contact_created"]
    prev = {("contact", "9"): c}
    assert diff_contacts(prev, [c], SNAP).changes == []
    moved = CrmContact(crm="hubspot", kind="contact", external_id="9", name="Ann", email="ann@y.example",
                       last_activity_at="2026-11-05")
    d = diff_contacts(prev, [moved], SNAP)
    assert [x.kind for x in d.changes] == ["activity_recorded", "contact_updated"]
    assert d.changes[1].inputs["before"] == {"email": "ann@x.example"}
