"""The founder's page without the models: acknowledgement by fingerprint, resolution by evidence,
ranking with its reason, the digest once per business day, founder.yml errors, and the audience."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsys.app import open_app
from opsys.founder.items import item_id
from opsys.founder.page import UnknownItem, acknowledge, collect, rank
from opsys.records.founder import FounderItem, Section
from tests.conftest import point_notifications_at

MON_0805_CST = datetime(2026, 11, 16, 14, 5, tzinfo=UTC)  # Monday 08:05 in America/Chicago


@pytest.fixture
def app(workspace):
    a = open_app(workspace)
    yield a
    a.close()


def quarantine(app, name: str) -> None:
    (app.ws.quarantine / name).write_text("not a lead")
    (app.ws.quarantine / f"{name}.error.txt").write_text("what was wrong")


def keys(app, now=MON_0805_CST) -> set[str]:
    return {r.item.key for r in collect(app, now).items}


def test_an_acknowledged_item_returns_only_when_it_changes_and_goes_when_resolved(app):
    quarantine(app, "a.docx")
    page = collect(app, MON_0805_CST)
    [item] = [r for r in page.items if r.item.key == "quarantine"]
    assert item.item.section == Section.ANOMALY and "1 file in quarantine: a.docx" in item.item.title
    acknowledge(app, item.id, MON_0805_CST, by="maya", note="asked Jordan to resend")
    again = collect(app, MON_0805_CST)
    assert "quarantine" not in {r.item.key for r in again.items} and again.acknowledged == 1
    with pytest.raises(UnknownItem):  # not on the page any more
        acknowledge(app, item.id, MON_0805_CST, by="maya")
    quarantine(app, "b.json")  # the item changed: it is back, with both files
    [back] = [r for r in collect(app, MON_0805_CST).items if r.item.key == "quarantine"]
    assert "2 files in quarantine" in back.item.title and back.id == item.id  # same key, same id
    for p in app.ws.quarantine.iterdir():  # resolved by evidence: nothing left in quarantine
        p.unlink()
    assert "quarantine" not in keys(app)
    from opsys.store.events import list_events

    [ev] = list_events(app.db, kind="founder_item_acknowledged")
    assert ev.decided_by == "person:maya" and ev.decision["note"] == "asked Jordan to resend"


def test_ranking_says_why_severity_then_money_then_age():
    now = datetime(2026, 11, 16, 15, tzinfo=UTC)
    mk = lambda key, sev, money, day: FounderItem(key, Section.DECISION, key, "why", datetime(2026, 11, day, tzinfo=UTC),
                                                   "f", severity=sev, money=money)
    ranked = rank([mk("old-small", 2, None, 2), mk("big", 2, 30000, 14), mk("urgent", 1, None, 15),
                   mk("newer-small", 2, None, 10)], now, "USD")
    assert [r.item.key for r in ranked] == ["urgent", "big", "old-small", "newer-small"]
    assert ranked[1].reason == "severity 2 · 30,000 USD at stake · 2 d old"
    assert ranked[0].id == item_id("urgent") and len(ranked[0].id) == 6


def test_the_digest_goes_once_per_business_day_after_its_time(workspace, listener):
    point_notifications_at(workspace, listener.port)
    app = open_app(workspace)
    early = datetime(2026, 11, 16, 13, 55, tzinfo=UTC)  # 07:55 local: not yet
    assert app.jobs.run(early).get("founder_page").digest_queued == 0
    r = app.jobs.run(MON_0805_CST).get("founder_page")
    assert r.digest_queued == 1
    assert [x.path for x in listener.received] == ["/maya"]  # sent in the same run, to the founder
    assert listener.received[0].body["title"].startswith("Today: ")
    assert "Handled without you since yesterday" in listener.received[0].body["message"]
    assert app.jobs.run(datetime(2026, 11, 16, 20, tzinfo=UTC)).get("founder_page").digest_queued == 0
    saturday = datetime(2026, 11, 21, 15, tzinfo=UTC)
    assert app.jobs.run(saturday).get("founder_page").digest_queued == 0
    assert app.jobs.run(datetime(2026, 11, 23, 14, 30, tzinfo=UTC)).get("founder_page").digest_queued == 1
    from opsys.store.events import list_events

    assert [e.subject_id for e in list_events(app.db, kind="founder_digest_queued")] == ["2026-11-16", "2026-11-23"]
    from opsys.store.outbox import list_mail

    mails = [x for x in list_mail(app.db) if x.subject.startswith("Today: ")]
    assert [x.to for x in mails] == ["maya@brightside.example"] * 2  # and by mail, once a day
    app.close()


def test_every_jobs_run_rebuilds_the_founder_page_last(app):
    from opsys.jobs import JOBS

    assert JOBS[-1].name == "founder_page"
    quarantine(app, "x.eml")
    app.jobs.run(MON_0805_CST)
    text = (app.ws.pages / "today.md").read_text()
    assert text.startswith("---\ntitle: Today\naudience: founder\n")
    assert "1 file in quarantine: x.eml" in text and f"id `{item_id('quarantine')}`" in text
    assert "## Anomalies (1)" in text and "**Handled without you since yesterday:**" in text


def test_untrusted_names_are_inert_on_the_page(app):
    quarantine(app, "<img src=x onerror=alert(1)>`rm -rf`.eml")
    app.jobs.run(MON_0805_CST)
    text = (app.ws.pages / "today.md").read_text()
    import markdown

    html = markdown.markdown(text.split("---\n", 2)[2], extensions=["md_in_html"])
    assert "<img" not in html and "&lt;img" in html  # inert as text and inside code spans
    assert "<code>rm -rf</code>" not in html  # a name cannot open its own code span


def test_a_bad_founder_yml_names_file_line_and_field(workspace):
    from opsys.config.loader import ConfigError, load_system_map

    path = workspace.system_map / "founder.yml"
    path.write_text(path.read_text().replace("pipeline_drop_percent: 20", "pipeline_drop_percent: 250"))
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "pipeline_drop_percent" in t)
    assert f"founder.yml:{line}: anomalies.pipeline_drop_percent:" in str(e.value)


def test_opsys_check_refuses_a_digest_to_nobody(workspace):
    from opsys.check import check_workspace

    path = workspace.system_map / "founder.yml"
    path.write_text(path.read_text().replace("to: []", "to: [mya]"))
    report = check_workspace(workspace)
    [err] = [f for f in report.errors if "digest.to" in f.message]
    assert "'mya' is not a person of team.yml" in err.message and err.line == 7


def test_opsys_today_and_ack_from_the_terminal(workspace):
    import json

    from typer.testing import CliRunner

    from opsys.cli.main import app as cli

    (workspace.quarantine / "odd.docx").write_text("x")
    run = lambda *args: CliRunner().invoke(cli, ["-w", str(workspace.root), *args])
    r = run("today", "--now", "2026-11-16T14:05:00+00:00", "--json")
    assert r.exit_code == 0, r.output
    page = json.loads(r.output)
    [item] = [i for i in page["items"] if i["key"] == "quarantine"]
    assert item["section"] == "anomaly" and item["rank_reason"].startswith("severity 2")
    text = run("today", "--now", "2026-11-16T14:05:00+00:00")
    assert f"[{item['id']}] 1 file in quarantine: odd.docx" in text.output and "resolve: " in text.output
    r = run("ack", item["id"], "--note", "ignore: a brochure", "--by", "maya", "--now", "2026-11-16T14:06:00+00:00")
    assert r.exit_code == 0 and "acknowledged" in r.output
    assert run("ack", item["id"]).exit_code == 1  # gone: nothing to acknowledge
    page = json.loads(run("today", "--json", "--now", "2026-11-16T14:07:00+00:00").output)
    assert "quarantine" not in {i["key"] for i in page["items"]} and page["acknowledged_hidden"] == 1


def test_an_sop_long_past_its_review_date_is_an_anomaly_until_reviewed(app):
    sop = app.ws.sops / "lead-follow-up.md"
    text = sop.read_text()
    sop.write_text(text.replace("last_reviewed: 2026-11-20", "last_reviewed: 2026-04-01"))  # due 2026-10-01
    [item] = [r.item for r in collect(app, MON_0805_CST).items if r.item.key == "sops:review"]
    assert "1 SOP past their review date" in item.title and "owner sales" in item.title
    assert item.evidence == ("sops/lead-follow-up.md",)
    sop.write_text(text)  # reviewed: gone
    assert "sops:review" not in keys(app)


def test_mail_the_outbox_gave_up_on_is_an_anomaly(app):
    from opsys.records.mail import MailSpec
    from opsys.store.db import write_transaction
    from opsys.store.outbox import mark_failed
    from opsys.work.mail import queue_mail

    with write_transaction(app.db):
        mid = queue_mail(app.db, app.map, MON_0805_CST, MailSpec("dana@example.org", "Your proposal", "Hello",
                                                               "rule:test", "k1"))
        mark_failed(app.db, mid, MON_0805_CST, attempts=5, error="550 mailbox unavailable")
    [item] = [r.item for r in collect(app, MON_0805_CST).items if r.item.key == "mail:failed"]
    assert "1 mail failed to send: dana@example.org" in item.title and "550 mailbox unavailable" in item.why
