"""Backup and restore of `var/`: the only copy of a firm's leads, decisions, archive and outbox.

A backup is one folder (or a .tar.gz of it) named for its UTC time: `opsys.sqlite3` copied through
SQLite's online backup API (safe while the watcher writes), the SOP search index, and the archive,
quarantine, pages, outbox and any drops still waiting, copied as they are (a quarantined symlink
stays a link, never followed), with a `manifest.json`. It is written under a hidden name and
renamed when complete, so a half-written backup never looks like one.

A restore builds the new `var/` beside the old one and swaps them with two renames; the replaced
`var/` is kept inside the new one as `var/replaced-<time>/`, so a failure or a wrong backup never
loses the data that was there. It holds the watcher's lock throughout: never under a running watcher.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsys.store.db import copy_database
from opsys.workspace import Workspace

FORMAT = "opsys-backup/1"
MANIFEST = "manifest.json"
DB_NAME = "opsys.sqlite3"
# var/ folders a backup holds; site builds, locks and the SQLite -wal/-shm files are left out.
# The drops waiting are copied before the database, the archive after it: a file the watcher
# consumes meanwhile is in the copy of the inbox or in the database, never in neither.
DROPS = ("inbox", "crm")
FOLDERS = (*DROPS, "knowledge", "archive", "quarantine", "pages", "outbox")
PREFIX = "opsys-backup-"


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


@dataclass
class Copied:
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    files: int
    bytes: int
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "files": self.files, "bytes": self.bytes, "skipped": list(self.skipped),
                "warnings": list(self.warnings)}


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    backup_created_at: str
    files: int
    previous: Path | None  # where the replaced var/ now is, if there was data in it

    def as_dict(self) -> dict[str, Any]:
        return {"source": str(self.source), "backup_created_at": self.backup_created_at, "files": self.files,
                "previous": str(self.previous) if self.previous else None}


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _copy_tree(src: Path, dst: Path, copied: Copied, rel: str) -> None:
    """Regular files and folders copied, symlinks recreated as links; pipes, sockets and devices skipped."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in sorted(os.scandir(src), key=lambda e: e.name):
        here, there, name = Path(entry.path), dst / entry.name, f"{rel}/{entry.name}"
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(here), there)
                copied.files += 1
            elif stat.S_ISDIR(st.st_mode):
                _copy_tree(here, there, copied, name)
            elif stat.S_ISREG(st.st_mode):
                shutil.copy2(here, there, follow_symlinks=False)
                copied.files += 1
                copied.bytes += st.st_size
            else:
                copied.skipped.append(f"{name} (not a regular file)")
        except FileNotFoundError:  # the watcher moved it meanwhile (a drop into the archive)
            continue


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opsys")
    except PackageNotFoundError:
        return "unknown"


def _write_backup_folder(ws: Workspace, folder: Path, now: datetime) -> Copied:
    from filelock import FileLock

    copied = Copied()
    if not ws.db_path.is_file():
        raise BackupError(f"{ws.db_path}: no database to back up (is {ws.root} an opsys workspace with data?)")
    items: dict[str, dict[str, int]] = {}
    for name in FOLDERS:
        if name == FOLDERS[len(DROPS)]:  # after the drops, before the archive (see DROPS)
            try:
                copy_database(ws.db_path, folder / DB_NAME)
            except sqlite3.DatabaseError as e:
                raise BackupError(f"{ws.db_path}: cannot be read for a backup ({e}); keep the last good "
                                  "backup and the file itself, and report it") from None
            copied.files += 1
            copied.bytes += (folder / DB_NAME).stat().st_size
        src = ws.var / name
        if not src.is_dir():
            continue
        before = (copied.files, copied.bytes)
        if name == "knowledge":  # the re-indexer holds this lock while it writes: copy a settled index
            with FileLock(str(src / "index.lock"), timeout=600):
                _copy_tree(src, folder / name, copied, name)
        else:
            _copy_tree(src, folder / name, copied, name)
        items[name] = {"files": copied.files - before[0], "bytes": copied.bytes - before[1]}
    manifest = {"format": FORMAT, "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
                "workspace": str(ws.root), "opsys_version": _version(),
                "database": DB_NAME, "folders": items, "skipped": copied.skipped}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return copied


def backup_workspace(ws: Workspace, dest: Path, now: datetime, *, as_tar: bool = False) -> BackupReport:
    """Write DEST/opsys-backup-<UTC time>/ (or .tar.gz); DEST must lie outside var/."""
    dest = Path(dest).expanduser().resolve()
    var = ws.var.resolve()
    if dest == var or dest.is_relative_to(var):
        raise BackupError(f"{dest}: a backup inside {var} would be lost with it; pick a folder outside var/, "
                          "ideally on another disk")
    warnings = []
    if dest.is_relative_to(ws.root.resolve()):
        warnings.append(f"{dest} is inside the workspace: keep it out of git (it holds client personal data) "
                        "and copy it to another disk")
    dest.mkdir(parents=True, exist_ok=True)
    name = PREFIX + _stamp(now)
    n = 1
    while (dest / name).exists() or (dest / f"{name}.tar.gz").exists():
        n += 1
        name = f"{PREFIX}{_stamp(now)}-{n}"
    partial = dest / f".{name}.partial"
    try:
        copied = _write_backup_folder(ws, partial / name, now)
        if as_tar:
            tar_partial = dest / f".{name}.tar.gz.partial"
            with tarfile.open(tar_partial, "w:gz") as tar:
                tar.add(partial / name, arcname=name)  # symlinks are stored as links
            final = dest / f"{name}.tar.gz"
            os.replace(tar_partial, final)
        else:
            final = dest / name
            os.rename(partial / name, final)
    except BaseException:
        (dest / f".{name}.tar.gz.partial").unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return BackupReport(final, copied.files, copied.bytes, tuple(copied.skipped), tuple(warnings))


@contextmanager
def _watch_lock(ws: Workspace) -> Iterator[None]:
    """The watcher's own lock, taken without waiting: no watcher runs while var/ is replaced."""
    ws.var.mkdir(parents=True, exist_ok=True)
    with ws.lock_path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            raise BackupError(f"`opsys watch` (pid {pid}) is running on {ws.root}; stop it first "
                              "(systemctl --user stop opsys-….service, or Ctrl-C), then restore") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def has_data(var: Path) -> bool:
    """Whether var/ holds anything but empty folders and its lock files (watch, send, intake)."""
    if not var.is_dir():
        return False
    for dirpath, _dirs, files in os.walk(var):
        if any(not (Path(dirpath) == var and f.endswith(".lock")) for f in files):
            return True
    return False


def _read_manifest(folder: Path, src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{src}: no {MANIFEST}; this is not an opsys backup (made by `opsys backup DEST`)") \
            from None
    except ValueError as e:
        raise BackupError(f"{src}: {MANIFEST} is not valid JSON ({e}); the backup is damaged") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: {MANIFEST} format is {manifest.get('format')!r}, expected {FORMAT!r}")
    if not (folder / DB_NAME).is_file():
        raise BackupError(f"{src}: {DB_NAME} is missing; the backup is incomplete")
    return manifest


def _unpack(src: Path, into: Path) -> Path:
    """The backup folder inside a .tar.gz. tarfile's 'tar' filter refuses members outside `into` (also
    through a link) yet keeps a quarantined symlink as the link it was, whatever its target."""
    try:
        with tarfile.open(src, "r:gz") as tar:
            tar.extractall(into, filter="tar")
    except (tarfile.TarError, OSError) as e:
        raise BackupError(f"{src}: cannot unpack ({e}); is it a backup written by `opsys backup --tar`?") from None
    tops = [p for p in into.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise BackupError(f"{src}: expected one backup folder inside, found {len(tops)}")
    return tops[0]


def restore_workspace(ws: Workspace, src: Path, now: datetime, *, force: bool = False) -> RestoreReport:
    """Replace var/ by a backup; a var/ with data is replaced only with `force`, and kept beside."""
    src = Path(src).expanduser().resolve()
    if not src.exists():
        raise BackupError(f"{src}: no such backup")
    with _watch_lock(ws):
        if has_data(ws.var) and not force:
            raise BackupError(f"{ws.var} already holds data; restore with --force to replace it "
                              "(the current var/ is kept as var/replaced-<time>/)")
        var = ws.var.resolve()  # a var/ that links to another disk stays there
        staging = var.parent / f".{var.name}-restore-{_stamp(now)}"
        if staging.exists():
            shutil.rmtree(staging)
        try:
            folder = _unpack(src, staging / "unpacked") if src.is_file() else src
            manifest = _read_manifest(folder, src)
            new_var, copied = staging / "var", Copied()
            try:
                copy_database(folder / DB_NAME, new_var / DB_NAME)  # checks its integrity on the way
            except sqlite3.DatabaseError as e:
                raise BackupError(f"{src}: the database in this backup is damaged ({e}); restore an older "
                                  "backup") from None
            copied.files = 1
            for name in FOLDERS:
                if (folder / name).is_dir():
                    _copy_tree(folder / name, new_var / name, copied, name)
            Workspace(staging).ensure_dirs()  # the folders a workspace needs, even if the backup had none
            previous = None
            keep = has_data(var)
            old = new_var / f"replaced-{_stamp(now)}" if keep else staging / "empty-var"
            os.rename(var, old)  # two renames on one file system: var/ is never half old, half new
            try:
                os.rename(new_var, var)
            except BaseException:
                try:
                    os.rename(old, var)
                except OSError as e:  # never delete the only copy: leave it where it is and say so
                    staging = None
                    raise BackupError(f"could not put {var} back after a failed restore ({e}); "
                                      f"the old var/ is intact at {old}: move it back to {var}") from e
                raise
            if keep:
                previous = var / old.name
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(src, str(manifest.get("created_at", "")), copied.files, previous)
