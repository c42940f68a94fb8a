"""A local Maildir (kept in sync by mbsync, offlineimap or fetchmail) through the standard `mailbox` module.

A Maildir has no UIDs: each message's unique file-name part (before `:2,`) is stable while a mail
client moves it from `new/` to `cur/` or changes its flags, so it serves as the UID. There is no
UIDVALIDITY either (0); a message renamed by a re-sync gets a new key, and the ledger's dedupe by
Message-ID and content hash keeps it from being stored twice.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from opsys.config.mail_models import Mailbox
from opsys.sources.mailbox import Fetched, FolderState, Listed, MailboxRefused

_HEADER_NAMES = (b"message-id:", b"date:", b"subject:")


class MaildirSource:
    """One Maildir; `INBOX` is the Maildir itself, other folders are Maildir++ (`.Sent`) or plain subfolders."""

    def __init__(self, box: Mailbox, *, root: str | os.PathLike = "."):
        path = Path(box.path or "").expanduser()
        self.box = box
        self.path = path if path.is_absolute() else Path(root) / path
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise MailboxRefused(f"mailbox {box.name}: {self.path} is not a Maildir (no cur/ or new/ inside); "
                                 "fix `path` in system_map/sources.yml")
        self.folder_path = self.path
        self._md: mailbox.Maildir | None = None
        self._files: dict[str, Path] = {}

    def select(self, folder: str) -> FolderState:
        if folder.upper() == "INBOX":
            where = self.path
        else:
            candidates = [self.path / f".{folder.replace('/', '.')}", self.path / folder]
            where = next((c for c in candidates if (c / "cur").is_dir() or (c / "new").is_dir()), None)
            if where is None:
                raise MailboxRefused(f"mailbox {self.box.name}: no folder {folder!r} in {self.path} "
                                     f"(looked for {candidates[0].name}/ and {folder}/)")
        self.folder_path = where
        self._md = mailbox.Maildir(where, factory=None, create=False)
        self._files = self._scan()
        return FolderState(folder, 0, len(self._files))

    def _scan(self) -> dict[str, Path]:
        """Key → file, the way `mailbox.Maildir` keys them (the name up to the first ':')."""
        out: dict[str, Path] = {}
        for sub in ("new", "cur"):
            folder = self.folder_path / sub
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                out[entry.name.split(":")[0]] = Path(entry.path)
        return out

    def list_uids(self, after: int = 0) -> list[str]:
        """Every key (a Maildir has no order worth trusting: the ledger tells new from done)."""
        return sorted(self._files)

    def list_since(self, since: datetime) -> list[Listed]:
        out = []
        for key, path in sorted(self._files.items()):
            try:
                st = path.stat()
            except FileNotFoundError:  # a mail client moved it this instant
                continue
            at = datetime.fromtimestamp(st.st_mtime, UTC)
            if at.date() >= since.astimezone(UTC).date():
                out.append(Listed(key, st.st_size, at))
        return out

    def sizes(self, uids: list[str]) -> dict[str, int]:
        out = {}
        for u in uids:
            try:
                out[u] = self._files[u].stat().st_size
            except (KeyError, FileNotFoundError):
                continue
        return out

    def fetch(self, uids: list[str]) -> Iterator[Fetched]:
        assert self._md is not None, "select a folder first"
        for u in uids:
            try:
                raw = self._md.get_bytes(u)  # finds a file a mail client moved from new/ to cur/ meanwhile
            except (KeyError, FileNotFoundError):  # deleted since the listing
                continue
            try:
                at: datetime | None = datetime.fromtimestamp(self._files[u].stat().st_mtime, UTC)
            except (KeyError, FileNotFoundError):
                at = None
            yield Fetched(u, raw, at)

    def headers(self, uids: list[str]) -> dict[str, bytes]:
        out = {}
        for u in uids:
            path = self._files.get(u)
            if path is None:
                continue
            try:
                with path.open("rb") as f:
                    head = f.read(64 * 1024).split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
            except FileNotFoundError:
                continue
            out[u] = b"\r\n".join(line for line in _unfolded(head) if line.lower().startswith(_HEADER_NAMES))
        return out

    def close(self) -> None:
        self._md = None


def _unfolded(head: bytes) -> list[bytes]:
    lines: list[bytes] = []
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t") and lines:
            lines[-1] += b" " + line.strip()
        else:
            lines.append(line)
    return lines
