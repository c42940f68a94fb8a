"""The approval gate: a draft under `approval: required` is never sent until a person approves it,
through `opsys drafts`; edits and rejections are audited; the founder's page lists what waits."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from email import message_from_bytes, policy

from typer.testing import CliRunner

from opsys.cli.main import app as cli
from opsys.records.mail import Draft
from tests.outbox.conftest import MONDAY_10, contact, open_ws, spec, use_smtp

DRAFT = Draft("Hi Dana,\n\nA personal note about your bakery website.\n\nWarm regards,\nThe team\n", used_llm=True,
              model="SmolLM2-135M-Instruct.Q4_1.gguf", prompt_hash="ab" * 32,
              guards=(("numbers", True, "no numbers beyond the template and context"),))


def cmd(ws, *args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, ["-w", str(ws.root), *args], env=env)
    return result


def queue(app, key: str, approval: str = "required") -> int:
    from opsys.work.mail import queue_draft

    cid = contact(app, "dana@bakery.example")
    return queue_draft(app.db, app.map, MONDAY_10, spec("dana@bakery.example", key, cid), DRAFT, approval)


def send(app, now):
    report = app.jobs.run(now, ("send_mail",))
    assert not report.failed, report.failed
    return report.get("send_mail")


def test_a_required_draft_is_not_sent_until_approved(workspace, smtp_server):
    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    mail_id = queue(app, "k-gate")
    for hours in (0, 1, 24, 24 * 7):  # however long it waits, in working hours and out
        assert send(app, MONDAY_10 + timedelta(hours=hours)).sent == 0
    assert smtp_server.handler.envelopes == []
    listing = cmd(workspace, "drafts")
    assert f"#{mail_id}" in listing.output and "waiting_approval" in listing.output
    shown = cmd(workspace, "drafts", "show", str(mail_id))
    assert "A personal note about your bakery website." in shown.output
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in shown.output and "pass numbers" in shown.output
    ok = cmd(workspace, "drafts", "approve", str(mail_id), "--by", "maya", "--note", "reads well")
    assert ok.exit_code == 0, ok.output
    assert send(app, MONDAY_10 + timedelta(days=8)).sent == 1
    [env] = smtp_server.handler.envelopes
    assert "A personal note" in message_from_bytes(env.content, policy=policy.default).get_content()
    again = cmd(workspace, "drafts", "approve", str(mail_id))
    assert again.exit_code == 1 and "is sent, not waiting for approval" in again.output


def test_a_rejected_draft_is_never_sent_and_an_auto_draft_goes_at_once(workspace, smtp_server):
    from opsys.store.events import list_events

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    rejected = queue(app, "k-reject")
    auto = queue(app, "k-auto", approval="auto")
    out = cmd(workspace, "drafts", "reject", str(rejected), "--by", "maya", "--note", "wrong tone")
    assert out.exit_code == 0 and "rejected" in out.output
    assert send(app, MONDAY_10).sent == 1
    assert [e.rcpt_tos for e in smtp_server.handler.envelopes] == [["dana@bakery.example"]]
    from opsys.store.outbox import get_mail

    assert get_mail(app.db, rejected).status == "rejected" and get_mail(app.db, auto).status == "sent"
    [ev] = list_events(app.db, kind="draft_rejected")
    assert ev.decided_by == "person:maya" and ev.decision["note"] == "wrong tone"
    made = list_events(app.db, kind="draft_made")
    assert made[0].decided_by == "llm:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert made[0].inputs["prompt_hash"] == "ab" * 32 and made[0].decision["guards"][0][0] == "numbers"


def test_edit_from_a_file_and_in_the_editor_keeps_the_draft_waiting(workspace, smtp_server, tmp_path):
    from opsys.store.outbox import get_mail

    use_smtp(workspace, smtp_server.port)
    app = open_ws(workspace)
    mail_id = queue(app, "k-edit")
    new = tmp_path / "new.txt"
    new.write_text("Hi Dana,\n\nRewritten by Maya.\n\nWarm regards,\nThe team\n")
    out = cmd(workspace, "drafts", "edit", str(mail_id), "--body-file", str(new), "--by", "maya")
    assert out.exit_code == 0, out.output
    assert get_mail(app.db, mail_id).status == "waiting_approval"
    assert send(app, MONDAY_10).sent == 0
    editor = tmp_path / "editor.sh"  # a real editor process: it rewrites the file it is given
    editor.write_text("#!/bin/sh\nsed -i 's/Rewritten by Maya./Rewritten in the editor./' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    out = cmd(workspace, "drafts", "edit", str(mail_id), env={**os.environ, "VISUAL": "", "EDITOR": str(editor)})
    assert out.exit_code == 0, out.output
    assert "Rewritten in the editor." in get_mail(app.db, mail_id).body
    cmd(workspace, "drafts", "approve", str(mail_id))
    send(app, MONDAY_10)
    [env] = smtp_server.handler.envelopes
    assert "Rewritten in the editor." in message_from_bytes(env.content, policy=policy.default).get_content()


def test_waiting_drafts_are_founder_decisions_until_approved(workspace):
    from opsys.founder.providers import PROVIDERS
    from opsys.records.founder import Section
    from opsys.work.draft_items import waiting_draft_items
    from opsys.work.mail import approve_draft

    assert waiting_draft_items in PROVIDERS
    app = open_ws(workspace)
    mail_id = queue(app, "k-founder")
    [item] = waiting_draft_items(app, MONDAY_10)
    assert item.section == Section.DECISION and item.key == f"outbox:draft:{mail_id}"
    assert f"opsys drafts approve {mail_id}" in item.resolve and "written by the local LLM" in item.why
    approve_draft(app.db, MONDAY_10, mail_id, by="maya")
    assert list(waiting_draft_items(app, MONDAY_10)) == []


def test_outbox_lists_every_mail_as_json(workspace):
    import json

    app = open_ws(workspace)
    mail_id = queue(app, "k-json")
    out = cmd(workspace, "outbox", "--json")
    [row] = json.loads(out.output)
    assert row["id"] == mail_id and row["status"] == "waiting_approval" and row["draft"]["used_llm"] is True
    drafts = json.loads(cmd(workspace, "drafts", "--json").output)
    assert [d["id"] for d in drafts] == [mail_id]


def test_a_mail_that_cannot_be_sent_is_refused_when_queued(workspace):
    import pytest

    from opsys.work.mail import OutboxError, queue_draft, queue_mail

    app = open_ws(workspace)
    with pytest.raises(OutboxError, match="not an IANA timezone"):
        queue_mail(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "k-tz", timezone="Mars/Olympus"))
    with pytest.raises(OutboxError, match="an address to send to"):
        queue_mail(app.db, app.map, MONDAY_10, spec("not an address", "k-addr"))
    with pytest.raises(OutboxError, match="'required' or 'auto'"):
        queue_draft(app.db, app.map, MONDAY_10, spec("dana@bakery.example", "k-appr"), DRAFT, "maybe")
    assert app.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
