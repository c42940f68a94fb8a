"""A lead list the firm imports: every row a lead and a task, announced once per owner, not per row."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from opsys.app import open_app
from opsys.jobs import send_notifications
from opsys.store.events import list_events
from tests.conftest import point_notifications_at

ROWS = 40


def _list(rows: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["First Name", "Last Name", "Email Address", "Company", "Notes"])
    for i in range(rows):
        w.writerow([f"Visitor{i}", "Booth", f"visitor{i}@company{i}.example", f"Company {i}",
                    "Stopped by the booth: wants a website redesign."])
    return buf.getvalue().encode()


def test_a_lead_list_is_one_alert_per_owner_with_every_row_a_task(workspace, shared_classifier, listener):
    point_notifications_at(workspace, listener.port)
    rt = open_app(workspace, classifier=shared_classifier)
    (workspace.inbox / "trade-show.csv").write_bytes(_list(ROWS))
    report = rt.intake.consume(sorted(workspace.inbox.iterdir()))
    assert [o.status for o in report.outcomes] == ["processed"]
    (ids,) = [o.ids for o in report.outcomes]
    assert len(ids) == ROWS
    owners = dict(map(tuple, rt.db.execute(
        "SELECT owner_id, COUNT(*) FROM tasks WHERE subject_type = 'inquiry' GROUP BY owner_id")))
    assert sum(owners.values()) == ROWS, "every row is a task"
    pending = rt.db.execute("SELECT person_id, title, body FROM notifications").fetchall()
    assert sorted(p for p, *_ in pending) == sorted(o for o in owners if o), "one alert per owner"
    for person, title, body in pending:
        if owners[person] > 1:
            assert title == f"New tasks: {owners[person]} leads from trade-show.csv"
            assert f"opsys tasks --person {person}" in body and "… and" in body
    queued = list_events(rt.db, kind="notification_queued")
    assert sum(len(e.inputs.get("tasks", [1])) for e in queued) == ROWS
    sent = send_notifications(rt, datetime.now(timezone.utc))
    assert len(listener.received) == len(pending), sent
    rt.db.close()


def test_a_single_row_list_keeps_the_task_alert(workspace, shared_classifier, listener):
    point_notifications_at(workspace, listener.port)
    rt = open_app(workspace, classifier=shared_classifier)
    (workspace.inbox / "one.csv").write_bytes(_list(1))
    rt.intake.consume(sorted(workspace.inbox.iterdir()))
    (title,) = [t for (t,) in rt.db.execute("SELECT title FROM notifications")]
    assert title.startswith("New task: ")
    rt.db.close()
