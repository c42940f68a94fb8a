"""The watcher with a real watchdog observer, and `kill -9` of a real `opsys watch` subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from opsys.daemon import AlreadyWatching, Watcher
from tests.waiting import wait_until


def _form(i: int) -> str:
    return json.dumps({"name": f"Prospect {i}", "email": f"p{i}@firm{i}.example",
                       "message": f"Hello, we need a quote for a {i % 20 + 5} page website, budget ${i}k."})


def _archived(ws) -> list[Path]:
    return [p for p in ws.archive.rglob("*") if p.is_file() and "duplicates" not in p.parts]


@pytest.fixture
def running(runtime):
    w = Watcher(runtime)
    t = threading.Thread(target=w.run, daemon=True)
    # a file that arrived while the watcher was down
    (runtime.ws.inbox / "before-start.json").write_text(_form(0))
    t.start()
    yield runtime, w
    w.request_stop()
    t.join(timeout=10)
    assert not t.is_alive()


def test_picks_up_files_present_at_start(running):
    rt, _ = running
    wait_until(lambda: not (rt.ws.inbox / "before-start.json").exists(), 60, "the start-up scan")
    assert rt.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 1


def test_temp_names_are_ignored_until_renamed(running):
    rt, _ = running
    tmp = rt.ws.inbox / "lead.json.part"
    tmp.write_text(_form(1))
    time.sleep(1.0)
    assert tmp.exists(), "a .part file must not be read"
    tmp.rename(rt.ws.inbox / "lead.json")
    wait_until(lambda: not (rt.ws.inbox / "lead.json").exists(), 30, "the renamed drop")
    assert any(p.name.endswith("lead.json") for p in _archived(rt.ws))


def test_slow_writer_is_not_read_half_written(running):
    rt, _ = running
    data = _form(2).encode()
    path = rt.ws.inbox / "slow.json"
    with path.open("wb") as f:
        for i in range(0, len(data), len(data) // 5 + 1):
            f.write(data[i:i + len(data) // 5 + 1])
            f.flush()
            time.sleep(0.12)  # gaps shorter than stable_seconds (0.3 s)
    wait_until(lambda: not path.exists(), 30, "the slow drop")
    assert not list(rt.ws.quarantine.iterdir()), "a half-written file was read"
    assert any(p.name.endswith("slow.json") for p in _archived(rt.ws))


def test_survives_bad_files_and_keeps_going(running):
    rt, _ = running
    (rt.ws.inbox / "empty.txt").write_bytes(b"")
    (rt.ws.inbox / "binary.eml").write_bytes(os.urandom(4096) + b"\x00" * 100)
    (rt.ws.inbox / "bad.json").write_text("{not json")
    with (rt.ws.inbox / "huge.csv").open("wb") as f:
        f.write(b"name,email\n")
        f.write((b"x" * 1023 + b"\n") * (21 * 1024))  # 21 MB
    (rt.ws.inbox / "good.json").write_text(_form(3))
    wait_until(lambda: not any(rt.ws.inbox.iterdir()), 60, "all five drops")
    q = sorted(p.name for p in rt.ws.quarantine.iterdir() if not p.name.endswith(".error.txt"))
    assert q == ["bad.json", "binary.eml", "empty.txt", "huge.csv"]
    assert "20 MB limit" in (rt.ws.quarantine / "huge.csv.error.txt").read_text()
    assert any(p.name.endswith("good.json") for p in _archived(rt.ws))


def test_second_watcher_is_refused(running):
    rt, _ = running
    time.sleep(0.5)  # let the first take its lock
    with pytest.raises(AlreadyWatching):
        Watcher(rt).run()


def test_kill_9_mid_batch_then_restart_processes_each_file_once(workspace):
    n = 300
    cfg = workspace.system_map / "classifier.yml"
    cfg.write_text(cfg.read_text().replace("enabled: true", "enabled: false"))  # speed: embeddings only
    for i in range(n):
        (workspace.inbox / f"lead-{i:03}.json").write_text(_form(i))
    cmd = [sys.executable, "-m", "opsys", "-w", str(workspace.root), "watch"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # the log goes to a file: an unread pipe fills up (a few hundred log lines) and blocks the watcher
    log = (workspace.root.parent / "watch.log").open("wb")
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_until(lambda: len(_archived(workspace)) > 0 or first.poll() is not None, 180, "the first archived file")
        assert first.poll() is None, (workspace.root.parent / "watch.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    done_before_kill = len(_archived(workspace))
    assert 0 < done_before_kill < n, f"kill landed outside the batch ({done_before_kill}/{n})"

    second = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_until(lambda: not any(workspace.inbox.iterdir()), 180, "the restart to finish the inbox")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    from opsys.store.db import connect

    db = connect(workspace.db_path)
    assert len(_archived(workspace)) == n
    assert db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == n
    assert db.execute("SELECT COUNT(DISTINCT source_sha256) FROM inquiries").fetchone()[0] == n
    assert db.execute("SELECT COUNT(*) FROM source_files WHERE status='processed'").fetchone()[0] == n
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind='file_processed'").fetchone()[0] == n
    assert not (workspace.archive / "duplicates").exists()
    assert not any(workspace.quarantine.iterdir())


def test_an_edit_to_the_system_map_reaches_the_running_watcher_and_a_bad_one_keeps_the_old(running, caplog):
    import logging

    rt, _ = running
    wait_until(lambda: not (rt.ws.inbox / "before-start.json").exists(), 60, "the start-up scan")
    clients = rt.ws.system_map / "clients.yml"
    good = clients.read_text() + ("  - name: Osprey Freight\n    domains: [ospreyfreight.example]\n"
                                  "    tier: gold\n    account_manager: priya\n")
    clients.write_text(good)
    wait_until(lambda: any(c.name == "Osprey Freight" for c in rt.map.clients.clients), 20, "the edited map")
    (rt.ws.inbox / "osprey.json").write_text(json.dumps(
        {"name": "Ada Osprey", "email": "ada@ospreyfreight.example", "message": "We need a new booking page."}))
    wait_until(lambda: not (rt.ws.inbox / "osprey.json").exists(), 60, "the drop from the new client")
    explanation = rt.db.execute("SELECT score_explanation FROM inquiries WHERE source_name = 'osprey.json'").fetchone()[0]
    assert "Osprey Freight is a gold client" in explanation

    caplog.set_level(logging.WARNING, logger="opsys.daemon")
    clients.write_text(good + "  - name: Broken\n    tier: platinum\n")
    time.sleep(3.5)  # three map checks see the same invalid edit
    refused = [r for r in caplog.records if "still running the previous map" in r.getMessage()]
    assert len(refused) == 1 and "clients.yml" in refused[0].getMessage()
    assert any(c.name == "Osprey Freight" for c in rt.map.clients.clients)  # the last valid map runs on
    (rt.ws.inbox / "after-bad-edit.json").write_text(_form(7))
    wait_until(lambda: not (rt.ws.inbox / "after-bad-edit.json").exists(), 60, "intake on the old map")
