"""Anomalies only history shows: a person over capacity for N working days, the pipeline falling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsys.app import open_app
from opsys.founder.trends import over_capacity, pipeline_drop
from opsys.records.tasks import ContextPack
from opsys.store.db import write_transaction
from opsys.store.founder import record_pipeline_value
from opsys.store.tasks import NewTask, insert_task, set_status

THU_0805 = datetime(2026, 11, 19, 14, 5, tzinfo=UTC)  # Thursday 08:05 in Chicago


@pytest.fixture
def app(workspace):
    a = open_app(workspace)
    yield a
    a.close()


def give(app, person: str, n: int, created: datetime) -> list[int]:
    with write_transaction(app.db):
        return [insert_task(app.db, NewTask(
            kind="answer_client", title=f"work {i}", subject_type="client", subject_id=str(i), contact_id=None,
            owner_id=person, priority=3, created_at=created, due_at=None, effort_hours=0.5, rule="test", reason="test",
            role=None, parked=False, context=ContextPack("do it"), routing_inputs={}, explanation={}))
            for i in range(n)]


def test_over_capacity_only_after_n_working_days_running(app):
    ids = give(app, "leo", 7, THU_0805 - timedelta(days=5))  # leo's capacity is 6 open tasks
    [item] = list(over_capacity(app, THU_0805))
    assert item.key == "capacity:leo" and "7 open tasks" in item.title and "capacity 6" in item.why
    with write_transaction(app.db):  # one closed on Tuesday afternoon: Tuesday ended at capacity
        set_status(app.db, ids[0], "done", at=datetime(2026, 11, 17, 20, tzinfo=UTC), by="leo")
    assert list(over_capacity(app, THU_0805)) == []
    assert list(over_capacity(app, THU_0805 + timedelta(days=4))) == []  # Mon: under again


def test_pipeline_value_falling_more_than_the_limit_week_on_week(app):
    with write_transaction(app.db):
        record_pipeline_value(app.db, "2026-11-09T23:59:59+00:00", 100_000, 20)
        record_pipeline_value(app.db, "2026-11-16T23:59:59+00:00", 85_000, 18)
    assert list(pipeline_drop(app, THU_0805)) == []  # 15 %: under the 20 % of founder.yml
    with write_transaction(app.db):
        record_pipeline_value(app.db, "2026-11-18T23:59:59+00:00", 70_000, 15)
    [item] = list(pipeline_drop(app, THU_0805))
    assert "down 30 %" in item.title and item.money == 30_000 and "100,000 → 70,000" in item.title
