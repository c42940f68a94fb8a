"""Waiting on real processes, threads and observers (never on timed behaviour: that walks a clock)."""

from __future__ import annotations

import time


def wait_until(cond, timeout: float, what: str, poll: float = 0.05) -> None:
    """Return as soon as `cond()` holds; fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
