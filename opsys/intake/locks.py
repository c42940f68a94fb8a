"""One consumer at a time per workspace: the watcher and `opsys ingest` / `opsys crm import` may run together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opsys.store.locks import exclusive
from opsys.workspace import Workspace


@contextmanager
def intake_lock(ws: Workspace) -> Iterator[None]:
    """Held while any drop folder is consumed; a second consumer waits its turn."""
    with exclusive(ws.var / "intake.lock"):
        yield
