"""The open-load summary kept by triggers (task_loads) always equals the sum over the open tasks."""

from __future__ import annotations

from datetime import timedelta

from opsys.store.db import write_transaction
from opsys.store.tasks import open_loads
from opsys.work import cancel_task, close_task, reassign_task, redispatch, snooze_task
from tests.work.conftest import NOW, lead_task


def _summed(db, efforts):
    out = {}
    for owner, kind, effort in db.execute("SELECT owner_id, kind, effort_hours FROM tasks WHERE status IN"
                                          " ('open', 'waiting') AND owner_id IS NOT NULL"):
        n, h = out.get(owner, (0, 0.0))
        out[owner] = (n + 1, h + (effort if effort is not None else efforts[kind]))
    return {k: (n, round(h, 4)) for k, (n, h) in out.items()}


def test_loads_follow_every_change_and_a_rollback(app):
    efforts = {n: k.effort_hours for n, k in app.map.tasks.kinds.items()}
    tasks = [lead_task(app, email=f"p{i}@x.example", n=i, hot=i % 3 == 0) for i in range(12)]
    close_task(app.db, tasks[0].id, NOW, "jordan")
    cancel_task(app.db, tasks[1].id, NOW, "jordan")
    reassign_task(app.db, app.map, tasks[2].id, "sam", NOW, "maya")
    snooze_task(app.db, app.map, tasks[3].id, NOW + timedelta(days=2), NOW, "jordan")
    redispatch(app.db, app.map, NOW + timedelta(days=3))  # wakes the snoozed one, re-offers parked ones
    with write_transaction(app.db):  # a task with no effort (moved over from an assignment) weighs the default
        app.db.execute("UPDATE tasks SET effort_hours = NULL WHERE id = ?", (tasks[4].id,))
    try:
        with write_transaction(app.db):
            app.db.execute("UPDATE tasks SET owner_id = 'leo' WHERE id = ?", (tasks[5].id,))
            raise RuntimeError("a step failed")
    except RuntimeError:
        pass
    loads = {k: (v.count, v.hours) for k, v in open_loads(app.db, efforts).items()}
    assert loads == _summed(app.db, efforts)
    assert loads["sam"][0] == 1 and loads["jordan"][0] == 9
