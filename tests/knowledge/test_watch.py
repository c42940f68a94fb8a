"""The watcher's SOP re-indexer: a real watchdog observer, the real model and Chroma."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def wait_for(cond, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_edits_under_sops_are_reindexed(tmp_path):
    from opsys.knowledge.search import Searcher
    from opsys.knowledge.watch import SopReindexer

    sops, var = tmp_path / "sops", tmp_path / "var"
    shutil.copytree(REPO / "sops", sops)
    r = SopReindexer(sops, var, debounce=0.3).start()
    try:
        wait_for(lambda: r.runs >= 1)  # catch-up run at start
        assert len(r.last_report.added) == len(list(sops.glob("*.md")))
        (sops / "team").mkdir()
        (sops / "team" / "holidays.md").write_text(
            "# Public holidays\n\nThe office closes on the fourth Thursday of November and on "
            "December 25; client emergencies still follow the urgent issue procedure.\n")
        (sops / "discovery-call.md").unlink()
        wait_for(lambda: r.last_report.added == ["team/holidays.md"] and r.last_report.removed == ["discovery-call.md"])
    finally:
        r.stop()
    hits = Searcher(var).search("which days is the office closed", k=1)
    assert hits[0].rel == "team/holidays.md" and hits[0].url.startswith("team/holidays/")


def test_a_failing_reindex_backs_off_and_is_logged_once(tmp_path, caplog):
    import logging

    from opsys.knowledge.watch import RETRY_FIRST_SECONDS, SopReindexer

    sops, var = tmp_path / "sops", tmp_path / "var"
    shutil.copytree(REPO / "sops", sops)
    caplog.set_level(logging.DEBUG, logger="opsys.knowledge.watch")
    r = SopReindexer(sops, var, model=str(tmp_path / "no-such-model"), debounce=0.05).start()
    try:
        wait_for(lambda: r.failures >= 1, 30)
        for i in range(12):  # an editor saving every 0.2 s while the index cannot be built
            (sops / "scratch.md").write_text(f"# Scratch {i}\n\nnotes\n")
            time.sleep(0.2)
        assert RETRY_FIRST_SECONDS > 2.4 and r.failures == 1  # no retry inside the first back-off
        errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
        assert len(errors) == 1 and "retrying in 5 s" in errors[0].getMessage()
    finally:
        r.stop()
