"""The watcher: watchdog events (plus a start-up scan and periodic rescans) -> intake -> views.

A drop is read only after its size and mtime held still for `intake.stable_seconds`; names
starting with "." or ending in .tmp/.part/.crdownload are never read (write there, then rename).
One watcher per workspace, enforced by an exclusive lock on `var/watch.lock`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from opsys.intake.files import Stat, is_candidate, stat_of
from opsys.app import App
from opsys.workspace import Workspace

log = logging.getLogger(__name__)
POLL_SECONDS = 0.05
BATCH_FILES = 50  # files consumed per intake batch when a backlog is waiting
MAP_CHECK_SECONDS = 1.0  # how often the watcher looks for edits to system_map/


class AlreadyWatching(Exception):
    """Another `opsys watch` holds this workspace."""


class _Lock:
    def __init__(self, ws: Workspace):
        ws.var.mkdir(parents=True, exist_ok=True)
        self.fh = ws.lock_path.open("a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "?"
            self.fh.close()
            raise AlreadyWatching(
                f"another `opsys watch` (pid {holder}) is already watching {ws.root}; stop it first"
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()

    def release(self) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


class MapWatch:
    """Edits to system_map/ reach the running watcher: a valid edit is switched to and logged; an
    invalid one keeps the old map running and is explained once (not on every check)."""

    def __init__(self, app: App):
        self.app = app
        self.seen = self.refused = self._fingerprint()

    def _fingerprint(self) -> tuple:
        folder = self.app.ws.system_map
        return tuple(sorted((str(p.relative_to(folder)), st.st_mtime_ns, st.st_size)
                            for p in folder.rglob("*") if p.is_file() and (st := p.stat())))

    def check(self) -> bool:
        """True when the app now runs an edited map."""
        from opsys.config.loader import ConfigError, load_system_map

        now = self._fingerprint()
        if now == self.seen:
            return False
        try:
            new_map = load_system_map(self.app.ws.system_map)
        except ConfigError as e:
            if now != self.refused:
                log.warning("system_map/ was edited but is invalid; still running the previous map. Fix:\n%s", e)
                self.refused = now
            return False
        self.seen = self.refused = now
        self.app.reload_map(new_map)
        log.info("system_map/ changed: switched to the edited map")
        return True


class Watcher:
    """Feeds finished drops to intake in batches; never stops on a bad file."""

    def __init__(self, app: App, on_batch: Callable[[object], None] | None = None,
                 on_ready: Callable[[], None] | None = None):
        self.app = app
        self.on_ready = on_ready  # called once, when models are loaded and every folder is watched
        self.settings = app.map.sources.intake
        self.events: queue.Queue[Path] = queue.Queue()
        self.pending: dict[Path, tuple[Stat, float]] = {}
        self.stop_flag = threading.Event()
        self.on_batch = on_batch

    def request_stop(self, *_args) -> None:
        self.stop_flag.set()

    def run(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        lock = _Lock(self.app.ws)
        inbox = self.app.ws.inbox
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):  # created, modified, moved-in, closed
                if event.is_directory:
                    return
                target = getattr(event, "dest_path", "") or event.src_path
                watcher.events.put(Path(os.fsdecode(target)))

        observer = reindexer = mail = None
        try:  # from here on, whatever fails releases the lock and stops what was started
            self.app.classifier.warm_up()  # models load before we are up, not on the first drop
            observer = Observer()
            observer.schedule(Handler(), str(inbox), recursive=False)
            observer.schedule(Handler(), str(self.app.ws.crm_drop), recursive=False)  # CRM exports
            observer.start()  # start first, scan second: nothing can fall between the two
            from opsys.knowledge.watch import SopReindexer  # keeps `opsys search` current as sops/ changes

            reindexer = SopReindexer(self.app.ws.sops, self.app.ws.var,
                                     self.app.map.classifier.embedding.model).start()
            self._scan()
            from opsys.intake.mail_poll import MailPoller  # sources.yml mailboxes: (none: polls nothing)

            mail = MailPoller(self.app)
            mail.start()
            log.info("watching %s", inbox)
            if self.on_ready:
                self.on_ready()
            next_rescan = time.monotonic() + self.settings.rescan_seconds
            next_tick = time.monotonic()  # at once: notifications left unsent by the last run go out now
            maps, next_map_check = MapWatch(self.app), time.monotonic() + MAP_CHECK_SECONDS
            while not self.stop_flag.is_set():
                if time.monotonic() >= next_map_check:
                    if maps.check():
                        self.settings = self.app.map.sources.intake
                    next_map_check = time.monotonic() + MAP_CHECK_SECONDS
                self._drain_events()
                ready = self._ready()
                if ready:
                    self._process(ready)
                if time.monotonic() >= next_rescan:
                    self._scan()
                    next_rescan = time.monotonic() + self.settings.rescan_seconds
                if time.monotonic() >= next_tick:
                    self._tick()
                    next_tick = time.monotonic() + self.app.map.pipeline.tick_seconds
                self._poll_mail(mail)
                self.stop_flag.wait(POLL_SECONDS)
        finally:
            if mail is not None:
                mail.stop()
            if reindexer is not None:
                reindexer.stop()
            if observer is not None and observer.is_alive():
                observer.stop()
                observer.join(timeout=5)
            lock.release()

    # -- internals -----------------------------------------------------------------------------

    def _scan(self) -> None:
        """watchdog reports only new events: pick up whatever arrived while we were down."""
        for folder in (self.app.ws.inbox, self.app.ws.crm_drop):
            for path in sorted(folder.iterdir()):
                self.events.put(path)

    def _drain_events(self) -> None:
        folders = {self.app.ws.inbox.resolve(), self.app.ws.crm_drop.resolve()}
        while True:
            try:
                path = self.events.get_nowait()
            except queue.Empty:
                return
            if path.parent.resolve() not in folders or not is_candidate(path):
                continue
            st = stat_of(path)
            if st is not None and path not in self.pending:
                self.pending[path] = (st, time.monotonic())

    def _ready(self) -> list[Path]:
        """Files whose size and mtime have not changed for stable_seconds."""
        ready, now = [], time.monotonic()
        for path, (last, since) in list(self.pending.items()):
            st = stat_of(path)
            if st is None:
                del self.pending[path]
            elif st != last:
                self.pending[path] = (st, now)
            elif now - since >= self.settings.stable_seconds:
                ready.append(path)
                del self.pending[path]
        return sorted(ready)

    def _process(self, paths: list[Path]) -> None:
        crm_drop = self.app.ws.crm_drop.resolve()
        exports = [p for p in paths if p.parent.resolve() == crm_drop]
        if exports:
            self._import_crm(exports)
        paths = [p for p in paths if p not in exports]
        # a backlog goes in batches: stop is honoured between them, and a failure holds back one batch only
        for start in range(0, len(paths), BATCH_FILES):
            if self.stop_flag.is_set():
                return  # the rest stays in the inbox; the next start-up scan finds it
            self._consume(paths[start:start + BATCH_FILES])

    def _consume(self, paths: list[Path]) -> None:
        try:
            report = self.app.intake.consume(paths)
            for note in report.notes:
                log.warning(note)
            for o in report.outcomes:
                log.info("%s: %s %s", o.path.name, o.status, o.detail)
            self.app.jobs.after_intake()
            if self.on_batch:
                self.on_batch(report)
        except Exception:  # a bug must not stop the watcher; the files stay in the inbox for a retry
            log.exception("intake batch failed; the files stay in var/inbox/ and are retried on the next rescan")

    def _import_crm(self, paths: list[Path]) -> None:
        """Drops in var/crm/ are CRM exports: import them as snapshots, then run the tick (page, write-back)."""
        try:
            for o in self.app.crm.import_files(paths):
                log.info("%s: %s %s", o.path.name, o.status, o.detail)
            self.app.jobs.after_crm_import()
        except Exception:  # the exports stay in var/crm/ and are retried on the next rescan
            log.exception("CRM import failed; the exports stay in var/crm/ and are retried on the next rescan")

    def _poll_mail(self, mail) -> None:
        try:
            mail.poll()
        except Exception:  # our bug must not stop the watcher; the ledger keeps the mail for the next poll
            log.exception("mail poll failed; retried at the next poll")

    def _tick(self) -> None:
        try:
            self.app.jobs.run()
        except Exception:
            log.exception("jobs run failed; retried at the next tick")


def watch(app: App, on_ready: Callable[[], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM; `on_ready` once the watcher is really up (loading the models takes a while)."""
    w = Watcher(app, on_ready=on_ready)
    signal.signal(signal.SIGTERM, w.request_stop)
    signal.signal(signal.SIGINT, w.request_stop)
    w.run()
