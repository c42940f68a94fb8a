"""Reconciliation against a real Dovecot: it passes when every message is stored, and finds a planted
gap (a ledger row lost, a message never fetched, a record deleted) with the command that mends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.mail.conftest import PASSWORD_ENV, fetcher_for, lead_mail


def _reconcile(app, dovecot, now=None, **kw):
    from opsys.intake.mail_reconcile import reconcile

    now = now or datetime.now(UTC) + timedelta(hours=1)  # past the grace for just-arrived mail
    return reconcile(app.map, app.db, app.ws.root, now, environ={PASSWORD_ENV: dovecot.password}, **kw)


def test_reconcile_passes_when_every_message_is_stored(mail_app, dovecot):
    dovecot.append_many([lead_mail(i) for i in range(4)])
    dovecot.append(lead_mail(50, sender="Jordan <jordan@brightside.example>"), folder="Sent")
    fetcher_for(mail_app, dovecot).fetch()
    r = _reconcile(mail_app, dovecot)
    assert r.ok, r.as_dict()
    assert r.listed == 5 and sum(f.proven for f in r.folders) == 5
    assert r.problems == {}


def test_reconcile_finds_planted_gaps_and_refetch_mends_them(mail_app, dovecot):
    from opsys.founder.mail_gaps import founder_items
    from opsys.records.founder import Section

    uids = dovecot.append_many([lead_mail(i) for i in range(4)])
    f = fetcher_for(mail_app, dovecot)
    f.fetch()
    # plant: one ledger row lost; one message arriving that was never fetched
    mail_app.db.execute("DELETE FROM mail_messages WHERE uid = ?", (str(uids[1]),))
    late = dovecot.append(lead_mail(9, subject="Urgent: site down"))
    r = _reconcile(mail_app, dovecot)
    assert not r.ok
    gaps = {g.uid: g for g in r.gaps}
    assert set(gaps) == {str(uids[1]), str(late)}
    g = gaps[str(late)]
    assert g.mailbox == "hello" and g.folder == "INBOX" and g.subject == "Urgent: site down"
    assert g.date.startswith("2026-12-01T09:00")
    assert r.as_dict()["gaps"][0]["refetch"].startswith("opsys mail refetch hello ")
    items = list(founder_items(mail_app, datetime.now(UTC)))
    assert len(items) == 2 and all(i.section == Section.ANOMALY for i in items)
    assert {i.resolve for i in items} == {f"opsys mail refetch hello {uids[1]}", f"opsys mail refetch hello {late}"}
    # refetch both: the lost row comes back pointing at the inquiry already stored (nothing doubled)
    before = mail_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
    f.refetch("hello", str(uids[1]))
    f.refetch("hello", str(late))
    assert mail_app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == before + 1
    assert list(founder_items(mail_app, datetime.now(UTC))) == []  # mended, gone from the page
    assert _reconcile(mail_app, dovecot).ok


def test_a_deleted_record_and_a_quarantined_mail_are_gaps(mail_app, dovecot):
    uids = dovecot.append_many([lead_mail(1), b"\r\nno headers here\r\n"])
    fetcher_for(mail_app, dovecot).fetch()
    ref = mail_app.db.execute("SELECT ref FROM mail_messages WHERE uid = ?", (str(uids[0]),)).fetchone()[0]
    # the inquiry's record disappears (a restore from an older backup, say): the ledger alone proves nothing
    mail_app.db.execute("PRAGMA foreign_keys = OFF")
    for table in ("touches", "thread_messages", "tasks", "notifications", "assignments"):
        try:
            mail_app.db.execute(f"DELETE FROM {table}")
        except Exception:
            pass
    mail_app.db.execute("DELETE FROM inquiries WHERE id = ?", (int(ref.split(":")[1]),))
    r = _reconcile(mail_app, dovecot)
    reasons = {g.uid: g.reason for g in r.gaps}
    assert "no longer in the store" in reasons[str(uids[0])]
    assert reasons[str(uids[1])].startswith("quarantined by intake")


def test_reconcile_window_and_just_arrived_mail(mail_app, dovecot):
    dovecot.append(lead_mail(1))
    now = datetime.now(UTC)
    r = _reconcile(mail_app, dovecot, now=now)  # not fetched yet, but it arrived this minute: not a gap
    assert r.ok and r.folders[0].pending == 1
    later = _reconcile(mail_app, dovecot, now=now + timedelta(days=3), days=1)  # outside the window
    assert later.listed == 0 and later.ok


def test_unreachable_mailbox_is_a_problem_and_a_founder_item(mail_app, dovecot):
    from opsys.founder.mail_gaps import founder_items

    dovecot.stop()
    r = _reconcile(mail_app, dovecot)
    assert not r.ok and "cannot reach" in r.problems["hello"]
    items = list(founder_items(mail_app, datetime.now(UTC)))
    assert [i.key for i in items] == ["mail:unreadable:hello"]


def test_daily_job_runs_once_per_business_day(mail_app, dovecot, monkeypatch):
    from opsys.jobs import mail_reconcile

    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    dovecot.append(lead_mail(1))
    fetcher_for(mail_app, dovecot).fetch()
    wednesday = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    first = mail_reconcile(mail_app, wednesday)
    assert first.skipped == "" and first.gaps == 0
    again = mail_reconcile(mail_app, wednesday + timedelta(hours=2))
    assert again.skipped.startswith("already reconciled on 2026-12-02")
    saturday = mail_reconcile(mail_app, datetime(2026, 12, 5, 15, 0, tzinfo=UTC))
    assert "not a business day" in saturday.skipped
    assert mail_reconcile(mail_app, wednesday + timedelta(days=1)).skipped == ""


def test_real_fixture_mail_each_maps_to_one_record(mail_app, dovecot, realdata):
    folder = realdata / "email_fixtures" / "flanker"
    if not folder.is_dir():
        pytest.skip("../shared/realdata/email_fixtures/flanker is absent")
    raws = [p.read_bytes() for p in sorted(folder.rglob("*.eml"))]
    uids = dovecot.append_many(raws)
    report = fetcher_for(mail_app, dovecot).fetch()
    inbox = next(x for x in report.folders if x.folder == "INBOX")
    assert inbox.stored + inbox.matched == len(raws) and not inbox.not_done
    rows = mail_app.db.execute("SELECT uid, outcome FROM mail_messages WHERE folder = 'INBOX'").fetchall()
    assert sorted(int(r[0]) for r in rows) == sorted(uids)
    r = _reconcile(mail_app, dovecot)
    quarantined = {g.uid for g in r.gaps if g.reason.startswith("quarantined")}
    assert {g.uid for g in r.gaps} == quarantined  # only what intake refused is unproven, and it says so
    assert fetcher_for(mail_app, dovecot).fetch().stored == 0


def test_refetch_after_the_cause_is_fixed_stores_the_quarantined_mail(workspace, dovecot):
    from opsys.app import open_app
    from opsys.config.loader import load_system_map
    from tests.mail.conftest import KeywordClassifier, add_mailbox

    big = lead_mail(5, body="We need a quote for a new website. " + "Details follow. " * 400)
    uid = dovecot.append(big)
    add_mailbox(workspace, dovecot, max_file_mb=0.002)  # about 2 KB: this mail is over it
    app = open_app(workspace, classifier=KeywordClassifier())
    try:
        f = fetcher_for(app, dovecot)
        assert next(x for x in f.fetch().folders if x.folder == "INBOX").outcomes == {"quarantined": 1}
        assert [g.uid for g in _reconcile(app, dovecot).gaps] == [str(uid)]
        sources = workspace.system_map / "sources.yml"
        sources.write_text(sources.read_text().replace("max_file_mb: 0.002", "max_file_mb: 20"))
        app.reload_map(load_system_map(workspace.system_map))
        r = fetcher_for(app, dovecot).refetch("hello", str(uid))
        assert r.outcomes == {"inquiry": 1}
        assert _reconcile(app, dovecot).ok
        kinds = [k for (k,) in app.db.execute("SELECT kind FROM events WHERE kind LIKE 'mail%'")]
        assert "mail_refetch" in kinds and "mail_reconciled" in kinds
    finally:
        app.db.close()


def test_refetch_of_an_unknown_uid_says_so(mail_app, dovecot):
    from opsys.sources.mailbox import MailboxError

    with pytest.raises(MailboxError, match="has no message with UID 77"):
        fetcher_for(mail_app, dovecot).refetch("hello", "77")
    with pytest.raises(MailboxError, match="no mailbox 'nope'"):
        fetcher_for(mail_app, dovecot).refetch("nope", "1")
