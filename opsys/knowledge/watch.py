"""Keep the search index current while `opsys watch` runs: re-index sops/ shortly after it changes."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 1.0
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 5.0, 600.0


class SopReindexer:
    """Watches `sops/` (recursively) and runs an incremental index once edits have been quiet a moment."""

    def __init__(self, sops: Path, var: Path, model: str = "bundled", debounce: float = DEBOUNCE_SECONDS):
        self.sops, self.var, self.model, self.debounce = sops, var, model, debounce
        self.dirty = threading.Event()
        self.stopping = threading.Event()
        self.runs = 0
        self.last_report = None
        self.failures, self.retry_at, self.last_error = 0, 0.0, None
        self._observer = None
        self._thread: threading.Thread | None = None

    def start(self) -> "SopReindexer":
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        if not self.sops.is_dir():
            log.info("no %s: search index not maintained", self.sops)
            return self
        dirty = self.dirty

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                path = os.fsdecode(getattr(event, "dest_path", "") or event.src_path)
                if event.is_directory or path.endswith(".md"):
                    dirty.set()

        self._observer = Observer()
        self._observer.schedule(Handler(), str(self.sops), recursive=True)
        self._observer.start()
        self.dirty.set()  # catch up with edits made while nobody watched
        self._thread = threading.Thread(target=self._loop, name="sop-reindexer", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        from opsys.knowledge.index import build_index

        while not self.stopping.is_set():
            if not self.dirty.wait(0.2):
                continue
            # debounce: an editor saving several files (or one file twice) costs one run
            while self.dirty.is_set() and not self.stopping.is_set():
                self.dirty.clear()
                time.sleep(self.debounce)
            if self.stopping.is_set():
                return
            if self.stopping.wait(max(0.0, self.retry_at - time.monotonic())):
                return  # backing off after a failure: edits meanwhile are picked up by the retry
            try:
                self.last_report = build_index(self.sops, self.var, self.model)
                self.runs += 1
                if self.failures:
                    log.info("search index: re-indexing works again after %d failed attempts", self.failures)
                self.failures, self.retry_at, self.last_error = 0, 0.0, None
                if self.last_report.changed:
                    log.info("search index: %d added, %d updated, %d removed", len(self.last_report.added),
                             len(self.last_report.updated), len(self.last_report.removed))
            except Exception as e:  # the index is a convenience: never take the watcher down with it
                self._failed(e)

    def _failed(self, error: Exception) -> None:
        """Retry with a doubling delay (5 s up to 10 min) and explain an error once, not on every retry."""
        self.failures += 1
        delay = min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** (self.failures - 1))
        self.retry_at = time.monotonic() + delay
        self.dirty.set()  # retried even if nobody edits again
        message = f"{type(error).__name__}: {error}"
        if message != self.last_error:
            log.error("re-indexing sops/ failed (%s); retrying in %.0f s, then less often", message, delay,
                      exc_info=error)
            self.last_error = message
        else:
            log.debug("re-indexing sops/ still failing (%d attempts); next in %.0f s", self.failures, delay)

    def stop(self) -> None:
        self.stopping.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            # an index run in progress finishes on its own (daemon thread, file-locked writes):
            # never hold up the watcher's shutdown for it
            self._thread.join(timeout=5)
