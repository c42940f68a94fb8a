"""Running it for real: the systemd unit, `opsys status` beside a real watcher, backup and restore."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsys.cli.main import app
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CRM = REPO / "opsys" / "sample" / "crm"
VENV_OPSYS = Path(sys.executable).parent / "opsys"


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _ok(*args: str, env: dict | None = None) -> str:
    result = _run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


# -- opsys service install ---------------------------------------------------------------------

def test_service_install_writes_a_user_unit_into_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    ws = tmp_path / "studio 100%"  # a space and a systemd specifier character in the path
    _ok("init", str(ws))
    env = {"HOME": str(home), "XDG_CONFIG_HOME": None}

    printed = _ok("-w", str(ws), "service", "install", "--print", env=env)
    assert not (home / ".config").exists(), "--print must write nothing"

    out = _ok("-w", str(ws), "service", "install", env=env)
    unit = home / ".config" / "systemd" / "user" / "opsys-studio-100.service"
    text = unit.read_text()
    assert text == printed
    root = str(ws.resolve()).replace("%", "%%")  # systemd reads %% as one %
    assert f'\nExecStart={VENV_OPSYS} -w "{root}" watch\n' in text
    assert "\nRestart=on-failure\n" in text and "\nWantedBy=default.target\n" in text
    assert "systemctl --user daemon-reload" in out and "systemctl --user enable --now opsys-studio-100.service" in out
    assert "unchanged" in _ok("-w", str(ws), "service", "install", env=env)

    unit.write_text(text.replace("RestartSec=10", "RestartSec=30"))  # the firm's own edit
    refused = _run("-w", str(ws), "service", "install", env=env)
    assert refused.exit_code == 2 and "--force" in refused.output
    assert "RestartSec=30" in unit.read_text()
    _ok("-w", str(ws), "service", "install", "--force", env=env)
    assert unit.read_text() == text

    if shutil.which("systemd-analyze"):  # systemd's own parser: quoting, specifiers, an executable ExecStart
        check = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr


# -- opsys status ------------------------------------------------------------------------------

def _status(ws) -> dict:
    return json.loads(_ok("-w", str(ws.root), "status", "--json"))


def test_status_of_a_fresh_workspace_creates_nothing(workspace):
    st = _status(workspace)
    assert st["watcher"] == {"running": False, "pid": None, "since": None}
    assert st["last_intake"] is None and st["last_jobs_run"] is None
    assert not workspace.db_path.exists()


def test_status_counts_the_backlog_and_reads_the_newest_events(workspace):
    from opsys.records.events import Decider, EventKind
    from opsys.store.db import connect, write_transaction
    from opsys.store.events import record_event

    (workspace.inbox / "a.eml").write_text("From: a@example.org\n\nhello\n")
    (workspace.inbox / "b.json").write_text("{}")
    (workspace.inbox / ".c.eml").write_text("hidden: being written")
    (workspace.inbox / "d.eml.part").write_text("partial")
    (workspace.crm_drop / "deals.csv").write_text("id\n1\n")
    (workspace.quarantine / "bad.csv").write_text("x")
    (workspace.quarantine / "bad.csv.error.txt").write_text("why")
    db = connect(workspace.db_path)
    with write_transaction(db):
        record_event(db, EventKind.FILE_PROCESSED, decided_by=Decider.INTAKE, message="first.eml: 1 inquiry")
        record_event(db, EventKind.FILE_PROCESSED, decided_by=Decider.INTAKE, message="second.eml: 1 inquiry")
        record_event(db, EventKind.ROUTED, decided_by="rule:routing.yml#x", message="newer, another kind")
    db.close()
    st = _status(workspace)
    assert st["last_intake"]["message"] == "second.eml: 1 inquiry"
    assert st["backlog"] == {"inbox": 2, "crm": 1, "quarantined": 1, "notifications_pending": 0,
                             "notifications_failed": 0, "empty": False}
    text = _ok("-w", str(workspace.root), "status")
    assert "2 in var/inbox/, 1 in var/crm/" in text and "second.eml" in text and "not running" in text


def test_status_sees_a_real_watcher_start_and_die(workspace):
    cfg = workspace.system_map / "classifier.yml"
    cfg.write_text(cfg.read_text().replace("enabled: true", "enabled: false"))  # speed: embeddings only
    cmd = [sys.executable, "-m", "opsys", "-w", str(workspace.root), "watch"]
    started = time.time()
    proc = subprocess.Popen(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_until(lambda: proc.poll() is not None or _status(workspace)["last_jobs_run"] is not None, 180,
              "the watcher's first jobs run")
        assert proc.poll() is None, proc.stderr.read().decode()
        st = _status(workspace)
        assert st["watcher"]["running"] and st["watcher"]["pid"] == proc.pid
        assert started - 2 <= datetime.fromisoformat(st["watcher"]["since"]).timestamp() <= time.time()
        assert "page" in st["last_jobs_run"]["message"]
        assert f"pid {proc.pid}" in _ok("-w", str(workspace.root), "status")

        refused = _run("-w", str(workspace.root), "restore", str(workspace.root))  # never under a watcher
        assert refused.exit_code == 1 and f"pid {proc.pid}" in refused.output

        proc.send_signal(signal.SIGKILL)  # a crash: the pid stays in the file, the kernel drops the lock
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    st = _status(workspace)
    assert st["watcher"]["running"] is False and st["watcher"]["pid"] == proc.pid


# -- opsys backup / restore --------------------------------------------------------------------

def _rows(db_path: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(db_path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    out = {t: sorted(map(tuple, db.execute(f'SELECT * FROM "{t}"')), key=repr) for t in tables}
    db.close()
    return out


def _files(var: Path) -> dict[str, bytes | str]:
    from opsys.backup import FOLDERS

    out: dict[str, bytes | str] = {}
    for name in FOLDERS:
        for p in sorted((var / name).rglob("*")):
            rel = p.relative_to(var).as_posix()
            if p.name == "index.lock":
                continue
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = p.read_bytes()
    return out


@pytest.fixture
def firm_with_data(workspace):
    """Real data: the sample firm's HubSpot exports imported, a broken export quarantined, the SOP
    search index built, a symlink and a pipe set aside in quarantine as intake leaves them."""
    _ok("-w", str(workspace.root), "crm", "import", str(SAMPLE_CRM))
    broken = workspace.root / "broken-deals.csv"
    broken.write_bytes(b"\x00\x01 not a csv")
    _run("-w", str(workspace.root), "crm", "import", str(broken))
    _ok("-w", str(workspace.root), "index")
    (workspace.quarantine / "link-to-passwd").symlink_to("/etc/passwd")
    os.mkfifo(workspace.quarantine / "a-pipe")
    (workspace.inbox / "waiting.eml").write_text("From: w@example.org\nSubject: still waiting\n\nhi\n")
    return workspace


def test_backup_and_restore_round_trip_into_a_fresh_workspace(firm_with_data, tmp_path):
    ws = firm_with_data
    before_rows, before_files = _rows(ws.db_path), _files(ws.var)
    assert before_rows["crm_deals"] and before_rows["events"]
    assert any(k.startswith("knowledge/chroma/") for k in before_files)
    assert any(k.startswith("outbox/crm/") for k in before_files)

    report = json.loads(_ok("-w", str(ws.root), "backup", str(tmp_path / "backups"), "--json"))
    folder = Path(report["path"])
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("opsys-backup-")
    assert report["skipped"] == ["quarantine/a-pipe (not a regular file)"]
    assert json.loads((folder / "manifest.json").read_text())["format"] == "opsys-backup/1"
    assert not list((tmp_path / "backups").glob(".*")), "no partial left behind"
    tar = Path(json.loads(_ok("-w", str(ws.root), "backup", "--tar", str(tmp_path / "backups"), "--json"))["path"])
    assert tar.name.endswith(".tar.gz")

    for source in (folder, tar):
        fresh = tmp_path / f"fresh-{source.suffix or 'dir'}"
        _ok("init", str(fresh))
        _ok("-w", str(fresh), "restore", str(source))
        assert _rows(fresh / "var" / "opsys.sqlite3") == before_rows
        assert _files(fresh / "var") == {k: v for k, v in before_files.items() if k != "quarantine/a-pipe"}
        assert not list(fresh.glob(".var-restore-*"))

    # the restored vector store answers by meaning, as the original did
    q = "who approves a refund"
    hits = lambda root: [h["sop_id"] for h in json.loads(_ok("-w", str(root), "search", q, "--json"))["results"]]  # noqa: E731
    expected = hits(ws.root)
    assert expected and hits(tmp_path / "fresh-dir") == expected


def test_backup_refuses_a_destination_inside_var(firm_with_data):
    ws = firm_with_data
    result = _run("-w", str(ws.root), "backup", str(ws.var / "backups"))
    assert result.exit_code == 1 and "inside" in result.output
    assert not (ws.var / "backups").exists()


def test_restore_keeps_a_var_with_data_unless_forced_and_a_failure_changes_nothing(firm_with_data, tmp_path):
    ws = firm_with_data
    folder = Path(json.loads(_ok("-w", str(ws.root), "backup", str(tmp_path / "b"), "--json"))["path"])
    other = tmp_path / "other"
    _ok("init", str(other))
    _ok("-w", str(other), "tick")  # a database, pages and one jobs_run event: data of its own
    before_rows, before_files = _rows(other / "var" / "opsys.sqlite3"), _files(other / "var")

    refused = _run("-w", str(other), "restore", str(folder))
    assert refused.exit_code == 1 and "--force" in refused.output
    assert _rows(other / "var" / "opsys.sqlite3") == before_rows

    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged, symlinks=True)
    (damaged / "opsys.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)  # a truncated database
    failed = _run("-w", str(other), "restore", "--force", str(damaged))
    assert failed.exit_code == 1 and "var/ is unchanged" in failed.output and "damaged" in failed.output
    assert _rows(other / "var" / "opsys.sqlite3") == before_rows and _files(other / "var") == before_files
    assert not list(other.glob(".var-restore-*"))

    out = _ok("-w", str(other), "restore", "--force", str(folder))
    restored = _rows(other / "var" / "opsys.sqlite3")
    assert restored["crm_deals"] and restored != before_rows
    kept = [p for p in (other / "var").iterdir() if p.name.startswith("replaced-")]
    assert len(kept) == 1 and str(kept[0]) in out.replace("\n", "")
    assert _rows(kept[0] / "opsys.sqlite3") == before_rows
