"""A real Maildir in tmp_path (as mbsync or offlineimap keep one): each message stored once, keys stable
when a mail client moves a message from new/ to cur/, the Sent folder read, reconciliation proven."""

from __future__ import annotations

import mailbox
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.mail.conftest import KeywordClassifier, lead_mail


@pytest.fixture
def maildir_app(workspace, tmp_path):
    from opsys.app import open_app

    (tmp_path / "Mail").mkdir()
    md = mailbox.Maildir(tmp_path / "Mail" / "leads", create=True)
    md.add_folder("Sent")
    path = workspace.system_map / "sources.yml"
    path.write_text(path.read_text() + f"\nmailboxes:\n  - name: local\n    kind: maildir\n"
                                       f"    path: {tmp_path / 'Mail' / 'leads'}\n    sent_folder: Sent\n")
    app = open_app(workspace, classifier=KeywordClassifier())
    yield app, md
    app.db.close()


def _fetcher(app):
    from opsys.intake.mail_fetch import MailFetcher

    return MailFetcher(app.ws, app.map, app.db, app.intake, app.clock)


def test_maildir_fetch_once_and_keys_stable_across_a_move_to_cur(maildir_app):
    app, md = maildir_app
    keys = [md.add(lead_mail(i)) for i in range(3)]
    md.get_folder("Sent").add(lead_mail(20, sender="Jordan <jordan@brightside.example>"))
    report = _fetcher(app).fetch()
    assert report.problems == {}
    assert {(f.folder, f.stored) for f in report.folders} == {("INBOX", 3), ("Sent", 1)}
    stored = {r[0] for r in app.db.execute("SELECT uid FROM mail_messages WHERE folder = 'INBOX'")}
    assert stored == set(keys)
    # a mail client reads one: new/KEY -> cur/KEY:2,S (same key); nothing new is stored
    msg = md[keys[0]]
    msg.set_subdir("cur")
    msg.add_flag("S")
    md[keys[0]] = msg
    assert any(":2,S" in n for n in os.listdir(md._path + "/cur"))
    assert _fetcher(app).fetch().stored == 0
    assert app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 3
    sent = app.db.execute("SELECT outcome, ref FROM mail_messages WHERE folder = 'Sent'").fetchone()
    assert sent["outcome"] in ("touch", "dismissed"), tuple(sent)  # the team's own mail is no new lead


def test_maildir_resync_with_new_keys_stores_nothing_twice(maildir_app):
    app, md = maildir_app
    raw = lead_mail(1)
    key = md.add(raw)
    _fetcher(app).fetch()
    md.remove(key)
    md.add(raw)  # a re-sync (mbsync after its state was lost) writes the same mail under a new name
    r = next(f for f in _fetcher(app).fetch().folders if f.folder == "INBOX")
    assert r.stored == 0 and r.matched == 1
    assert app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 1


def test_maildir_reconcile_and_a_bad_path(maildir_app, workspace):
    from opsys.intake.mail_reconcile import reconcile

    app, md = maildir_app
    md.add(lead_mail(1))
    _fetcher(app).fetch()
    late = md.add(lead_mail(2))
    r = reconcile(app.map, app.db, app.ws.root, datetime.now(UTC) + timedelta(hours=1))
    assert [g.uid for g in r.gaps] == [late]
    assert r.as_dict()["gaps"][0]["refetch"] == f"opsys mail refetch local {late}"
    _fetcher(app).refetch("local", late)
    assert reconcile(app.map, app.db, app.ws.root, datetime.now(UTC) + timedelta(hours=1)).ok
    from opsys.intake.mail_fetch import MailFetcher
    from opsys.sources.mailbox import MailboxError

    box = app.map.sources.mailboxes[0].model_copy(update={"path": str(workspace.root / "nowhere")})
    with pytest.raises(MailboxError, match="is not a Maildir"):
        MailFetcher(app.ws, app.map, app.db, app.intake, app.clock).open(box)
