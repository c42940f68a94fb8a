"""`opsys status`: is the watcher running, since when, when did mail and the jobs last run, what waits.

Whether a watcher runs is read from the kernel, not guessed from a pid file: the watcher holds an
exclusive flock on `var/watch.lock` (released even on kill -9) and writes its pid into it. On Linux
`/proc/locks` lists that lock without touching it; elsewhere a shared lock is tried for an instant.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsys.intake.files import ERROR_SUFFIX, is_candidate
from opsys.records.events import EventKind
from opsys.store.db import connect
from opsys.store.events import Event, latest_event
from opsys.store.notifications import notification_counts
from opsys.workspace import Workspace

PROC_LOCKS = Path("/proc/locks")


@dataclass(frozen=True)
class WatcherState:
    running: bool
    pid: int | None
    since: datetime | None  # when it took the lock (it writes its pid then)

    def as_dict(self) -> dict[str, Any]:
        return {"running": self.running, "pid": self.pid,
                "since": self.since.isoformat(timespec="seconds") if self.since else None}


@dataclass(frozen=True)
class Backlog:
    inbox: int
    crm: int
    quarantined: int
    notifications_pending: int
    notifications_failed: int

    @property
    def empty(self) -> bool:
        return not (self.inbox or self.crm or self.notifications_pending or self.notifications_failed)


@dataclass(frozen=True)
class Status:
    workspace: Path
    watcher: WatcherState
    last_intake: Event | None
    last_jobs: Event | None
    backlog: Backlog

    def as_dict(self) -> dict[str, Any]:
        def event(e: Event | None) -> dict[str, Any] | None:
            return None if e is None else {"at": e.at, "message": e.message, "event_id": e.id}

        return {"workspace": str(self.workspace), "watcher": self.watcher.as_dict(),
                "last_intake": event(self.last_intake), "last_jobs_run": event(self.last_jobs),
                "backlog": {**self.backlog.__dict__, "empty": self.backlog.empty}}


def _held_in_proc_locks(lock: Path, text: str) -> int | None:
    """The pid /proc/locks names for a flock on `lock`'s inode, or None when nobody holds one."""
    st = lock.stat()
    ident = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in text.splitlines():
        f = line.split()
        if "->" in f:  # a waiter, listed under the holder
            continue
        if len(f) >= 6 and f[1] == "FLOCK" and f[5] == ident:
            return int(f[4])
    return None


def _held_by_probe(lock: Path) -> bool:
    with lock.open("r") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def watcher_state(ws: Workspace) -> WatcherState:
    """Running means the lock is held and the pid written in it is alive."""
    lock = ws.lock_path
    if not lock.is_file():
        return WatcherState(False, None, None)
    text = lock.read_text(encoding="utf-8", errors="replace").strip()
    pid = int(text) if text.isdigit() else None
    try:
        held = _held_in_proc_locks(lock, PROC_LOCKS.read_text()) is not None
    except OSError:
        held = _held_by_probe(lock)
    if not held or pid is None or not _alive(pid):
        return WatcherState(False, pid, None)
    return WatcherState(True, pid, datetime.fromtimestamp(lock.stat().st_mtime, UTC))


def _count(folder: Path, *, skip_suffix: str | None = None) -> int:
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir()
               if is_candidate(p) and not (skip_suffix and p.name.endswith(skip_suffix)))


def read_status(ws: Workspace) -> Status:
    """The status of a workspace; a workspace without a database yet is not given one."""
    if not ws.db_path.is_file():
        return workspace_status(ws, None)
    db = connect(ws.db_path)
    try:
        return workspace_status(ws, db)
    finally:
        db.close()


def workspace_status(ws: Workspace, db: sqlite3.Connection | None) -> Status:
    """Everything `opsys status` shows, read without changing anything."""
    counts = notification_counts(db) if db is not None else {}
    backlog = Backlog(inbox=_count(ws.inbox), crm=_count(ws.crm_drop),
                      quarantined=_count(ws.quarantine, skip_suffix=ERROR_SUFFIX),
                      notifications_pending=counts.get("pending", 0), notifications_failed=counts.get("failed", 0))
    if db is None:
        return Status(ws.root, watcher_state(ws), None, None, backlog)
    return Status(ws.root, watcher_state(ws), latest_event(db, EventKind.FILE_PROCESSED),
                  latest_event(db, EventKind.JOBS_RUN), backlog)
