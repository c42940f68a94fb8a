"""The sender against a real SMTP server on 127.0.0.1: after commit, once per key, retried with backoff,
rate-limited across runs, only in the sending window, never to an unsubscribed contact, no password leaks."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes, policy

from tests.outbox.conftest import MONDAY_10, PASSWORD, SmtpServer, contact, free_port, open_ws, spec, use_smtp


def run(app, now):
    report = app.jobs.run(now, ("send_mail",))
    assert not report.failed, report.failed
    return report.get("send_mail")


def status(app, mail_id):
    from opsys.store.outbox import get_mail

    return get_mail(app.db, mail_id)


def test_sent_after_commit_with_its_message_id_and_an_out_touch(workspace, smtp_server):
    from opsys.store.db import write_transaction
    from opsys.store.touches import touches_of
    from opsys.work.mail import queue_mail

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    cid = contact(app, "dana@bakery.example")
    with write_transaction(app.db):  # queued in the producer's transaction
        mail_id = queue_mail(app.db, app.map, MONDAY_10, spec("Dana Reyes <dana@bakery.example>", "k1", cid))
        assert smtp_server.handler.envelopes == []  # nothing leaves before the commit
    r = run(app, MONDAY_10)
    assert r.sent == 1
    env = smtp_server.handler.envelopes[0]
    assert env.rcpt_tos == ["dana@bakery.example"]
    msg = message_from_bytes(env.content, policy=policy.default)
    mail = status(app, mail_id)
    assert mail.status == "sent" and msg["Message-ID"] == mail.message_id
    assert msg["From"] == "Brightside Digital <hello@brightside.example>"
    assert "Just checking in." in msg.get_content()
    assert mail.message_id.endswith("@brightside.example>")
    [touch] = touches_of(app.db, cid)
    assert (touch.direction, touch.source) == ("out", f"mail:{mail.message_id}")
    assert run(app, MONDAY_10 + timedelta(minutes=5)).sent == 0  # sent once


def test_the_same_key_twice_sends_once(workspace, smtp_server):
    from opsys.store.events import list_events
    from opsys.work.mail import queue_mail

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    a = queue_mail(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "followup:1:step:0"))
    run(app, MONDAY_10)
    b = queue_mail(app.db, app.map, MONDAY_10 + timedelta(hours=1),
                   spec("dana@bakery.example", "followup:1:step:0", subject="Different words"))
    run(app, MONDAY_10 + timedelta(hours=1))
    assert a == b
    assert len(smtp_server.handler.envelopes) == 1
    assert len(list_events(app.db, kind="mail_queued")) == 1


def test_server_down_is_retried_with_backoff_and_sent_later(workspace):
    from opsys.notify.mail_out import retry_delay
    from opsys.store.events import list_events
    from opsys.work.mail import queue_mail

    port = free_port()
    use_smtp(workspace, port)
    app = open_ws(workspace)
    mail_id = queue_mail(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "k-down"))
    r = run(app, MONDAY_10)  # nobody listens on the port
    assert (r.sent, r.retried) == (0, 1)
    mail = status(app, mail_id)
    assert mail.status == "queued" and mail.attempts == 1
    assert mail.next_attempt_at == MONDAY_10 + timedelta(minutes=5)
    assert "cannot reach 127.0.0.1" in mail.last_error
    run(app, MONDAY_10 + timedelta(minutes=5))  # still down: the wait doubles
    assert status(app, mail_id).next_attempt_at == MONDAY_10 + timedelta(minutes=15)
    assert retry_delay(3) == timedelta(minutes=20) and retry_delay(20) == timedelta(hours=6)
    server = SmtpServer(port).start()
    try:
        assert run(app, MONDAY_10 + timedelta(minutes=14)).sent == 0  # not due yet
        assert server.handler.envelopes == []
        assert run(app, MONDAY_10 + timedelta(minutes=15)).sent == 1
        assert len(server.handler.envelopes) == 1
    finally:
        server.stop()
    mail = status(app, mail_id)
    assert mail.status == "sent" and mail.attempts == 3
    assert [e.decision["status"] for e in list_events(app.db, kind="mail_send_failed")] == ["queued", "queued"]


def test_a_row_left_sending_by_a_crash_is_sent_again_with_the_same_message_id(workspace, smtp_server):
    from opsys.store.db import write_transaction
    from opsys.store.outbox import mark_sending
    from opsys.work.mail import queue_mail

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    mail_id = queue_mail(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "k-crash"))
    with write_transaction(app.db):
        mark_sending(app.db, mail_id, MONDAY_10)  # the process died after claiming it
    app.close()
    app = open_ws(workspace)
    assert run(app, MONDAY_10 + timedelta(minutes=1)).sent == 1
    assert smtp_server.handler.message_ids == [status(app, mail_id).message_id]


def test_rate_limit_holds_across_runs(workspace, smtp_server):
    from opsys.work.mail import queue_mail

    use_smtp(workspace, smtp_server.port, per_hour=2)
    app = open_ws(workspace)
    ids = [queue_mail(app.db, app.map, MONDAY_10, spec(f"lead{i}@example.com", f"k-rate-{i}")) for i in range(3)]
    r = run(app, MONDAY_10)
    assert (r.sent, r.deferred) == (2, 1)
    app.close()
    app = open_ws(workspace)  # a new process: the count comes from the store
    assert run(app, MONDAY_10 + timedelta(minutes=30)).sent == 0
    assert status(app, ids[2]).next_attempt_at == MONDAY_10 + timedelta(hours=1)
    assert run(app, MONDAY_10 + timedelta(minutes=61)).sent == 1
    assert len(smtp_server.handler.envelopes) == 3


def test_nothing_goes_out_outside_the_sending_window(workspace, smtp_server):
    from opsys.work.mail import queue_mail

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    friday_evening = MONDAY_10 - timedelta(days=3) + timedelta(hours=8)  # Fri 4 Dec, 18:00 Chicago
    firm = queue_mail(app.db, app.map, friday_evening, spec("dana@bakery.example", "k-weekend"))
    london = queue_mail(app.db, app.map, friday_evening, spec("tom@example.co.uk", "k-london",
                                                              timezone="Europe/London"))
    london_opens, firm_opens = MONDAY_10 - timedelta(hours=7), MONDAY_10 - timedelta(hours=1)  # 09:00 each
    t = friday_evening
    while t < london_opens:  # Friday evening and the weekend, in both timezones
        run(app, t)
        t += timedelta(hours=3)
    run(app, london_opens - timedelta(minutes=1))
    assert smtp_server.handler.envelopes == [], "mail went out outside working hours"
    assert status(app, firm).next_attempt_at == firm_opens
    assert status(app, london).next_attempt_at == london_opens
    run(app, london_opens)  # 03:00 in Chicago: the London contact's morning, not the firm's
    assert [e.rcpt_tos for e in smtp_server.handler.envelopes] == [["tom@example.co.uk"]]
    run(app, firm_opens - timedelta(minutes=1))
    assert len(smtp_server.handler.envelopes) == 1
    run(app, firm_opens)
    assert len(smtp_server.handler.envelopes) == 2
    assert status(app, london).status == status(app, firm).status == "sent"


def test_an_unsubscribed_contact_is_never_mailed(workspace, smtp_server):
    from opsys.store.contacts import mark_undeliverable, mark_unsubscribed
    from opsys.store.db import write_transaction
    from opsys.store.events import list_events
    from opsys.work.mail import queue_mail

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    gone = contact(app, "gone@example.com")
    later = contact(app, "later@example.com", name="Lee Later")
    with write_transaction(app.db):
        mark_unsubscribed(app.db, gone, MONDAY_10 - timedelta(days=1), "inquiry:1")
    refused = queue_mail(app.db, app.map, MONDAY_10, spec("gone@example.com", "k-gone"))  # found by address
    queued = queue_mail(app.db, app.map, MONDAY_10, spec("later@example.com", "k-later", later))
    with write_transaction(app.db):  # the address bounced after the mail was queued
        mark_undeliverable(app.db, later, MONDAY_10, "inquiry:2")
    r = run(app, MONDAY_10)
    assert smtp_server.handler.envelopes == []
    assert (r.sent, r.refused) == (0, 1)
    assert status(app, refused).status == status(app, queued).status == "rejected"
    assert "unsubscribed" in status(app, refused).last_error
    assert "undeliverable" in status(app, queued).last_error
    assert len(list_events(app.db, kind="mail_refused")) == 2


def test_without_smtp_each_mail_is_written_as_eml_and_the_command_says_so(workspace):
    from typer.testing import CliRunner

    from opsys.cli.main import app as cli
    from opsys.work.mail import queue_mail

    app = open_ws(workspace)  # the sample sources.yml has no smtp: block
    cid = contact(app, "dana@bakery.example")
    mail_id = queue_mail(app.db, app.map, MONDAY_10, spec("Dana Reyes <dana@bakery.example>", "k-eml", cid,
                                                           in_reply_to="<lead-1@bakery.example>"))
    app.close()
    out = CliRunner().invoke(cli, ["-w", str(workspace.root), "tick", "--now", MONDAY_10.isoformat()])
    assert out.exit_code == 0, out.output
    assert "1 written to var/outbox/mail/ for a person to send (no SMTP configured)" in out.output
    app = open_ws(workspace)
    mail = status(app, mail_id)
    assert mail.status == "written"
    [path] = list((workspace.outbox / "mail").glob("*.eml"))
    assert str(path) == mail.written_path
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["To"] == "Dana Reyes <dana@bakery.example>" and msg["Message-ID"] == mail.message_id
    assert msg["In-Reply-To"] == "<lead-1@bakery.example>" and msg["Subject"] == "Checking in"
    assert msg.get_content().startswith("Hi Dana,")
    listing = CliRunner().invoke(cli, ["-w", str(workspace.root), "outbox"])
    assert "1 written" in listing.output and "no SMTP configured" in listing.output


def test_the_password_never_reaches_events_or_errors(workspace, monkeypatch):
    from opsys.work.mail import queue_mail

    server = SmtpServer(free_port(), password=PASSWORD).start()
    try:
        use_smtp(workspace, server.port, user="hello@brightside.example")
        monkeypatch.setenv("OPSYS_TEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
        app = open_ws(workspace)
        bad = queue_mail(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "k-auth"))
        r = run(app, MONDAY_10)
        assert (r.sent, r.retried) == (0, 1)
        assert "refused the login of hello@brightside.example" in status(app, bad).last_error
        monkeypatch.setenv("OPSYS_TEST_SMTP_PASSWORD", PASSWORD)  # fixed: the retry logs in and sends
        assert run(app, MONDAY_10 + timedelta(minutes=5)).sent == 1
        assert set(server.logins) == {"hello@brightside.example"}  # smtplib tries PLAIN, then LOGIN
        dump = json.dumps([list(r) for r in app.db.execute("SELECT * FROM events")], default=str)
        dump += json.dumps([list(r) for r in app.db.execute("SELECT * FROM outbox")], default=str)
        assert PASSWORD not in dump and "hello@brightside.example" in dump
    finally:
        server.stop()


def test_a_missing_password_variable_names_the_fix(workspace, monkeypatch, smtp_server):
    use_smtp(workspace, smtp_server.port, user="hello@brightside.example")
    monkeypatch.delenv("OPSYS_TEST_SMTP_PASSWORD", raising=False)
    app = open_ws(workspace)
    report = app.jobs.run(MONDAY_10, ("send_mail",))
    assert "OPSYS_TEST_SMTP_PASSWORD" in report.failed["send_mail"]


def test_a_literal_password_in_the_map_is_refused(workspace):
    import pytest

    from opsys.config.loader import ConfigError, load_system_map

    use_smtp(workspace, 2525, extra="    password: hunter22\n")
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    assert "sources.yml" in str(e.value) and "never write the password" in str(e.value)
    assert "hunter22" not in str(e.value)


def test_check_names_an_unset_password_and_a_sent_copy_without_a_mailbox(workspace, monkeypatch):
    from opsys.check import check_workspace

    use_smtp(workspace, 2525, user="hello@brightside.example", extra="    sent_copy: nowhere\n")
    monkeypatch.delenv("OPSYS_TEST_SMTP_PASSWORD", raising=False)
    report = check_workspace(workspace)
    said = [str(f) for f in report.findings if "outbound.smtp" in f.message]
    assert any("sources.yml:" in s and "warning: outbound.smtp.password_env" in s and "OPSYS_TEST_SMTP_PASSWORD" in s
               for s in said), said
    assert any("outbound.smtp.sent_copy: 'nowhere' is not an imap mailbox" in s for s in said), said
