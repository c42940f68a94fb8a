"""A fetched message on its way into var/inbox/: stamped with where it came from, written atomically.

The file goes through the same exactly-once intake as any dropped `.eml`. It is written under a
hidden temp name and renamed, so the watcher never reads half a message. Two header lines are put
on top: `X-Opsys-Folder` (`Sent` for the team's sent folder, else the folder's name) and
`X-Opsys-Mailbox`; a header of that name already in the mail (anyone can write one) is renamed to
`X-Untrusted-Opsys-…`, so intake's reading of "the team sent this" rests on ours only. Neither line
carries the UID: the same mail renumbered by its server must produce the same bytes (and hash).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from opsys.intake.files import bounded_name

SENT = "Sent"
_OURS = re.compile(rb"^(X-Opsys-)", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIRST_HEADER = re.compile(rb"[!-9;-~]{1,76}:[^\r\n]*\r?\n")  # RFC 5322 field name, colon
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
TMP_PREFIX = ".opsys-mail-"


@dataclass(frozen=True)
class Facts:
    """What the ledger keeps of a message: enough to find it again and to name it in a report."""

    message_id: str | None
    date: str | None  # ISO, UTC
    subject: str
    sha256: str  # of the bytes as the server holds them


def facts_of(raw: bytes, internal_date: datetime | None = None) -> Facts:
    """Message-ID, date and a short subject from the header block (never fails: broken headers are empty)."""
    head = _HEADER_END.split(raw[:256 * 1024], maxsplit=1)[0]
    try:
        msg = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n\r\n")
        mid = " ".join(str(msg.get("Message-ID", "") or "").split())[:250] or None
        subject = _decoded(msg.get("Subject", ""))
        date = _date(msg.get("Date")) or (internal_date.astimezone(UTC).isoformat() if internal_date else None)
    except Exception:  # headers are data from strangers; the ledger still needs a row
        mid, subject, date = None, "", internal_date.astimezone(UTC).isoformat() if internal_date else None
    return Facts(mid, date, " ".join(subject.split())[:120], hashlib.sha256(raw).hexdigest())


def _decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(str(value or ""))))
    except Exception:
        return str(value or "")


def _date(value: object) -> str | None:
    if not value:
        return None
    try:
        d = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if d is None:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def stamped(raw: bytes, *, mailbox: str, folder: str, sent: bool) -> bytes:
    """The message with our two header lines on top and any look-alike of them disarmed. Something
    that does not start with a header line is left exactly as it is, for intake to refuse: our lines
    must not turn a broken message into a mail."""
    if not _FIRST_HEADER.match(raw[:1000]):
        return raw
    parts = _HEADER_END.split(raw, maxsplit=1)
    head = _OURS.sub(rb"X-Untrusted-Opsys-", parts[0])
    rest = raw[len(parts[0]):]
    nl = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    ours = (b"X-Opsys-Folder: " + (SENT if sent else _header_safe(folder)).encode() + nl
            + b"X-Opsys-Mailbox: " + _header_safe(mailbox).encode() + nl)
    return ours + head + rest


def _header_safe(text: str) -> str:
    return "".join(ch for ch in text if 32 <= ord(ch) < 127)[:100]


def inbox_name(mailbox: str, folder: str, uidvalidity: int, uid: str) -> str:
    """`mail-hello-INBOX-1796169140-42.eml`: which mailbox, folder and UID, bounded for any file system."""
    parts = [_SAFE.sub("_", p).strip("_") or "x" for p in (mailbox, folder, str(uidvalidity), uid)]
    return bounded_name(f"mail-{'-'.join(parts)}.eml")


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write under a hidden temp name, then rename: the watcher sees the whole file or none. No fsync:
    the server keeps the message until its ledger row is committed, so a file lost to a crash is
    simply fetched again."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{name}"
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


def clear_stale_temps(folder: Path) -> int:
    """Temp files a killed fetch left behind (the caller holds the mail lock, so none is being written)."""
    n = 0
    if folder.is_dir():
        for p in folder.glob(f"{TMP_PREFIX}*"):
            p.unlink(missing_ok=True)
            n += 1
    return n
