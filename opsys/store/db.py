"""The one place that opens the SQLite file: WAL, foreign keys, busy timeout, migrations."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from opsys.store.migrations import migrate

BUSY_TIMEOUT_MS = 30_000


def connect(path: Path) -> sqlite3.Connection:
    """Open (and migrate) the state database; safe to share with a running watcher."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so writers queue on the lock
    # instead of failing mid-transaction with "database is locked".
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One writer at a time: BEGIN IMMEDIATE takes the write lock up front, so no lost update."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def copy_database(src: Path, dest: Path) -> None:
    """A consistent copy of a live database through SQLite's online backup API (a watcher may be
    writing meanwhile); the copy is checked before it counts. `dest` must not exist yet."""
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; a database copy never overwrites one")
    if not src.is_file():
        raise FileNotFoundError(f"{src}: no database to copy")
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(src, timeout=BUSY_TIMEOUT_MS / 1000)  # read only by use; WAL needs -shm access
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            ok = target.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise sqlite3.DatabaseError(f"{dest}: integrity check failed after copying {src}: {ok}")
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
    finally:
        source.close()
