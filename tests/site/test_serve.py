"""A real `opsys serve` process on 127.0.0.1: founder builds never reach the team server, generated pages
and SOP edits appear without a restart, --host warns and stays team, SIGINT and SIGTERM stop it cleanly."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from opsys.views.site_server import build_site

pytestmark = pytest.mark.slow
OPSYS = Path(sys.executable).with_name("opsys")
TEAM_PAGE = "---\ntitle: Lead queue\naudience: team\ngenerated: true\n---\n# Lead queue\n\nTEAM-QUEUE-TABLE\n"
FOUNDER_PAGE = ("---\ntitle: Pipeline by client\naudience: founder\ngenerated: true\n---\n# Pipeline by client\n\n"
                "SECRET-PIPELINE-TABLE\n")
STARTUP = 240  # seconds: a first start embeds the SOP library on 2 busy cores


class Served:
    """An `opsys serve` subprocess whose output lines are collected as they come."""

    def __init__(self, root: Path, *args: str, ignore_sigint: bool = False):
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        # `opsys serve &` from a script: the shell leaves SIGINT ignored in the background job
        pre = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
        self.proc = subprocess.Popen([str(OPSYS), "-w", str(root), "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     preexec_fn=pre)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, i=into: i.extend(iter(s.readline, "")), daemon=True).start()
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            for line in list(self.out):
                m = re.search(r"at (http://\S+:\d+/)", line)
                if m:
                    return m.group(1).replace("0.0.0.0", "127.0.0.1")
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop(signal.SIGKILL)
        raise AssertionError(f"opsys serve did not start:\n{''.join(self.out)}{''.join(self.err)}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def wait_until(self, check, timeout: float = 30.0) -> float:
        """Seconds until `check()` holds (polled every 0.2 s); fails after `timeout`."""
        started = time.monotonic()
        while not check():
            assert time.monotonic() - started < timeout, "".join(self.out[-5:])
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def make_workspace(root: Path):
    from typer.testing import CliRunner

    from opsys.cli.main import app
    from opsys.workspace import Workspace

    assert CliRunner().invoke(app, ["init", str(root)]).exit_code == 0
    ws = Workspace(root)
    ws.pages.mkdir(parents=True, exist_ok=True)
    (ws.pages / "leads.md").write_text(TEAM_PAGE)
    (ws.pages / "founder-pipeline.md").write_text(FOUNDER_PAGE)
    return ws


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("serve") / "ws")
    served = Served(ws.root)
    yield ws, served
    served.stop(signal.SIGKILL)


def founder_free(served: Served) -> bool:
    """The team server holds no founder page: 404 for the page, and a search index without it."""
    status, index = served.get("/search/search_index.json")
    return (status == 200 and served.get("/generated/founder-pipeline/")[0] == 404
            and "founder-pipeline" not in index and "SECRET-PIPELINE" not in index)


def test_a_founder_build_never_reaches_the_team_server(team):
    ws, served = team
    assert served.get("/generated/leads/")[0] == 200 and founder_free(served)
    founder = build_site(ws, "founder")  # what `opsys serve --audience founder` builds
    assert founder == ws.var / "site" / "founder"
    assert "SECRET-PIPELINE-TABLE" in (founder / "generated" / "founder-pipeline" / "index.html").read_text()
    assert founder_free(served)
    docs = json.loads(served.get("/search/search_index.json")[1])["docs"]
    assert docs and not [d for d in docs if d["location"].startswith("generated/founder")]


def test_a_founder_build_written_into_the_team_folder_is_refused_then_replaced(team):
    ws, served = team
    build_site(ws, "founder", ws.var / "site" / "team")  # a hand-run `OPSYS_AUDIENCE=founder mkdocs build`
    status, body = served.get("/generated/founder-pipeline/")
    assert status in (503, 404) and "SECRET-PIPELINE" not in body  # refused, or already rebuilt for the team
    took = served.wait_until(lambda: founder_free(served) and served.get("/generated/leads/")[0] == 200)
    print(f"team site rebuilt over the founder build in {took:.1f}s")


def test_generated_pages_and_sop_edits_appear_without_a_restart(team):
    ws, served = team
    assert served.get("/generated/new-leads/")[0] == 404
    (ws.pages / "new-leads.md").write_text(TEAM_PAGE.replace("TEAM-QUEUE-TABLE", "A-LEAD-THAT-JUST-ARRIVED"))
    took_page = served.wait_until(lambda: "A-LEAD-THAT-JUST-ARRIVED" in served.get("/generated/new-leads/")[1])
    sop = ws.sops / "invoicing.md"
    sop.write_text(sop.read_text() + "\nCheck the PO number against the contract before sending.\n")
    took_sop = served.wait_until(lambda: "Check the PO number" in served.get("/invoicing/")[1])
    print(f"new generated page served after {took_page:.1f}s, SOP edit after {took_sop:.1f}s")
    assert founder_free(served)


def test_sigterm_stops_it_cleanly(team):
    _, served = team
    assert served.stop(signal.SIGTERM) == 0
    assert any("stopping (SIGTERM)" in line for line in served.out) and served.out[-1].strip() == "stopped"


def test_a_host_beyond_loopback_warns_serves_the_team_and_stops_on_sigint_in_the_background(team, tmp_path):
    ws, _ = team
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root, ignore=shutil.ignore_patterns("site"))  # the search index is reused
    served = Served(root, "--host", "0.0.0.0", ignore_sigint=True)
    try:
        served.wait_until(lambda: "reverse proxy" in "".join(served.err), timeout=5)
        assert "no authentication" in "".join(served.err)
        assert "team audience" in "".join(served.out)
        assert served.get("/generated/leads/")[0] == 200 and founder_free(served)
    finally:
        code = served.stop(signal.SIGINT)
    assert code == 0 and any("stopping (SIGINT)" in line for line in served.out)
