"""`opsys watch` reads the mailboxes too: new mail on the server becomes an inquiry without a command."""

from __future__ import annotations

import threading

from tests.mail.conftest import PASSWORD_ENV, lead_mail
from tests.waiting import wait_until


def test_the_watcher_polls_and_idles_on_the_mailbox(mail_app, dovecot, monkeypatch):
    from opsys.daemon import Watcher

    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    dovecot.append(lead_mail(1))  # waiting on the server before the watcher starts
    w = Watcher(mail_app)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        count = lambda: mail_app.db.execute("SELECT COUNT(*) FROM mail_messages WHERE folder = 'INBOX'").fetchone()[0]
        wait_until(lambda: count() == 1, 60, "the first poll")
        dovecot.append(lead_mail(2))  # arrives while watching: IDLE (or the 5 s poll) brings it in
        wait_until(lambda: count() == 2, 60, "the new mail")
        assert mail_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 2
        assert not [p for p in mail_app.ws.inbox.iterdir() if p.is_file()]
    finally:
        w.request_stop()
        t.join(timeout=20)
    assert not t.is_alive()
    assert not [th for th in threading.enumerate() if th.name.startswith("opsys-idle-")]
