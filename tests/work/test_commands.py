"""Task commands: each audited; an unknown id or person says so and changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from opsys.cli.main import app as cli
from opsys.store.events import list_events
from opsys.store.tasks import get_task, open_loads
from opsys.work import TaskCommandError, cancel_task, close_task, reassign_task, set_away, snooze_task
from tests.work.conftest import NOW, lead_task


def _changes(app):
    return (app.db.execute("SELECT COUNT(*) FROM events").fetchone()[0],
            [tuple(r) for r in app.db.execute("SELECT id, status, owner_id FROM tasks ORDER BY id")])


def test_done_frees_capacity_and_is_audited(app):
    t = lead_task(app, email="a@x.example")
    assert open_loads(app.db)["jordan"].count == 1
    done = close_task(app.db, t.id, NOW, "jordan", "called her back")
    assert (done.status, done.closed_by, done.note) == ("done", "person:jordan", "called her back")
    assert "jordan" not in open_loads(app.db)
    (ev,) = list_events(app.db, kind="task_done")
    assert ev.decided_by == "person:jordan" and "called her back" in ev.message
    with pytest.raises(TaskCommandError, match="already done"):
        close_task(app.db, t.id, NOW, "jordan")


def test_unknown_task_or_person_changes_nothing(app):
    t = lead_task(app, email="a@x.example")
    before = _changes(app)
    for call in (lambda: close_task(app.db, 999, NOW, "x"), lambda: cancel_task(app.db, 999, NOW, "x"),
                 lambda: reassign_task(app.db, app.map, t.id, "nobody", NOW, "x"),
                 lambda: reassign_task(app.db, app.map, 999, "leo", NOW, "x"),
                 lambda: snooze_task(app.db, app.map, 999, NOW + timedelta(days=1), NOW, "x"),
                 lambda: snooze_task(app.db, app.map, t.id, NOW - timedelta(hours=1), NOW, "x"),
                 lambda: set_away(app.db, app.map, "nobody", date(2026, 12, 1), date(2026, 12, 2), NOW, "x")):
        with pytest.raises(TaskCommandError):
            call()
    assert _changes(app) == before


def test_cli_says_an_unknown_task_id_and_exits_non_zero(app):
    before = _changes(app)
    for args in (["task", "done", "4242"], ["task", "cancel", "4242"], ["task", "reassign", "4242", "leo"],
                 ["task", "snooze", "4242", "2026-12-01"], ["tasks", "--why", "4242"]):
        result = CliRunner().invoke(cli, ["-w", str(app.ws.root), *args])
        assert result.exit_code == 1 and "no task #4242" in result.output, args
    assert _changes(app) == before


def test_reassign_snooze_cancel(app):
    t = lead_task(app, email="a@x.example")
    r = reassign_task(app.db, app.map, t.id, "leo", NOW, "maya")
    assert r.owner_id == "leo" and "reassigned by maya from jordan to leo" in r.reason
    assert app.db.execute("SELECT person_id FROM notifications ORDER BY id DESC").fetchone()[0] == "leo"
    s = snooze_task(app.db, app.map, t.id, NOW + timedelta(days=7), NOW, "leo")
    assert s.status == "waiting" and s.due_at > NOW + timedelta(days=7)
    c = cancel_task(app.db, t.id, NOW, "leo", "duplicate")
    assert c.status == "cancelled"
    assert [e.kind for e in list_events(app.db, subject=("task", str(t.id)))
            if e.kind.startswith("task_")] == ["task_created", "task_assigned", "task_reassigned", "task_snoozed",
                                               "task_cancelled"]


def test_away_refuses_overlaps_and_the_cli_lists_tasks(app):
    set_away(app.db, app.map, "jordan", date(2026, 12, 1), date(2026, 12, 3), NOW, "maya", "conference")
    with pytest.raises(TaskCommandError, match="already away 2026-12-01..2026-12-03"):
        set_away(app.db, app.map, "jordan", date(2026, 12, 3), date(2026, 12, 4), NOW, "maya")
    t = lead_task(app, email="a@x.example")
    run = CliRunner().invoke(cli, ["-w", str(app.ws.root), "tasks", "--person", "jordan"])
    assert run.exit_code == 0 and f"#{t.id}" in run.output
    why = CliRunner().invoke(cli, ["-w", str(app.ws.root), "tasks", "--why", str(t.id)])
    assert "candidate jordan" in why.output and "other-leads-queue" in why.output and "lead-follow-up" in why.output
    done = CliRunner().invoke(cli, ["-w", str(app.ws.root), "task", "done", str(t.id), "--note", "ok", "--by", "jordan"])
    assert done.exit_code == 0 and get_task(app.db, t.id).status == "done"
