"""The firm's mailboxes as sources: IMAP (`imap.py`) and local Maildirs (`maildir.py`), one interface.

A source lists a folder's messages by UID and hands over their raw bytes; it never decides what a
mail means (intake does) and never touches the store (the ledger is `opsys/store/mailbox.py`).
`open_source` builds the right one from a `sources.yml` mailbox and its password.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from opsys.config.mail_models import Mailbox


class MailboxError(Exception):
    """A mailbox cannot be read right now; the message names the mailbox and the fix, never the password."""


class MailboxUnreachable(MailboxError):
    """The server did not answer or the connection dropped: retried with backoff at the next poll."""


class MailboxRefused(MailboxError):
    """The server answered but refused (login, missing folder): a person must fix the settings."""


@dataclass(frozen=True)
class FolderState:
    """A selected folder: its UIDVALIDITY (0 for a Maildir) and how many messages it holds."""

    name: str
    uidvalidity: int
    exists: int


@dataclass(frozen=True)
class Listed:
    """A message as the folder lists it, before its bytes are fetched."""

    uid: str
    size: int
    internal_date: datetime | None  # when the server (or the Maildir file) got it, aware


@dataclass(frozen=True)
class Fetched:
    uid: str
    raw: bytes
    internal_date: datetime | None


class MailSource(Protocol):
    """What the fetcher and the reconciliation need from a mailbox, IMAP or Maildir alike."""

    def select(self, folder: str) -> FolderState: ...

    def list_uids(self, after: int = 0) -> list[str]: ...

    def list_since(self, since: datetime) -> list[Listed]: ...

    def sizes(self, uids: list[str]) -> dict[str, int]: ...

    def fetch(self, uids: list[str]) -> Iterator[Fetched]: ...

    def headers(self, uids: list[str]) -> dict[str, bytes]: ...

    def close(self) -> None: ...


def open_source(box: Mailbox, password: str | None, *, root: str = ".", timeout: float = 60) -> MailSource:
    """Connect to (or open) the mailbox; MailboxError says why not, without the password."""
    if box.kind == "maildir":
        from opsys.sources.mailbox.maildir import MaildirSource

        return MaildirSource(box, root=root)
    from opsys.sources.mailbox.imap import ImapSource

    return ImapSource(box, password or "", timeout=timeout)
