"""`opsys leads`: one line per lead that fits 100 columns, --wide, --json, and the filters (run in SQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from opsys.cli.main import app
from tests.crm.conftest import add_lead

@pytest.fixture
def queue(workspace):
    """Five stored leads (no model needed): hot and not, three owners, one with terminal escapes in its name."""
    from opsys.app import open_app

    rt = open_app(workspace)
    add_lead(rt.db, name="Dana Whitaker", email="dana@lakeshore.example", company="Lakeshore Community Credit Union",
             received_at=datetime(2026, 11, 16, 15, tzinfo=UTC))
    add_lead(rt.db, name="Old Hot", email="old@x.example", received_at=datetime(2026, 11, 10, 15, tzinfo=UTC))
    add_lead(rt.db, name="Cold Newest", email="cold@x.example", hot=False, score=20, owner="leo",
             received_at=datetime(2026, 11, 22, 15, tzinfo=UTC))
    # 05:30 UTC on the 20th is 23:30 on the 19th in team.yml's America/Chicago
    add_lead(rt.db, name="Late Evening", email="late@x.example", hot=False, score=30, owner="maya",
             received_at=datetime(2026, 11, 20, 5, 30, tzinfo=UTC))
    add_lead(rt.db, name="\x1b]0;pwned\x07渡辺 健二 Watanabe Kenji Extremely Long Name", email="k@x.example",
             company="株式会社テスト", hot=False, score=10, owner="leo",
             received_at=datetime(2026, 11, 21, 15, tzinfo=UTC))
    rt.db.close()
    return workspace


def who(output: str) -> list[str]:
    """The first word of each line's `who` column (after `#` and `age`), header skipped."""
    return [line[12:32].split()[0] for line in output.splitlines()[1:]]


def leads(ws, *args: str, columns: int = 100):
    return CliRunner().invoke(app, ["-w", str(ws.root), "leads", *args], env={"COLUMNS": str(columns)})


def test_compact_is_one_line_a_lead_within_100_columns(queue):
    r = leads(queue)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 1 + 5  # a header, then one line per lead
    assert max(cell_len(x) for x in lines) <= 100, "\n".join(lines)
    assert "\x1b" not in r.output and "\x07" not in r.output  # a name cannot retitle the terminal
    # hot first, then newest first
    assert who(r.output) == ["Dana", "Old", "Cold", "]0;pwned渡辺", "Late"]
    dana = lines[1]
    assert "72 HOT" in dana and "jordan" in dana and "assigned" in dana and "budget+25" in dana


def test_filters(queue):
    assert who(leads(queue, "--hot").output) == ["Dana", "Old"]
    assert who(leads(queue, "--owner", "leo").output) == ["Cold", "]0;pwned渡辺"]
    # --since is the firm's day: the lead at 23:30 Chicago time on the 19th is not "since the 20th"
    assert who(leads(queue, "--since", "2026-11-20").output) == ["Cold", "]0;pwned渡辺"]
    assert "Late" in who(leads(queue, "--since", "2026-11-19T23:00").output)
    assert leads(queue, "--status", "assigned", "--owner", "leo", "--hot").output.strip() == "no leads match"
    r = leads(queue, "--status", "contacted")
    assert r.exit_code == 0 and "no leads match (statuses stored: assigned)" in r.output
    r = leads(queue, "--owner", "nobody")
    assert r.exit_code == 2 and "--owner nobody: no such person" in r.output and "jordan" in r.output


def test_wide_and_json_keep_everything(queue):
    wide = leads(queue, "--wide", "--hot", columns=250)  # the full table, on a terminal wide enough for it
    assert wide.exit_code == 0 and "budget +25 (budget $20,000)" in wide.output  # the whole reason
    assert "2026-11-16 09:00" in wide.output  # received, in the firm's timezone
    data = json.loads(leads(queue, "--json").output)
    assert len(data) == 5 and {"id", "received_at", "explanation", "signals", "owner_id", "status"} <= set(data[0])
    assert data[0]["received_at"] == "2026-11-16T15:00:00+00:00"  # stored UTC, exact
    assert [d["name"] for d in json.loads(leads(queue, "--json", "--owner", "maya").output)] == ["Late Evening"]
