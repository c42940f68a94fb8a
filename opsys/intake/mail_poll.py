"""The watcher's side of the mailboxes: fetch each one every `poll_seconds` (at once when IMAP IDLE says
new mail arrived), back off while a server is down, and say so once per outage.

All fetching runs on the watcher's own thread (one SQLite connection, one writer); the IDLE threads
only wait on their own IMAP connection and raise a flag. A poll fetches at most `max_batches`
batches per mailbox, so a backlog of thousands of mails never holds up dropped files for long;
the next poll goes on at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opsys.config.mail_models import Mailbox
from opsys.intake.mail_fetch import FetchReport, MailFetcher, open_mailbox
from opsys.records.events import Decider, EventKind
from opsys.sources.mailbox import MailboxError, MailSource, open_source
from opsys.store.db import write_transaction
from opsys.store.events import record_event

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 900.0


@dataclass
class _Box:
    due: float = 0.0  # monotonic time of the next fetch
    failures: int = 0
    outage: str | None = None  # what was said when it went down; None while it works
    wake: threading.Event = field(default_factory=threading.Event)


class MailPoller:
    """Polls the app's mailboxes from the watcher loop; `start` the IDLE waits, `poll` often, `stop` once.
    `app` is the opsys App (ws, map, db, intake, clock, jobs), not imported here: it sits floors above."""

    def __init__(self, app: Any, *, environ: Mapping[str, str] | None = None,
                 connect: Callable[..., MailSource] = open_source, max_batches: int = 4,
                 clock: Callable[[], float] = time.monotonic):
        self.app, self.environ, self.connect, self.max_batches, self.clock = app, environ, connect, max_batches, clock
        self.boxes: dict[str, _Box] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _box(self, name: str) -> _Box:
        return self.boxes.setdefault(name, _Box())

    def start(self) -> None:
        """An IDLE wait for each IMAP mailbox that asks for it (the server may still not offer IDLE)."""
        for box in self.app.map.sources.mailboxes:
            if box.kind == "imap" and box.idle:
                t = threading.Thread(target=self._idle, args=(box, self._box(box.name)), daemon=True,
                                     name=f"opsys-idle-{box.name}")
                t.start()
                self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)

    def poll(self) -> FetchReport:
        """Fetch every mailbox that is due (or woken by IDLE); never raises for a mailbox problem."""
        report = FetchReport()
        now = self.clock()
        for box in self.app.map.sources.mailboxes:
            state = self._box(box.name)
            if now < state.due and not state.wake.is_set():
                continue
            state.wake.clear()
            fetcher = MailFetcher(self.app.ws, self.app.map, self.app.db, self.app.intake, self.app.clock,
                                  environ=self.environ, connect=self.connect)
            try:
                folders = fetcher.fetch_box(box, max_batches=self.max_batches, report=report)
            except MailboxError as e:
                self._failed(box, state, str(e))
                report.problems[box.name] = str(e)
                continue
            report.folders += folders
            self._recovered(box, state)
            more = any(f.left or f.not_done for f in folders)
            state.due = self.clock() + (0 if any(f.left for f in folders) else box.poll_seconds)
            if more:
                report.more = True
        if report.stored:
            self.app.jobs.after_intake()
        return report

    def _failed(self, box: Mailbox, state: _Box, problem: str) -> None:
        """Backoff doubles up to 15 minutes; the log and the audit log hear of it once per outage."""
        state.failures += 1
        delay = min(box.poll_seconds * 2 ** (state.failures - 1), MAX_BACKOFF_SECONDS)
        state.due = self.clock() + delay
        if state.outage is None:
            state.outage = problem
            log.warning("%s; retrying with backoff (next in %.0f s)", problem, delay)
            with write_transaction(self.app.db):
                record_event(self.app.db, EventKind.MAILBOX_UNREACHABLE, decided_by=Decider.INTAKE,
                             subject_type="mailbox", subject_id=box.name, inputs={"where": box.where()},
                             message=problem)
        else:
            log.debug("%s (attempt %d; next in %.0f s)", problem, state.failures, delay)

    def _recovered(self, box: Mailbox, state: _Box) -> None:
        if state.outage is not None:
            log.warning("mailbox %s can be read again after %d failed attempts", box.name, state.failures)
        state.failures, state.outage = 0, None

    def _idle(self, box: Mailbox, state: _Box) -> None:
        """Wait in IDLE on the first inbound folder; wake the poll on new mail. Errors: wait, reconnect."""
        pause = box.poll_seconds
        while not self._stop.is_set():
            try:
                src = open_mailbox(box, self.app.ws.root, self.environ, self.connect)
            except MailboxError:
                self._stop.wait(pause)  # the poll reports the outage; this thread only retries
                continue
            try:
                if not getattr(src, "offers_idle", lambda: False)():
                    return  # polling alone, every poll_seconds
                src.select(box.folders[0])
                while not self._stop.is_set():
                    if src.idle_until(self._stop.is_set):
                        state.wake.set()
            except MailboxError:
                self._stop.wait(pause)
            finally:
                src.close()
