"""Terminal escape codes in inbound data never reach the terminal or a page raw (issue 14)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

EVIL = "Mallory\x1b]0;pwned\x07 \x1b[2J\u202eevil\u2066 Smith"


def test_clean_strips_controls_and_bidi_overrides():
    from opsys.cli.output import clean

    assert clean(EVIL) == "Mallory]0;pwned [2Jevil Smith"
    assert clean("line one\nline two\ttab") == "line one\nline two\ttab"


def test_leads_and_log_print_no_escape_codes(workspace, shared_classifier, monkeypatch, tmp_path):
    import opsys.app as app_mod
    from opsys.cli.main import app

    real_open = app_mod.open_app
    monkeypatch.setattr(app_mod, "open_app", lambda ws, **kw: real_open(ws, **{**kw, "classifier": shared_classifier}))
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"name": EVIL, "email": "mallory@evil.example", "subject": "Website \x1b[31mnow",
                                "timeline": "next month", "budget": "$80,000", "company_size": "120",
                                "message": "We need a new website for our 40-person firm, budget $30k."}))
    runner = CliRunner()
    assert runner.invoke(app, ["-w", str(workspace.root), "ingest", str(form)]).exit_code == 0
    for args in (["leads", "--all"], ["leads", "--all", "--wide"], ["log", "-n", "0"]):
        out = runner.invoke(app, ["-w", str(workspace.root), *args]).output
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, args
        assert "Mallory" in out or args[0] == "log" or "--wide" in args  # wide folds names at 80 columns
    page = (workspace.pages / "leads.md").read_text()
    assert "Mallory" in page and "\x1b" not in page and "\x07" not in page and "\u202e" not in page
