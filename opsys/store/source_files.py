"""Which dropped files were already consumed, keyed by content hash (exactly-once intake)."""

from __future__ import annotations

import sqlite3

from opsys.store.events import utcnow


def file_status(db: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM source_files WHERE sha256 = ?", (sha256,)).fetchone()


def mark_file(db: sqlite3.Connection, sha256: str, name: str, size: int, status: str,
              stored_path: str | None, error: str | None = None) -> None:
    """Processed wins for good; a quarantined file may be retried (e.g. after a config fix)."""
    db.execute(
        "INSERT INTO source_files (sha256, name, size, status, stored_path, error, processed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(sha256) DO UPDATE SET name = excluded.name, status = excluded.status,"
        " stored_path = excluded.stored_path, error = excluded.error, processed_at = excluded.processed_at"
        " WHERE source_files.status != 'processed'",
        (sha256, name, size, status, stored_path, error, utcnow()),
    )
