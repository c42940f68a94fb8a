"""The watcher says it is ready only once it is: models loaded, lock held, folders watched."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from opsys.daemon import AlreadyWatching, Watcher
from tests.test_daemon import _archived, _form
from tests.waiting import wait_until


def test_on_ready_runs_once_the_watcher_is_up(runtime):
    seen: list[dict] = []

    def ready() -> None:
        try:
            Watcher(runtime).run()  # the lock is already held by the watcher that is getting ready
            refused = False
        except AlreadyWatching:
            refused = True
        seen.append({"models": runtime.classifier_loaded, "refused": refused})
        (runtime.ws.inbox / "after-ready.json").write_text(_form(7))

    w = Watcher(runtime, on_ready=ready)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        wait_until(lambda: seen, 60, "on_ready")
        wait_until(lambda: any(p.name.endswith("after-ready.json") for p in _archived(runtime.ws)), 30,
              "the drop made when ready")
    finally:
        w.request_stop()
        t.join(timeout=10)
    assert seen == [{"models": True, "refused": True}]


def test_opsys_watch_says_loading_then_ready(workspace):
    cfg = workspace.system_map / "classifier.yml"
    cfg.write_text(cfg.read_text().replace("enabled: true", "enabled: false"))  # embeddings only: faster
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "opsys", "-w", str(workspace.root), "watch"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        wait_until(lambda: any(x.startswith("ready in ") for x in lines) or proc.poll() is not None, 240, "ready")
        said = [x for x in lines if x.startswith(("loading the classifier models", "ready in "))]
        assert len(said) == 2 and said[0].startswith("loading") and said[1].startswith("ready"), lines
        assert f"watching {workspace.inbox}" in said[1] and "(Ctrl-C to stop)" in said[1]
        (workspace.inbox / "lead.json").write_text(_form(3))  # ready means a drop is taken now
        started = time.monotonic()
        wait_until(lambda: any(p.name.endswith("lead.json") for p in _archived(workspace)), 30, "the drop after ready")
        assert time.monotonic() - started < 30
    finally:
        proc.terminate()
        proc.wait(timeout=30)
