"""The founder's page is founder-only: the team site never contains it, the founder's site does."""

from __future__ import annotations

from datetime import UTC, datetime

from opsys.app import open_app
from opsys.views.site_server import build_site


def test_today_is_in_the_founder_site_and_never_in_the_team_site(workspace, tmp_path):
    app = open_app(workspace)
    (workspace.quarantine / "SECRET-FOUNDER-ITEM.eml").write_text("x")
    app.jobs.run(datetime(2026, 11, 16, 15, tzinfo=UTC), only=("founder_page",))
    app.close()
    assert "SECRET-FOUNDER-ITEM" in (workspace.pages / "today.md").read_text()
    team = build_site(workspace, "team", tmp_path / "team")
    everything = "".join(p.read_text(errors="ignore") for p in team.rglob("*") if p.is_file())
    assert not (team / "generated" / "today").exists() and "SECRET-FOUNDER-ITEM" not in everything
    founder = build_site(workspace, "founder", tmp_path / "founder")
    assert "SECRET-FOUNDER-ITEM" in (founder / "generated" / "today" / "index.html").read_text()
