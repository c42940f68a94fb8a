"""End to end on the bundled sample inbox with the real models: every routed inquiry is one task."""

from __future__ import annotations

import shutil
from datetime import timedelta

from opsys.store.inquiries import list_inquiries
from opsys.store.tasks import list_tasks
from opsys.workspace import SAMPLE_INBOX


def test_every_routed_inquiry_gets_exactly_one_explained_task(runtime):
    for f in SAMPLE_INBOX.iterdir():
        shutil.copy2(f, runtime.ws.inbox / f.name)
    runtime.intake.consume(sorted(runtime.ws.inbox.iterdir()))
    inquiries = list_inquiries(runtime.db, leads_only=False)
    routed = {str(x.id): x for x in inquiries if x.route_action != "spam"}
    tasks = list_tasks(runtime.db, statuses=None)
    assert sorted(t.subject_id for t in tasks) == sorted(routed)  # one each, none for spam
    caps = {p.id: p.capacity for p in runtime.map.team.people}
    per_owner: dict[str, int] = {}
    for t in tasks:
        x = routed[t.subject_id]
        assert t.owner_id == x.owner_id and t.rule == x.route_rule  # one decision owns both
        assert t.kind == {"notify": "reply_to_hot_lead", "queue": "reply_to_lead", "escalate": "handle_urgent_issue",
                          "client_queue": "answer_client"}[x.route_action]
        assert t.explanation["candidates"] and all("open" in c and "capacity" in c for c in t.explanation["candidates"])
        assert t.context.what_to_do and t.due_at is not None
        per_owner[t.owner_id] = per_owner.get(t.owner_id, 0) + 1
    over = {p: n for p, n in per_owner.items() if n > caps[p] and p != runtime.map.routing.overflow_owner}
    assert not over, over
    # the jobs run clean on it, and a tick two business days on escalates what nobody answered
    report = runtime.jobs.run(max(t.created_at for t in tasks) + timedelta(days=3))
    assert not report.failed, report.failed
    assert report.get("escalate_overdue").steps
