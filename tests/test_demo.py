"""`opsys demo`, the README's first command, run whole on the bundled sample firm."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from opsys.cli.main import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_the_sample_firm_end_to_end(tmp_path):
    port = _free_port()
    r = CliRunner().invoke(app, ["-w", str(tmp_path), "demo", "--port", str(port)], terminal_width=200)
    assert r.exit_code == 0, r.output
    ws = tmp_path / "var" / "demo"
    out = " ".join(r.output.split())
    # intake: every sample file ends archived or quarantined, the six broken ones with a reason
    assert "6 quarantined" in out and "0 failed" in out
    assert len(list((ws / "var" / "quarantine").glob("*.error.txt"))) == 6
    assert not [p for p in (ws / "var" / "inbox").iterdir() if p.is_file()]
    # hot leads reached the listener the demo started on the chosen port
    assert f"received by the listener on 127.0.0.1:{port}" in out and "(0 received" not in out
    # CRM sync: both deal snapshots and the contacts export imported, stage changes diffed
    assert "3 of 3 exports imported" in out and "deal_stage_changed" in out
    assert (ws / "var" / "pages" / "pipeline.md").is_file()
    assert list((ws / "var" / "outbox" / "crm").glob("*.csv"))
    # the library: indexed, a question answered by meaning, the site built for the founder
    assert "→ Handling an urgent client issue" in out
    site = ws / "var" / "site" / "founder"  # each audience builds into its own folder
    assert (site / "index.html").is_file() and (site / "generated" / "pipeline" / "index.html").is_file()
