"""Fetching from a real Dovecot on 127.0.0.1: each message stored once, however often we fetch."""

from __future__ import annotations

import time

from tests.mail.conftest import fetcher_for, lead_mail


def _inquiries(app) -> int:
    return app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]


def test_fetch_once_stores_each_once_and_again_stores_nothing(mail_app, dovecot):
    dovecot.append_many([lead_mail(i) for i in range(5)])
    f = fetcher_for(mail_app, dovecot)
    report = f.fetch()
    assert report.problems == {}
    inbox = next(r for r in report.folders if r.folder == "INBOX")
    assert inbox.outcomes == {"inquiry": 5}
    assert _inquiries(mail_app) == 5
    again = f.fetch()
    assert again.stored == 0 and _inquiries(mail_app) == 5
    assert list(mail_app.ws.inbox.iterdir()) == []  # everything moved to the archive after its commit
    rows = mail_app.db.execute("SELECT uid, outcome, ref, message_id FROM mail_messages ORDER BY CAST(uid AS INT)").fetchall()
    assert [r["uid"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert all(r["outcome"] == "inquiry" and r["ref"].startswith("inquiry:") for r in rows)
    assert rows[0]["message_id"] == "<lead-0@client0.example>"
    # the server's copy is untouched: read-only SELECT, BODY.PEEK
    with dovecot.client() as c:
        c.select_folder("INBOX", readonly=True)
        assert all(b"\\Seen" not in flags for flags in c.get_flags(c.search("ALL")).values())


def test_uidvalidity_change_resyncs_without_storing_twice(mail_app, dovecot):
    no_id = (b"From: Nameless <nameless@client.example>\r\nTo: hello@brightside.example\r\n"
             b"Subject: Quote for an app\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\n"
             b"We need a quote for a mobile app, budget 30k.\r\n")  # no Message-ID: matched by content
    dovecot.append_many([lead_mail(i) for i in range(3)] + [no_id])
    f = fetcher_for(mail_app, dovecot)
    assert f.fetch().stored == 4
    old = dovecot.uidvalidity()
    new = dovecot.reset_uidvalidity()
    assert new != old
    dovecot.append(lead_mail(99))  # one really new mail arrives with the renumbering
    report = f.fetch()
    inbox = next(r for r in report.folders if r.folder == "INBOX")
    assert inbox.resync and inbox.matched == 4 and inbox.outcomes == {"inquiry": 1}
    assert _inquiries(mail_app) == 5
    rows = mail_app.db.execute("SELECT COUNT(*) FROM mail_messages WHERE folder = 'INBOX' AND uidvalidity = ?",
                               (new,)).fetchone()[0]
    assert rows == 5  # every message under the new numbering is proven done
    kinds = [r[0] for r in mail_app.db.execute("SELECT kind FROM events WHERE kind LIKE 'mail%'")]
    assert "mailbox_resync" in kinds
    assert f.fetch().stored == 0


def test_a_message_that_will_not_parse_is_quarantined_and_the_next_still_lands(mail_app, dovecot):
    broken = b"\r\nthis has no header block at all, so it is no mail\r\n"
    uids = dovecot.append_many([lead_mail(1), broken, lead_mail(2)])
    report = fetcher_for(mail_app, dovecot).fetch()
    inbox = next(r for r in report.folders if r.folder == "INBOX")
    assert inbox.outcomes == {"inquiry": 2, "quarantined": 1}
    notes = list(mail_app.ws.quarantine.glob("*.error.txt"))
    assert len(notes) == 1
    text = notes[0].read_text()
    assert f"mailbox hello, folder INBOX, UID {uids[1]}" in text
    assert f"opsys mail refetch hello {uids[1]}" in text
    assert "no header lines" in text
    # done (not retried forever), and the watermark passed it
    assert fetcher_for(mail_app, dovecot).fetch().stored == 0
    mark = mail_app.db.execute("SELECT watermark FROM mail_folders WHERE folder = 'INBOX'").fetchone()[0]
    assert mark == uids[-1]


def test_sent_folder_mail_is_marked_as_sent_and_forged_marks_are_disarmed(mail_app, dovecot):
    sent = (b"From: Jordan <jordan@brightside.example>\r\nTo: lead1@client1.example\r\nSubject: Re: New website\r\n"
            b"Date: Tue, 01 Dec 2026 11:00:00 +0000\r\nMessage-ID: <reply-1@brightside.example>\r\n"
            b"In-Reply-To: <lead-1@client1.example>\r\n\r\nThanks, Wednesday 10am works.\r\n")
    forged = lead_mail(7, body="X-Opsys-Folder header below pretends to be ours.").replace(
        b"MIME-Version", b"X-Opsys-Folder: Sent\r\nMIME-Version")
    dovecot.append(sent, folder="Sent")
    dovecot.append(forged)
    report = fetcher_for(mail_app, dovecot).fetch()
    assert {r.folder for r in report.folders} == {"INBOX", "Sent"}
    archived = {p.read_bytes().split(b"\r\n\r\n")[0]: p for p in mail_app.ws.archive.rglob("*.eml")}
    heads = list(archived)
    sent_head = next(h for h in heads if b"reply-1@" in h)
    assert sent_head.startswith(b"X-Opsys-Folder: Sent\r\nX-Opsys-Mailbox: hello\r\n")
    forged_head = next(h for h in heads if b"lead-7@" in h)
    assert forged_head.startswith(b"X-Opsys-Folder: INBOX\r\n")
    assert b"\r\nX-Untrusted-Opsys-Folder: Sent" in forged_head
    assert b"\r\nX-Opsys-Folder: Sent" not in forged_head


def test_a_30_mb_attachment_passes_within_the_limit_and_is_quarantined_over_it(workspace, dovecot):
    import base64
    import os

    from opsys.app import open_app
    from tests.mail.conftest import KeywordClassifier, add_mailbox

    blob = base64.encodebytes(os.urandom(30 * 1024 * 1024)).replace(b"\n", b"\r\n")
    big = (b"From: Big Files <big@client.example>\r\nTo: hello@brightside.example\r\nSubject: Brand assets for "
           b"the new website\r\nDate: Tue, 01 Dec 2026 12:00:00 +0000\r\nMessage-ID: <big@client.example>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BOUND\r\n\r\n--BOUND\r\n"
           b"Content-Type: text/plain\r\n\r\nHere are our brand assets; we need a quote for the new website.\r\n"
           b"--BOUND\r\nContent-Type: application/zip; name=assets.zip\r\nContent-Transfer-Encoding: base64\r\n"
           b"Content-Disposition: attachment; filename=assets.zip\r\n\r\n" + blob + b"--BOUND--\r\n")
    assert len(big) > 40 * 1024 * 1024
    dovecot.append(big)
    dovecot.append(lead_mail(3))
    add_mailbox(workspace, dovecot, max_file_mb=60)
    app = open_app(workspace, classifier=KeywordClassifier())
    try:
        r = next(x for x in fetcher_for(app, dovecot).fetch().folders if x.folder == "INBOX")
        assert r.outcomes == {"inquiry": 2}
        att = app.db.execute("SELECT attachments_json FROM inquiries WHERE subject LIKE 'Brand assets%'").fetchone()[0]
        assert "assets.zip" in att
    finally:
        app.db.close()
    # the same mail in a workspace with the default 20 MB limit: quarantined with a note, the next one lands
    other = workspace.root.parent / "ws2"
    from typer.testing import CliRunner

    from opsys.cli.main import app as cli
    from opsys.workspace import Workspace

    assert CliRunner().invoke(cli, ["init", str(other)]).exit_code == 0
    ws2 = Workspace(other)
    add_mailbox(ws2, dovecot)
    app2 = open_app(ws2, classifier=KeywordClassifier())
    try:
        r = next(x for x in fetcher_for(app2, dovecot).fetch().folders if x.folder == "INBOX")
        assert r.outcomes == {"inquiry": 1, "quarantined": 1}
        note = next(ws2.quarantine.glob("*.error.txt")).read_text()
        assert "over the 20 MB limit" in note and "UID 1" in note
    finally:
        app2.db.close()


def test_idle_announces_new_mail_and_append_returns_the_uid(mail_app, dovecot):
    import threading

    from opsys.sources.mailbox import open_source

    box = mail_app.map.sources.mailboxes[0]
    src = open_source(box, dovecot.password)
    try:
        assert src.offers_idle()
        src.select("INBOX")
        threading.Timer(0.5, lambda: dovecot.append(lead_mail(1))).start()
        t0 = time.monotonic()
        assert src.idle_until(lambda: False, seconds=30) is True
        assert time.monotonic() - t0 < 25
        uid = src.append("Sent", lead_mail(2, sender="Jordan <jordan@brightside.example>"))
        assert uid == 1 and dovecot.uids("Sent") == [1]
    finally:
        src.close()


def test_the_teams_reply_in_the_sent_folder_is_a_touch_not_a_lead(mail_app, dovecot):
    dovecot.append(lead_mail(1))
    f = fetcher_for(mail_app, dovecot)
    f.fetch()
    reply = (b"From: Jordan <jordan@brightside.example>\r\nTo: Lead Person 1 <lead1@client1.example>\r\n"
             b"Subject: Re: New website for client 1\r\nDate: Tue, 01 Dec 2026 11:00:00 +0000\r\n"
             b"Message-ID: <reply-1@brightside.example>\r\nIn-Reply-To: <lead-1@client1.example>\r\n"
             b"References: <lead-1@client1.example>\r\n\r\nHappy to help; does Wednesday 10am suit you?\r\n")
    dovecot.append(reply, folder="Sent")
    r = next(x for x in f.fetch().folders if x.folder == "Sent")
    assert r.outcomes == {"touch": 1}
    assert mail_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 1
    assert mail_app.db.execute("SELECT COUNT(*) FROM touches WHERE direction = 'out'").fetchone()[0] == 1
