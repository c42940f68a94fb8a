"""The close-out walked through real days: business day 3 a satisfaction check, the reply read by the
embedding classifier, business day 5 a review request only for a happy client; an unhappy one gets
the account manager and the founder's page instead; no reply, no review request; holidays shift it."""

from __future__ import annotations

from datetime import UTC

from typer.testing import CliRunner

from tests.followup.conftest import ct, drop_mail, events, outbox, walk

CLIENT = "ruth@harbordental.example"


def _client(app, clock):
    """A client the firm knows (an earlier mail), then the job closes by command on Monday 2 Nov 10:00."""
    drop_mail(app, clock, frm=f"Ruth Alvarez <{CLIENT}>", to="hello@brightside.example",
              subject="Kids microsite", body="Hi, can we add a page for the kids' clinic to our site? Thanks, Ruth",
              at=ct(2026, 10, 26, 10))
    from opsys.followup.commands import close_job_now

    msg = close_job_now(app.db, app.map, ct(2026, 11, 2, 10).astimezone(UTC), CLIENT,
                        ct(2026, 11, 2, 10).astimezone(UTC), by="person:priya")
    assert "close-out: contact" in msg


def _reply(app, clock, text: str, at):
    check = next(x for x in outbox(app) if x.subject == "How did we do?")
    drop_mail(app, clock, frm=f"Ruth Alvarez <{CLIENT}>", to="hello@brightside.example", subject="Re: How did we do?",
              body=text, at=at, in_reply_to=check.message_id)


def _subjects(app):
    return [x.subject for x in outbox(app)]


def test_positive_reply_gets_the_review_request_on_business_day_5(fapp, clock):
    _client(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 11), ct(2026, 11, 5, 12), clock=clock)
    assert _subjects(fapp) == ["How did we do?"]  # business day 3: Thursday 5 Nov
    assert outbox(fapp)[0].status != "waiting_approval"  # close-out is approval: auto
    _reply(fapp, clock, "We're really happy with how the new site turned out, thank you all so much!",
           ct(2026, 11, 5, 14))
    walk(fapp, ct(2026, 11, 5, 15), ct(2026, 11, 9, 9), clock=clock)
    assert _subjects(fapp) == ["How did we do?"]  # not before day 5
    walk(fapp, ct(2026, 11, 9, 10), ct(2026, 11, 10, 17), clock=clock)
    assert _subjects(fapp) == ["How did we do?", "A small favour"]
    review = outbox(fapp)[1]
    assert "https://g.page/r/brightside-digital/review" in review.body and review.to == CLIENT
    [read] = events(fapp, "reply_classified")
    assert read.decision == {"sentiment": "positive", "sure": True} and read.decided_by.startswith("embedding:")
    step = [e for e in events(fapp, "sequence_step") if e.inputs["step"] == 3][0]
    assert step.inputs["due_at"].startswith("2026-11-09")  # Monday: business day 5


def test_negative_reply_gets_a_task_and_the_founder_not_a_review_request(fapp, clock):
    _client(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 11), ct(2026, 11, 5, 12), clock=clock)
    _reply(fapp, clock, "Honestly we're not happy. The booking form still double-books chairs and nobody answered "
                        "our emails for three days.", ct(2026, 11, 5, 14))
    walk(fapp, ct(2026, 11, 5, 15), ct(2026, 11, 12, 17), clock=clock)
    assert _subjects(fapp) == ["How did we do?"]
    from opsys.store.tasks import list_tasks

    [task] = [t for t in list_tasks(fapp.db) if t.kind == "client_concern"]
    assert task.owner_id == "priya"  # Harbor Dental's account manager (clients.yml)
    from opsys.followup.founder_items import negative_reply_items

    [item] = list(negative_reply_items(fapp, ct(2026, 11, 12, 17)))
    assert item.key.startswith("followup:negative-reply:") and "double-books" in item.why
    assert item.resolve == f"opsys task done {task.id}"
    skipped = [e for e in events(fapp, "sequence_step") if e.inputs["step"] == 3][0]
    assert skipped.decision["outcome"] == "skipped"
    from opsys.work.commands import close_task

    close_task(fapp.db, task.id, ct(2026, 11, 12, 17).astimezone(UTC), "priya", "called Ruth, fixing the form")
    assert list(negative_reply_items(fapp, ct(2026, 11, 12, 18))) == []  # resolved by the closed task


def test_no_reply_means_no_review_request(fapp, clock):
    _client(fapp, clock)
    walk(fapp, ct(2026, 11, 2, 11), ct(2026, 11, 13, 17), clock=clock)
    assert _subjects(fapp) == ["How did we do?"]
    assert [e.decision["reason"] for e in events(fapp, "sequence_done")] == ["all steps ran"]


def test_holiday_moves_business_days(fapp, clock):
    """Closed Tuesday 24 Nov: Thanksgiving (Thu 26) is not a business day, so day 3 is Monday 30 Nov and
    day 5 is Wednesday 2 Dec."""
    drop_mail(fapp, clock, frm=f"Ruth Alvarez <{CLIENT}>", to="hello@brightside.example", subject="Kids microsite",
              body="Hi, can we add a page for the kids' clinic to our site? Thanks, Ruth", at=ct(2026, 11, 20, 10))
    from opsys.followup.commands import close_job_now

    close_job_now(fapp.db, fapp.map, ct(2026, 11, 24, 10).astimezone(UTC), CLIENT, ct(2026, 11, 24, 10).astimezone(UTC),
                  by="person:priya")
    [t] = events(fapp, "sequence_enrolled")
    assert t.decision["first_due"] == "2026-11-30T10:00:00-06:00"
    walk(fapp, ct(2026, 11, 30, 11), ct(2026, 12, 2, 12), clock=clock)
    day5 = [e for e in events(fapp, "sequence_step") if e.inputs["step"] == 3]
    assert day5[0].inputs["due_at"].startswith("2026-12-02") and day5[0].decision["outcome"] == "skipped"


def test_cli_job_close_sequences_and_tick(fapp, workspace, clock):
    """`opsys job close`, `opsys sequences --json`, `opsys tick --now`, `opsys sequence stop` on a real workspace."""
    import json
    from datetime import datetime

    from opsys.cli.main import app as cli
    from opsys.followup.schedule import add_wait
    from opsys.rules.business_time import BusinessTime, parse_duration

    drop_mail(fapp, clock, frm=f"Ruth Alvarez <{CLIENT}>", to="hello@brightside.example",
              subject="Kids microsite", body="Hi, can we add a kids' page? Thanks, Ruth", at=ct(2026, 11, 20, 10))
    run = CliRunner().invoke
    w = ["-w", str(workspace.root)]
    r = run(cli, [*w, "job", "close", "--contact", CLIENT])
    assert r.exit_code == 0 and "close-out: contact" in r.output, r.output
    [row] = json.loads(run(cli, [*w, "sequences", "--json"]).output)
    assert (row["sequence"], row["next_step"], row["next_action"]) == ("close-out", 1, "mail satisfaction-check")
    bt = BusinessTime.for_firm(fapp.map.team.firm)
    due = datetime.fromisoformat(row["due_at"])
    assert due == add_wait(bt, datetime.fromisoformat(row["started_at"]), parse_duration("3 business days"))
    r = run(cli, [*w, "tick", "--now", (due.astimezone(UTC)).isoformat(), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["steps"]["fire_timers"]["fired"] == ["close-out #1 step 1: mail queued"]
    [row] = json.loads(run(cli, [*w, "sequences", "--json"]).output)
    assert (row["next_step"], row["next_action"]) == (3, "mail review-request (when positive)")
    r = run(cli, [*w, "sequence", "stop", CLIENT, "--note", "client asked us to stop", "--by", "priya"])
    assert r.exit_code == 0 and "stopped close-out" in r.output, r.output
    assert json.loads(run(cli, [*w, "sequences", "--json"]).output) == []
    [stop] = events(fapp, "sequence_exited")
    assert stop.decided_by == "person:priya" and stop.decision["reason"] == "manual: client asked us to stop"
    r = run(cli, [*w, "sequence", "stop", CLIENT])
    assert r.exit_code == 1 and "is in no sequence" in r.output
