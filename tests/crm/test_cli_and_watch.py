"""`opsys crm import`, `opsys pipeline`, `opsys tick`, the watcher's var/crm/ route, and pipeline.yml errors."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from typer.testing import CliRunner

from opsys.cli.main import app
from opsys.config.loader import ConfigError, load_system_map

D1 = "hubspot-crm-exports-all-deals-2026-11-16.csv"
D2 = "hubspot-crm-exports-all-deals-2026-11-23.csv"


def run(ws, *args):
    return CliRunner().invoke(app, ["-w", str(ws.root), *args])


def test_crm_import_pipeline_tick(workspace, crm_fixtures):
    r = run(workspace, "crm", "import", str(crm_fixtures / D1), str(crm_fixtures / D2))
    assert r.exit_code == 0, r.output
    assert "imported    " + D1 in r.output and "8 deal_created" in r.output
    assert "1 deal_won" in r.output and (workspace.pages / "pipeline.md").exists()
    again = run(workspace, "crm", "import", str(crm_fixtures / D2))
    assert again.exit_code == 0 and "unchanged" in again.output and "pipeline page" not in again.output

    p = run(workspace, "pipeline", "--json")
    assert p.exit_code == 0, p.output
    data = json.loads(p.output)
    assert data["open_count"] == 5 and data["won"] == 1 and data["lost"] == 2
    assert data["snapshots"][0]["file_name"] == D2 and data["as_of"] == "2026-11-23T23:59:59+00:00"
    assert {s["key"] for s in data["stages"]} >= {"new", "discovery", "proposal", "negotiation"}
    assert data["leads_with_deals"] == []
    text = run(workspace, "pipeline")
    assert text.exit_code == 0 and "Open deals by stage" in text.output and "win rate 33%" in text.output

    t = run(workspace, "tick", "--json")
    assert t.exit_code == 0, t.output
    assert json.loads(t.output)["page"].endswith("pipeline.md")


def test_crm_import_bad_file_exits_1(workspace, crm_fixtures):
    r = run(workspace, "crm", "import", str(crm_fixtures / "hubspot-deals-missing-stage.csv"))
    assert r.exit_code == 1 and "quarantined" in r.output and "'Deal Stage'" in r.output


def test_watcher_routes_var_crm_drops_to_the_crm_import(workspace, crm_fixtures):
    from opsys.daemon import Watcher
    from opsys.app import open_app

    rt = open_app(workspace)
    drop = workspace.crm_drop / D1
    shutil.copy(crm_fixtures / D1, drop)
    w = Watcher(rt)
    w._scan()
    w._drain_events()
    deadline = time.monotonic() + 5
    ready = []
    while not ready and time.monotonic() < deadline:
        time.sleep(0.1)
        ready = w._ready()
    assert ready == [drop]
    w._process(ready)  # no classifier is loaded: a CRM export never goes through message intake
    assert not rt.classifier_loaded
    assert not drop.exists()
    assert rt.db.execute("SELECT file_name FROM crm_snapshots").fetchone()[0] == D1
    assert rt.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 0
    assert (workspace.pages / "pipeline.md").exists()
    rt.db.close()


def test_pipeline_yml_errors_name_file_line_and_field(workspace):
    path = workspace.system_map / "pipeline.yml"
    path.write_text(path.read_text().replace("probability: 0.25", "probability: 2.5"))
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    msg = str(e.value)
    assert "pipeline.yml:" in msg and "stages[1].probability" in msg and "2.5" in msg


def test_a_stage_name_used_twice_is_refused(workspace):
    path = workspace.system_map / "pipeline.yml"
    path.write_text(path.read_text().replace("aliases: [contractsent,", "aliases: [Closed Won, contractsent,"))
    with pytest.raises(ConfigError) as e:
        load_system_map(workspace.system_map)
    assert "pipeline.yml" in str(e.value) and "is used by both 'negotiation' and 'won'" in str(e.value)


def test_owner_aliases_must_name_team_members(workspace, crm_fixtures):
    path = workspace.system_map / "pipeline.yml"
    path.write_text(path.read_text().replace('"Maya O.": maya', '"Maya O.": mya'))
    r = run(workspace, "crm", "import", str(crm_fixtures / D1))
    assert r.exit_code == 2
    assert "pipeline.yml:" in r.output and "owners.Maya O." in r.output and "unknown person 'mya'" in r.output
    r = run(workspace, "check")  # the PR gate catches it before any import runs
    assert r.exit_code != 0 and "owners.Maya O." in r.output
