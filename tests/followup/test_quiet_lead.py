"""The quiet-lead nudge walked through three weeks: day 3 and day 7 mails once each, then a call task;
a reply stops it, an auto-reply does not, an unsubscribe does; downtime fires a missed step once, late."""

from __future__ import annotations

from datetime import UTC

from tests.followup.conftest import ct, drop_mail, events, outbox, walk

LEAD = "dana@ridgewayoutdoor.example"
TEAM = "jordan@brightside.example"


def _lead_and_answer(app, clock):
    """Monday 2 Nov: a lead writes at 10:00, Jordan answers at 11:00 (the team's mail: an out touch)."""
    mid = drop_mail(app, clock, frm=f"Dana Whitfield <{LEAD}>", to="hello@brightside.example",
                    subject="New Shopify store for our outdoor shop",
                    body="Hi, we sell camping gear and want to move from WooCommerce to Shopify. Budget about "
                         "$15k, launch in spring. Could you send a proposal?", at=ct(2026, 11, 2, 10))
    drop_mail(app, clock, frm=f"Jordan Reyes <{TEAM}>", to=LEAD, subject="Re: New Shopify store for our outdoor shop",
              body="Hi Dana, thanks for reaching out! Happy to help. When would suit you for a call?",
              at=ct(2026, 11, 2, 11), in_reply_to=mid)
    return mid


def _steps(app):
    return [(e.inputs["step"], e.decision["outcome"], e.inputs["late"], e.inputs["due_at"])
            for e in events(app, "sequence_step")]


def test_day_3_and_day_7_nudges_fire_once_each_then_a_call_task(fapp, clock):
    _lead_and_answer(fapp, clock)
    reports = walk(fapp, ct(2026, 11, 2, 12), ct(2026, 11, 20, 17), clock=clock)
    assert not any(r.failed for r in reports), [r.failed for r in reports if r.failed]
    steps = _steps(fapp)
    assert [(s[0], s[1]) for s in steps] == [(0, "mail queued"), (2, "mail queued"), (4, "task opened")]
    enrolled = events(fapp, "sequence_enrolled")
    assert len(enrolled) == 1 and enrolled[0].decided_by == "rule:sequences.yml#quiet-lead.trigger"
    # business day 3 and 7 after Monday 2 Nov (Veterans Day, Wed 11 Nov, is worked by the firm),
    # each fired by the first tick after it was due (the test ticks every 3 hours)
    assert steps[0][3].startswith("2026-11-05T17:00") and steps[1][3].startswith("2026-11-11")
    assert all(e.inputs["late_by_seconds"] <= 3 * 3600 for e in events(fapp, "sequence_step"))
    mails = outbox(fapp)
    assert [(x.status, x.subject) for x in mails] == [("waiting_approval", "Re: New Shopify store for our outdoor shop")] * 2
    assert all(x.to == LEAD and "Hi Dana," in x.body for x in mails)
    assert [e.decision["reason"] for e in events(fapp, "sequence_done")] == ["all steps ran"]
    from opsys.store.tasks import list_tasks

    calls = [t for t in list_tasks(fapp.db) if t.kind == "follow_up_call"]
    assert len(calls) == 1 and calls[0].owner_id == "jordan"  # whoever handled the contact last


def test_a_reply_stops_it_and_an_auto_reply_does_not(fapp, clock):
    mid = _lead_and_answer(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 12), ct(2026, 11, 6, 10), clock=clock)  # day-3 nudge queued on Thu 5
    drop_mail(fapp, clock, frm=f"Dana Whitfield <{LEAD}>", to=TEAM, subject="Automatic reply: New Shopify store",
              body="I am out of the office until 16 November with limited access to email.", at=ct(2026, 11, 6, 11),
              headers={"Auto-Submitted": "auto-replied"}, in_reply_to=mid)
    walk(fapp, ct(2026, 11, 6, 12), ct(2026, 11, 9, 17), clock=clock)
    assert events(fapp, "sequence_exited") == []  # the out-of-office is no reply
    drop_mail(fapp, clock, frm=f"Dana Whitfield <{LEAD}>", to=TEAM, subject="Re: New Shopify store for our outdoor shop",
              body="Sorry for the slow answer, Tuesday at 2pm works for a call.", at=ct(2026, 11, 10, 9),
              in_reply_to=mid)
    walk(fapp, ct(2026, 11, 10, 10), ct(2026, 11, 20, 17), clock=clock)
    [stop] = events(fapp, "sequence_exited")
    assert stop.decided_by == "rule:sequences.yml#quiet-lead.exit_on.reply"
    assert [(s[0], s[1]) for s in _steps(fapp)] == [(0, "mail queued")]  # no day-7 mail, no call task


def test_downtime_fires_the_missed_step_once_marked_late(fapp, clock):
    """Nothing runs from Tuesday 3 to Monday 16 Nov; the day-3 nudge fires once on restart, late, and the
    day-7 one counts from then, so two nudges never go out together."""
    _lead_and_answer(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 12), ct(2026, 11, 3, 12), clock=clock)
    first = walk(fapp, ct(2026, 11, 16, 9), ct(2026, 11, 16, 9), clock=clock)
    assert first[0].get("fire_timers").late == 1
    [step] = events(fapp, "sequence_step")
    assert step.inputs["late"] and step.inputs["late_by_seconds"] > 10 * 24 * 3600
    assert "late" in step.message
    again = fapp.jobs.run(ct(2026, 11, 16, 9).astimezone(UTC))  # the same moment again: nothing fires twice
    assert again.get("fire_timers").fired == ()
    walk(fapp, ct(2026, 11, 16, 12), ct(2026, 11, 27, 17), clock=clock)
    steps = events(fapp, "sequence_step")
    assert [e.inputs["step"] for e in steps] == [0, 2, 4]
    assert steps[1].inputs["due_at"].startswith("2026-11-20")  # 4 business days after the late Monday


def test_unsubscribe_stops_it(fapp, clock):
    mid = _lead_and_answer(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 12), ct(2026, 11, 6, 10), clock=clock)
    drop_mail(fapp, clock, frm=f"Dana Whitfield <{LEAD}>", to=TEAM, subject="unsubscribe",
              body="Please remove me from your list.", at=ct(2026, 11, 6, 11), in_reply_to=mid,
              headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    walk(fapp, ct(2026, 11, 6, 12), ct(2026, 11, 20, 17), clock=clock)
    [stop] = events(fapp, "sequence_exited")
    assert (stop.decision["reason"], stop.decided_by) == ("unsubscribe", "rule:sequences.yml#quiet-lead.exit_on.unsubscribe")
    from opsys.store.contacts import consent_of

    assert consent_of(fapp.db, int(stop.subject_id)) == "unsubscribed"
    assert [s[0] for s in _steps(fapp)] == [0]


def test_never_two_sequences_at_once(fapp, clock):
    """A quiet lead whose job then closes leaves the nudge for the close-out; the store refuses a second one."""
    _lead_and_answer(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 12), ct(2026, 11, 6, 10), clock=clock)
    from opsys.followup.commands import close_job_now
    from opsys.store.db import write_transaction
    from opsys.store.timers import active_enrolments, enrol

    close_job_now(fapp.db, fapp.map, ct(2026, 11, 6, 11).astimezone(UTC), LEAD, ct(2026, 11, 6, 11).astimezone(UTC),
                  by="person:jordan")
    [active] = active_enrolments(fapp.db)
    assert active.sequence == "close-out"
    assert events(fapp, "sequence_exited")[0].decision["reason"] == "superseded"
    with write_transaction(fapp.db):
        assert enrol(fapp.db, contact_id=active.contact_id, sequence="quiet-lead", trigger="t", subject=None,
                     started_at=ct(2026, 11, 6, 12)) is None
    walk(fapp, ct(2026, 11, 6, 12), ct(2026, 11, 30, 17), clock=clock)
    assert len(active_enrolments(fapp.db)) == 0
    assert len(events(fapp, "sequence_enrolled")) == 2  # cool-down and "never again after it ran out" hold
