"""What goes wrong with real mailboxes: the server down at start, the connection dropped mid-fetch,
a wrong password — each said once and clearly, never with the password, nothing lost or doubled."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from opsys.sources.mailbox import open_source
from tests.mail.conftest import PASSWORD_ENV, fetcher_for, lead_mail


class DropsAfterFirstBatch:
    """A real IMAP source whose server is stopped right after the first FETCH batch was handed over."""

    def __init__(self, server, src):
        self.server, self.src, self.batches = server, src, 0

    def __getattr__(self, name):
        return getattr(self.src, name)

    def fetch(self, uids):
        yield from self.src.fetch(uids)
        self.batches += 1
        if self.batches == 1:
            self.server.stop()


def test_connection_dropped_mid_fetch_loses_nothing_and_doubles_nothing(mail_app, dovecot):
    dovecot.append_many([lead_mail(i) for i in range(6)])
    made = []

    def connect(box, password, root=".", timeout=60):
        made.append(DropsAfterFirstBatch(dovecot, open_source(box, password, root=root, timeout=10)))
        return made[-1]

    first = fetcher_for(mail_app, dovecot, connect=connect, batch=2).fetch()
    assert "hello" in first.problems and "connection" in first.problems["hello"]
    assert mail_app.db.execute("SELECT COUNT(*) FROM mail_messages").fetchone()[0] == 2
    dovecot.start()
    second = fetcher_for(mail_app, dovecot, batch=2).fetch()
    assert second.problems == {}
    assert mail_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 6
    uids = [r[0] for r in mail_app.db.execute("SELECT uid FROM mail_messages WHERE folder = 'INBOX'")]
    assert sorted(uids, key=int) == ["1", "2", "3", "4", "5", "6"]


def test_server_down_at_start_is_said_once_then_retried_with_backoff(mail_app, dovecot, caplog):
    from opsys.intake.mail_poll import MailPoller

    dovecot.append(lead_mail(1))
    dovecot.stop()
    t = [1000.0]
    poller = MailPoller(mail_app, environ={PASSWORD_ENV: dovecot.password}, clock=lambda: t[0])
    with caplog.at_level(logging.DEBUG, logger="opsys.intake.mail_poll"):
        r1 = poller.poll()
        assert "cannot reach 127.0.0.1" in r1.problems["hello"]
        t[0] += 1  # not due yet (backoff): no attempt at all
        assert poller.poll().problems == {}
        t[0] += 10
        assert "hello" in poller.poll().problems  # second attempt, still down
        t[0] += 5
        assert poller.poll().problems == {}  # the backoff doubled: 5 s, then 10 s
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "retrying with backoff" in warnings[0].getMessage()
        events = mail_app.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'mailbox_unreachable'").fetchone()[0]
        assert events == 1
        dovecot.start()
        t[0] += 30
        r = poller.poll()
        assert r.problems == {} and r.stored == 1
        assert any("can be read again" in rec.getMessage() for rec in caplog.records)


def test_cli_with_the_server_down_prints_one_clear_line_and_no_traceback(mail_app, dovecot):
    dovecot.stop()
    env = {**os.environ, PASSWORD_ENV: dovecot.password, "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-m", "opsys", "-w", str(mail_app.ws.root), "mail", "fetch"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr + p.stdout
    assert f"mailbox hello: cannot reach 127.0.0.1:{dovecot.port}" in p.stderr
    assert "check host, port and tls" in p.stderr


def test_the_password_never_reaches_logs_events_files_or_output(mail_app, dovecot, caplog):
    from opsys.check import check_workspace
    from opsys.intake.mail_reconcile import reconcile

    pw = dovecot.password
    dovecot.append(lead_mail(1))
    with caplog.at_level(logging.DEBUG):
        ok = fetcher_for(mail_app, dovecot).fetch()
        assert ok.stored == 1
        wrong = fetcher_for(mail_app, dovecot)
        wrong.environ = {PASSWORD_ENV: "not-" + pw}
        refused = wrong.fetch()
        assert "refused the login of leads" in refused.problems["hello"]
        assert f"${PASSWORD_ENV}" in refused.problems["hello"]
        reconcile(mail_app.map, mail_app.db, mail_app.ws.root, mail_app.clock(), environ={PASSWORD_ENV: pw})
        dovecot.stop()
        down = fetcher_for(mail_app, dovecot).fetch()
        assert down.problems
    said = caplog.text + repr(ok.as_dict()) + repr(refused.as_dict()) + repr(down.as_dict())
    said += "".join(str(tuple(r)) for r in mail_app.db.execute("SELECT * FROM events"))
    said += "".join(str(tuple(r)) for r in mail_app.db.execute("SELECT * FROM mail_messages"))
    said += "".join(str(tuple(r)) for r in mail_app.db.execute("SELECT * FROM mail_gaps"))
    assert pw not in said
    for path in mail_app.ws.var.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite3":
            assert pw.encode() not in path.read_bytes(), path
    assert pw.encode() not in mail_app.ws.db_path.read_bytes()
    report = check_workspace(mail_app.ws)
    assert pw not in repr(report.as_dict())


def test_check_warns_when_the_password_is_not_where_the_map_says(mail_app, dovecot, monkeypatch):
    from opsys.check import mailbox_findings

    found = mailbox_findings(mail_app.ws, mail_app.map, environ={})
    assert len(found) == 1
    f = found[0]
    assert f.severity == "warning" and str(f.file).endswith("sources.yml") and f.line is not None
    assert f"the environment variable {PASSWORD_ENV} is not set" in f.message
    assert mailbox_findings(mail_app.ws, mail_app.map, environ={PASSWORD_ENV: "x" * 12}) == []
