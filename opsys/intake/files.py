"""Reading drops safely: hashing, the stability wait, temp-name convention, archive/quarantine moves."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

# Writers that cannot write atomically should write under one of these names and rename when done;
# the watcher never reads them. Hidden files (".name") are skipped too.
TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")
ERROR_SUFFIX = ".error.txt"
# Linux allows 255 bytes a name; what opsys writes stays well under, with room for "-N" and ".error.txt"
MAX_NAME_BYTES = 200


def is_candidate(path: Path) -> bool:
    """A finished-looking entry: not hidden, not a temp name. Links, pipes and folders count too:
    intake refuses them with a note instead of ignoring them forever."""
    name = path.name
    return not name.startswith(".") and not name.lower().endswith(TEMP_SUFFIXES) and os.path.lexists(path)


def bounded_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """`name` cut to `limit` UTF-8 bytes, keeping its suffix (a 250-byte subject-as-file-name fits)."""
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 16 else ""
    room = limit - len(suffix.encode("utf-8")) - 1
    stem = name[: len(name) - len(suffix)].encode("utf-8")[:room].decode("utf-8", "ignore")
    return f"{stem}~{suffix}"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Stat:
    size: int
    mtime_ns: int


def stat_of(path: Path) -> Stat | None:
    try:
        st = path.lstat()  # a link is judged as a link, never by its target
    except FileNotFoundError:
        return None
    return Stat(st.st_size, st.st_mtime_ns)


def wait_until_stable(path: Path, stable_seconds: float, timeout: float = 60.0, poll: float = 0.05) -> bool:
    """True once size and mtime held still for `stable_seconds` (the file is done being written)."""
    if stable_seconds <= 0:
        return path.exists()
    deadline = time.monotonic() + timeout
    last = stat_of(path)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(poll)
        now = stat_of(path)
        if now is None:
            return False  # moved away or deleted by its writer
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= stable_seconds:
            return True
    return False


def unique_target(folder: Path, name: str) -> Path:
    """A path in `folder` that does not exist yet, keeping `name` recognisable."""
    folder.mkdir(parents=True, exist_ok=True)
    name = bounded_name(name)
    target = folder / name
    n = 1
    while os.path.lexists(target) or Path(str(target) + ERROR_SUFFIX).exists():
        stem, dot, ext = name.partition(".")
        target = folder / bounded_name(f"{stem}-{n}{dot}{ext}")
        n += 1
    return target


def place(src: Path, target: Path, *, move: bool) -> Path:
    """Move (a drop from the inbox) or copy (a file given from elsewhere) without ever losing it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if move:  # a link, pipe or folder moves as itself: its target is never read
        os.replace(src, target) if _same_device(src, target.parent) else shutil.move(str(src), target)
    else:
        tmp = target.with_name(target.name + ".part")
        shutil.copy2(src, tmp)
        os.replace(tmp, target)
    return target


def _same_device(a: Path, b: Path) -> bool:
    try:
        return a.lstat().st_dev == b.stat().st_dev
    except FileNotFoundError:
        return False
