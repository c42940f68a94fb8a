"""Sent mail is appended to the firm's IMAP Sent folder (a real Dovecot on 127.0.0.1), so the team sees it."""

from __future__ import annotations

from email import message_from_bytes, policy

from tests.mail.conftest import PASSWORD_ENV, add_mailbox, dovecot  # noqa: F401  (the shared Dovecot fixture)
from tests.outbox.conftest import MONDAY_10, contact, open_ws, spec, use_smtp


def test_a_sent_mail_lands_in_the_sent_folder_with_its_message_id(workspace, smtp_server, dovecot, monkeypatch):  # noqa: F811
    from opsys.store.outbox import get_mail
    from opsys.work.mail import queue_mail

    add_mailbox(workspace, dovecot, name="hello", sent_folder="Sent")
    use_smtp(workspace, smtp_server.port, extra="    sent_copy: hello\n")
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    app = open_ws(workspace)
    cid = contact(app, "dana@bakery.example")
    mail_id = queue_mail(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "k-sent-copy", cid))
    report = app.jobs.run(MONDAY_10, ("send_mail",))
    assert not report.failed and report.get("send_mail").sent == 1
    with dovecot.client() as c:
        c.select_folder("Sent", readonly=True)
        uids = c.search("ALL")
        raw = c.fetch(uids, [b"BODY.PEEK[]"])[uids[0]][b"BODY[]"]
    assert len(uids) == 1
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Message-ID"] == get_mail(app.db, mail_id).message_id == smtp_server.handler.message_ids[0]
    assert app.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'mail_copy_failed'").fetchone()[0] == 0
