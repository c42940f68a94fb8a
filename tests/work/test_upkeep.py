"""What the jobs do to open work, with the clock walked by explicit `now`: evidence, re-dispatch, escalation."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from opsys.store.db import write_transaction
from opsys.store.events import list_events, record_event
from opsys.store.tasks import get_task
from opsys.work import close_by_evidence, close_task, escalate_overdue, redispatch, set_away
from tests.work.conftest import NOW, add_inquiry, lead_task


def test_a_done_task_frees_capacity_and_redispatch_moves_the_parked_one(app):
    tasks = [lead_task(app, email=f"p{i}@x.example", n=i) for i in range(11)]
    parked = tasks[-1]
    assert parked.owner_id == "maya" and parked.parked
    assert redispatch(app.db, app.map, NOW).redispatched == ()  # nobody has room yet
    close_task(app.db, tasks[0].id, NOW, "jordan")
    r = redispatch(app.db, app.map, NOW + timedelta(minutes=1))
    assert r.redispatched == (parked.id,)
    moved = get_task(app.db, parked.id)
    assert (moved.owner_id, moved.parked) == ("jordan", False) and moved.reason.startswith("capacity freed")
    (ev,) = list_events(app.db, kind="task_redispatched")
    assert ev.inputs["from"] == "maya" and ev.decision["owner"] == "jordan"
    assert redispatch(app.db, app.map, NOW + timedelta(minutes=2)).redispatched == ()


def test_redispatch_offers_highest_priority_first(app):
    normal = [lead_task(app, email=f"n{i}@x.example", n=i) for i in range(10)]
    waiting_normal = lead_task(app, email="late@x.example", n=20)
    waiting_hot = lead_task(app, email="hot@x.example", hot=True, n=21)
    assert waiting_normal.owner_id == waiting_hot.owner_id == "maya"
    close_task(app.db, normal[0].id, NOW, "jordan")
    assert redispatch(app.db, app.map, NOW).redispatched == (waiting_hot.id,)
    assert get_task(app.db, waiting_normal.id).owner_id == "maya"


def test_urgent_work_of_someone_away_is_rerouted_with_the_reason(app):
    hot = lead_task(app, email="h@x.example", hot=True)
    calm = lead_task(app, email="c@x.example", n=1)
    assert hot.owner_id == calm.owner_id == "jordan"
    set_away(app.db, app.map, "jordan", NOW.date(), NOW.date() + timedelta(days=2), NOW, "maya", "flu")
    r = redispatch(app.db, app.map, NOW)
    assert r.rerouted_away == (hot.id,)
    moved = get_task(app.db, hot.id)
    assert moved.owner_id == "maya" and "jordan is away until 2026-11-26 (flu)" in moved.reason
    assert get_task(app.db, calm.id).owner_id == "jordan"  # not urgent: stays for the owner's return
    (ev,) = list_events(app.db, kind="task_rerouted_away")
    assert ev.inputs["from"] == "jordan"
    # nobody away gets new work
    assert lead_task(app, email="new@x.example", n=2).owner_id == "maya"


def test_an_overdue_hot_lead_escalates_owner_then_backup_then_founder_each_once(app):
    t = lead_task(app, email="hot@x.example", hot=True)
    assert t.owner_id == "jordan" and t.due_at == NOW + timedelta(hours=1)
    assert escalate_overdue(app.db, app.map, NOW + timedelta(minutes=59)) == []
    seen = []
    for minutes in (61, 62, 121, 122, 181, 240, 600):
        seen += [(s.level, s.step, s.told) for s in escalate_overdue(app.db, app.map, NOW + timedelta(minutes=minutes))]
    assert seen == [(1, "remind_owner", ("jordan",)), (2, "backup_role", ("leo",)), (3, "founder", ("maya",))]
    events = list_events(app.db, kind="task_escalated")
    assert [e.decision["level"] for e in events] == [1, 2, 3]
    assert "past its respond-within of 1 business hour" in events[0].message
    told = [r[0] for r in app.db.execute("SELECT person_id FROM notifications WHERE title NOT LIKE 'New task%'"
                                         " ORDER BY id")]
    assert told == ["jordan", "leo", "maya"]


def test_escalation_waits_for_business_hours(app):
    late = NOW.replace(hour=22, minute=45)  # 16:45 in Chicago: due 09:15 next morning (45 min left today + 15)
    t = lead_task(app, email="eve@x.example", hot=True, now=late)
    assert t.due_at.astimezone(ZoneInfo("America/Chicago")).strftime("%a %H:%M") == "Wed 09:15"
    assert escalate_overdue(app.db, app.map, late + timedelta(hours=8)) == []  # night: not late yet


def test_the_senders_reply_on_the_thread_closes_the_reply_task(app):
    t = lead_task(app, email="ann@acme.example", subject="New website")
    with write_transaction(app.db):
        add_inquiry(app.db, email="ann@acme.example", subject="Re: New website", n=1)
    assert close_by_evidence(app.db, app.map, NOW) == [t.id]
    closed = get_task(app.db, t.id)
    assert closed.status == "done" and closed.closed_by.startswith("evidence: reply (inquiry ")
    (ev,) = list_events(app.db, kind="task_closed_by_evidence")
    assert ev.subject_id == str(t.id) and "replied on the thread" in ev.message
    assert close_by_evidence(app.db, app.map, NOW) == []


def test_crm_activity_on_the_contacts_deal_closes_it_but_old_activity_does_not(app):
    t = lead_task(app, email="bo@acme.example")
    db = app.db
    with write_transaction(db):
        db.execute("INSERT INTO crm_snapshots (id, crm, object, layout, file_name, sha256, as_of, as_of_source,"
                   " imported_at, rows) VALUES (1, 'hubspot', 'deals', 'x', 'f.csv', 's', 't', 'file', 't', 1)")
        db.execute("INSERT INTO crm_deals (crm, external_id, name, stage, status, first_snapshot, last_snapshot,"
                   " lead_contact_id) VALUES ('hubspot', 'D1', 'Acme site', 'Qualified', 'open', 1, 1, ?)",
                   (t.contact_id,))
        record_event(db, "activity_recorded", decided_by="rule:pipeline.yml", subject_type="deal",
                     subject_id="hubspot:D1", decision={"last_activity_at": "2026-11-20T10:00:00+00:00"},
                     message="'Acme site': activity on 2026-11-20")
    assert close_by_evidence(db, app.map, NOW) == []  # activity from before the task is not this work
    with write_transaction(db):
        record_event(db, "activity_recorded", decided_by="rule:pipeline.yml", subject_type="deal",
                     subject_id="hubspot:D1", decision={"last_activity_at": NOW.isoformat()},
                     message="'Acme site': activity on 2026-11-24")
    assert close_by_evidence(db, app.map, NOW) == [t.id]
    assert get_task(db, t.id).closed_by.startswith("evidence: activity_recorded (event ")
