"""open_task: routed on the store's loads, due in business time, explained, audited and announced."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from opsys.store.events import list_events
from tests.work.conftest import NOW, lead_task


def test_open_task_routes_stores_explains_and_queues_an_alert(app):
    t = lead_task(app, email="ann@acme.example")
    assert (t.owner_id, t.kind, t.status, t.rule) == ("jordan", "reply_to_lead", "open", "other-leads-queue")
    # 1 business day from Tue 10:00 Chicago is Wed 10:00
    assert t.due_at.astimezone(ZoneInfo("America/Chicago")) == datetime(2026, 11, 25, 10, 0,
                                                                        tzinfo=ZoneInfo("America/Chicago"))
    assert t.effort_hours == 0.5 and t.priority == 3
    ctx = t.context
    assert ctx.what_to_do == 'Qualify and answer Ann Lee (Acme) about "New website".'
    assert (ctx.sop, ctx.sop_section) == ("lead-follow-up", "steps")
    assert ctx.history and "New website" in ctx.history[-1]
    kinds = [e.kind for e in list_events(app.db, subject=("task", str(t.id)))]
    assert kinds == ["task_created", "task_assigned", "notification_queued"]
    (assigned,) = list_events(app.db, kind="task_assigned")
    assert assigned.inputs["candidates"][0] == {"person": "jordan", "open": 0, "capacity": 10, "open_hours": 0.0,
                                                "weekly_hours": 30.0, "available": True, "eligible": True,
                                                "why_not": None}
    assert assigned.decided_by == "rule:routing.yml#other-leads-queue" and assigned.message == t.reason
    assert t.created_event_id == assigned.id
    title, body, task_id = app.db.execute("SELECT title, body, task_id FROM notifications").fetchone()
    assert task_id == t.id and title.startswith("New task") and f"opsys task done {t.id}" in body


def test_capacity_fills_then_parks_on_the_overflow_owner(app):
    tasks = [lead_task(app, email=f"p{i}@x.example", n=i) for i in range(11)]
    assert [t.owner_id for t in tasks] == ["jordan"] * 10 + ["maya"]
    assert tasks[-1].parked and "all sales at capacity (jordan 10/10)" in tasks[-1].reason
    assert not any(t.parked for t in tasks[:10])


def test_a_returning_contact_keeps_the_history_across_inquiries(app):
    lead_task(app, email="bo@x.example", subject="First question")
    t = lead_task(app, email="bo@x.example", subject="Second question", n=1)
    assert [h.split(": ", 1)[1].split(" (")[0] for h in t.context.history] == ["First question", "Second question"]
    assert NOW.date().isoformat() in t.context.history[0]
