"""A person's own timezone (team.yml `timezone`, `working_hours`): their tasks fall due in their
working hours, and their away days are their own local dates."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from opsys.app import open_app
from opsys.rules.task_routing import away_today
from tests.config.test_loader import _break
from tests.work.conftest import NOW, lead_task


def _app(workspace, extra: str):
    _break(workspace.root, "team.yml", "    backup: leo\n", "    backup: leo\n" + extra)
    return open_app(workspace, clock=lambda: NOW)


def test_due_time_counts_in_the_owners_own_hours(workspace):
    app = _app(workspace, "    timezone: Europe/London\n    working_hours: 08:00-16:00\n")
    late = NOW.replace(hour=22)  # 16:00 in Chicago (firm open), 22:00 in London (Jordan's evening)
    t = lead_task(app, email="eve@x.example", hot=True, now=late)
    assert t.owner_id == "jordan"
    # one business hour in Jordan's hours: Wednesday 08:00-09:00 London, not 17:00 Chicago on Tuesday
    assert t.due_at.astimezone(ZoneInfo("Europe/London")).strftime("%a %H:%M") == "Wed 09:00"
    app.db.close()


def test_firm_hours_apply_without_an_own_timezone(workspace):
    app = open_app(workspace, clock=lambda: NOW)
    t = lead_task(app, email="eve@x.example", hot=True, now=NOW.replace(hour=22))
    assert t.due_at.astimezone(ZoneInfo("America/Chicago")).strftime("%a %H:%M") == "Tue 17:00"
    app.db.close()


def test_away_starts_on_the_persons_own_date(workspace):
    app = _app(workspace, "    timezone: Asia/Tokyo\n    away:\n      - {from: 2026-11-25, until: 2026-11-27}\n")
    # Tue 16:00 UTC is Tue 10:00 in Chicago but already Wed 01:00 in Tokyo: Jordan is away
    assert "jordan" in away_today(app.map, NOW, {})
    t = lead_task(app, email="new@x.example")
    assert t.owner_id == "maya" and "(jordan away)" in t.reason
    assert [c["why_not"] for c in t.explanation["candidates"] if c["person"] == "jordan"] == ["away until 2026-11-27"]
    app.db.close()
