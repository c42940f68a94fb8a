"""Typed shape of `sources.yml mailboxes:`: the firm's real mailboxes opsys reads (IMAP or a Maildir).

The password never lives in the system map (it is in git): a mailbox names an environment variable
(`password_env`) or a file outside git (`password_file`), and a literal `password:` key is refused
with its line. `opsys check` says whether the variable or file is there, never what it holds.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from opsys.config.secrets import PasswordSource
from opsys.config.strict import AtField

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


class Mailbox(PasswordSource):
    """One mailbox: where it is, who logs in, which folders hold inbound mail and the team's sent mail."""

    name: str = Field(description="short id used in commands and the ledger, e.g. 'hello'")
    kind: Literal["imap", "maildir"] = "imap"
    host: str | None = Field(None, description="IMAP server, e.g. imap.fastmail.com")
    port: int | None = Field(None, ge=1, le=65535, description="default 993 for ssl, 143 otherwise")
    tls: Literal["ssl", "starttls", "none"] = Field("ssl", description="none only for a server on this machine")
    user: str | None = None
    path: str | None = Field(None, description="kind maildir: the Maildir folder (mbsync, offlineimap)")
    folders: list[str] = Field(default=["INBOX"], min_length=1, description="folders whose mail is inbound")
    sent_folder: str | None = Field(None, description="the team's sent mail, read as evidence of replies")
    poll_seconds: float = Field(60, ge=5, description="how often the watcher looks for new mail")
    idle: bool = Field(True, description="wait with IMAP IDLE where the server offers it (new mail at once)")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use lowercase letters, digits, '-' or '_' (up to 40), e.g. 'hello' or 'info-desk'")
        return v

    @model_validator(mode="after")
    def _complete(self) -> "Mailbox":
        if self.kind == "imap":
            for key in ("host", "user"):
                if not getattr(self, key):
                    raise AtField(f"an imap mailbox needs `{key}`", key)
            if self.password_env and self.password_file:
                raise AtField("give either password_env or password_file, not both", "password_file")
            if not (self.password_env or self.password_file):
                raise AtField("an imap mailbox needs `password_env: VAR` or `password_file: PATH`", "password_env")
        else:
            if not self.path:
                raise AtField("a maildir mailbox needs `path` (the Maildir folder)", "path")
            for key in ("host", "port", "user", "password_env", "password_file"):
                if getattr(self, key) is not None:
                    raise AtField(f"`{key}` is for imap mailboxes; a maildir is read from `path`", key)
        if self.sent_folder and self.sent_folder in self.folders:
            raise AtField(f"{self.sent_folder!r} is both an inbound folder and the sent folder; pick one",
                          "sent_folder")
        return self

    @property
    def port_or_default(self) -> int:
        return self.port or DEFAULT_PORTS[self.tls]

    @property
    def all_folders(self) -> list[str]:
        """Inbound folders, then the sent folder."""
        return self.folders + ([self.sent_folder] if self.sent_folder else [])

    def where(self) -> str:
        """How a message names this mailbox without its secret: `hello (leads@imap.example:993)`."""
        if self.kind == "maildir":
            return f"{self.name} (maildir {self.path})"
        return f"{self.name} ({self.user}@{self.host}:{self.port_or_default})"


def mailboxes_once(boxes: list[Mailbox]) -> list[Mailbox]:
    """Mailbox names are the ledger's key: one name, one mailbox."""
    seen: dict[str, int] = {}
    for i, b in enumerate(boxes):
        if b.name in seen:
            raise AtField(f"mailbox name {b.name!r} is used twice (also mailboxes[{seen[b.name]}]); "
                          "give each its own name", i, "name")
        seen[b.name] = i
    return boxes
