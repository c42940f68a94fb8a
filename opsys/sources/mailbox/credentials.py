"""Where a mailbox's password comes from: the environment or a file outside git, never the system map.

The password is read when a connection is made and handed straight to the client; it is never
logged, stored, put in an event or a note, and errors about it say where to put it, not what it is.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path

from opsys.config.mail_models import Mailbox
from opsys.config.secrets import SecretMissing, read_secret, secret_path
from opsys.sources.mailbox import MailboxRefused


def password_path(box: Mailbox, root: Path) -> Path | None:
    """The password file, `~` expanded, relative paths taken from the workspace."""
    return secret_path(box.password_file, root)


def read_password(box: Mailbox, root: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The password for an IMAP mailbox (None for a Maildir); MailboxRefused says what is missing."""
    if box.kind != "imap":
        return None
    try:
        return read_secret(box, root, f"mailbox {box.name}", environ)
    except SecretMissing as e:
        raise MailboxRefused(str(e)) from None


def loose_permissions(box: Mailbox, root: Path) -> str | None:
    """A warning when the password file can be read by others (it should be mode 600)."""
    path = password_path(box, root)
    if path is None or not path.exists():
        return None
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"password_file {path} can be read by other users; `chmod 600 {path}`"
    return None


def redact(text: str, password: str | None) -> str:
    """`text` with the password (should a server echo it) replaced: errors are safe to log and store."""
    return text.replace(password, "[password]") if password and len(password) >= 3 else text
