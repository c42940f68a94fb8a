import json
import subprocess
import sys

from typer.testing import CliRunner

from opsys.cli.main import app

HEAVY = ("torch", "sentence_transformers", "chromadb", "llama_cpp", "transformers", "apprise", "watchdog")


def test_help_imports_no_heavy_library():
    code = ("import sys; from opsys.cli.main import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ingest" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "HEAVY=", "--help imported a heavy library"


def test_check_json_reports_ok_and_errors(workspace):
    r = CliRunner().invoke(app, ["-w", str(workspace.root), "check", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ok"] is True
    team = workspace.system_map / "team.yml"
    team.write_text(team.read_text().replace("capacity: 10", "capacity: -3", 1))
    r = CliRunner().invoke(app, ["-w", str(workspace.root), "check", "--json"])
    assert r.exit_code == 1
    (err,) = json.loads(r.output)["errors"]
    assert err["file"].endswith("team.yml") and err["field"] == "people[1].capacity" and "-3" in err["message"]


def test_ingest_leads_and_log_commands(workspace, shared_classifier, monkeypatch, tmp_path):
    import opsys.app as app_mod

    real_open = app_mod.open_app

    def open_with_shared_model(ws, **kw):  # the CLI builds its own App: hand it the loaded model
        return real_open(ws, **{**kw, "classifier": shared_classifier})

    monkeypatch.setattr(app_mod, "open_app", open_with_shared_model)
    note = tmp_path / "call.txt"
    note.write_text("Logged-by: jordan\nCaller: Dana Whitaker\nPhone: (312) 555-0147\nCompany: Lakeshore CU\n\n"
                    "Wants a proposal for a new website, budget around $45k, launch by March. 120 staff.\n")
    runner = CliRunner()
    r = runner.invoke(app, ["-w", str(workspace.root), "ingest", str(note), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["outcomes"][0]["status"] == "processed"

    r = runner.invoke(app, ["-w", str(workspace.root), "leads", "--all", "--json"])
    (lead,) = json.loads(r.output)
    assert lead["phone"] == "+13125550147" and lead["channel"] == "phone"
    assert "budget" in lead["explanation"] and lead["owner_id"]

    r = runner.invoke(app, ["-w", str(workspace.root), "log", "--json", "-n", "0"])
    kinds = [e["kind"] for e in json.loads(r.output)]
    assert {"classified", "scored", "routed", "file_processed"} <= set(kinds)


def test_check_warns_about_a_model_path_that_does_not_exist(workspace):
    cfg = workspace.system_map / "classifier.yml"
    cfg.write_text(cfg.read_text().replace("model_path: bundled", "model_path: models/bigger.gguf", 1))
    r = CliRunner().invoke(app, ["-w", str(workspace.root), "check", "--json"])
    assert r.exit_code == 0, r.output  # degraded, not broken: intake still runs
    (warning,) = [w for w in json.loads(r.stdout)["warnings"] if "llm.model_path" in w["message"]]
    assert str(workspace.root / "models" / "bigger.gguf") in warning["message"]  # relative to the workspace


def test_init_adds_var_to_an_existing_gitignore(tmp_path):
    target = tmp_path / "firm"
    target.mkdir()
    (target / ".gitignore").write_text("*.pyc\n")
    assert CliRunner().invoke(app, ["init", str(target)]).exit_code == 0
    assert (target / ".gitignore").read_text().splitlines()[0] == "*.pyc"  # the firm's own lines kept
    assert "var/" in (target / ".gitignore").read_text().splitlines()
    CliRunner().invoke(app, ["init", str(target)])
    assert (target / ".gitignore").read_text().count("var/") == 1  # said once, however often init runs


def test_init_with_workspace_option_scaffolds_that_workspace(tmp_path, monkeypatch):
    """`opsys -w DIR init` initialises DIR, not the current folder (issue 7)."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "firm"
    r = CliRunner().invoke(app, ["-w", str(target), "init"])
    assert r.exit_code == 0, r.output
    assert (target / "system_map" / "team.yml").is_file() and not (tmp_path / "system_map").exists()


def test_tick_runs_the_named_jobs_as_of_now(workspace):
    r = CliRunner().invoke(app, ["-w", str(workspace.root), "tick", "--now", "2026-12-07T09:00:00", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["now"] == "2026-12-07T09:00:00+00:00" and out["failed"] == {}
    assert list(out["steps"]) == ["link_crm", "run_workflows", "close_by_evidence", "enrol_sequences", "fire_timers",
                                  "redispatch", "escalate_overdue", "send_notifications", "send_mail",
                                  "crm_write_back", "leads_page", "work_pages", "pipeline_page", "mail_reconcile",
                                  "founder_page"]
    assert "2026-12-07" in (workspace.pages / "pipeline.md").read_text()  # the page is dated by the given clock
