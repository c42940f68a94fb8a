"""Notification secrets: ${VARS} in team.yml, and no URL (token and all) in any stored or printed error."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

SECRET = "xoxb-SECRET-4242"


def _set_first_notify(ws, url: str) -> None:
    team = ws.system_map / "team.yml"
    text = team.read_text()
    first = re.search(r"notify: \[[^\]]*\]", text)
    team.write_text(text[:first.start()] + f'notify: ["{url}"]' + text[first.end():])


def test_resolve_and_redact():
    from opsys.notify.urls import MissingSecret, redact, resolve

    assert resolve("slack://${TOKEN}/#leads", {"TOKEN": "abc"}) == "slack://abc/#leads"
    try:
        resolve("slack://${NOPE}/x", {})
    except MissingSecret as e:
        assert "NOPE" in str(e)
    else:
        raise AssertionError("an unset variable must be refused")
    assert redact(f"Failed to send to slakc://{SECRET}/x: refused") == "Failed to send to slakc://…: refused"


def test_check_refuses_a_url_apprise_cannot_parse_without_quoting_it(workspace):
    from opsys.cli.main import app

    _set_first_notify(workspace, f"slakc://{SECRET}/#leads")
    r = CliRunner().invoke(app, ["-w", str(workspace.root), "check", "--json"])
    assert r.exit_code == 1
    (err,) = [e for e in json.loads(r.output)["errors"] if "notify" in e["message"]]
    assert err["file"].endswith("team.yml") and err["line"] and SECRET not in r.output


import pytest


@pytest.mark.parametrize("url", [f"slakc://{SECRET}/#leads",  # a typo: Apprise cannot parse it
                                 f"json://127.0.0.1:9/{SECRET}"])  # parses, delivery refused
def test_failed_delivery_stores_no_token(workspace, url):
    from opsys.app import open_app
    from opsys.notify.dispatch import dispatch_pending
    from opsys.store.db import write_transaction
    from opsys.store.events import list_events
    from opsys.store.inquiries import queue_notification
    from tests.crm.conftest import add_lead

    _set_first_notify(workspace, url)
    app = open_app(workspace)
    person = app.map.team.people[0].id
    contact = add_lead(app.db, name="Ada Lovelace", email="ada@example.com", owner=person)
    inquiry = app.db.execute("SELECT id FROM inquiries WHERE contact_id = ?", (contact,)).fetchone()[0]
    with write_transaction(app.db):
        queue_notification(app.db, inquiry, person, 0, "Hot lead", "body")
    result = dispatch_pending(app.db, app.map.team)
    assert result.failed >= 1
    stored = [r[0] for r in app.db.execute("SELECT last_error FROM notifications WHERE last_error IS NOT NULL")]
    events = json.dumps([e.as_dict() for e in list_events(app.db, kind="notification_failed")])
    assert stored and all(SECRET not in s for s in stored) and SECRET not in events
    app.close()
