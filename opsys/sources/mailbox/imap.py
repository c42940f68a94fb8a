"""An IMAP mailbox through `imapclient`: connect (SSL, STARTTLS or plain on loopback), SELECT read-only,
UID SEARCH, FETCH the raw message in batches, IDLE where offered, APPEND.

Folders are opened read-only and bodies fetched with BODY.PEEK[], so opsys never marks the firm's
mail as read nor moves it. Every network or protocol failure becomes a `MailboxUnreachable` (try
again later) or `MailboxRefused` (a person must fix the settings), worded without the password.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from opsys.config.mail_models import Mailbox
from opsys.sources.mailbox import Fetched, FolderState, Listed, MailboxRefused, MailboxUnreachable
from opsys.sources.mailbox.credentials import redact

FETCH_CHUNK = 200  # UIDs per FETCH command: keeps each command line short
_NETWORK = (OSError, socket.timeout, ssl.SSLError, imaplib.IMAP4.abort, EOFError)


class ImapSource:
    """One logged-in IMAP connection to one mailbox; select a folder, then list and fetch its mail."""

    def __init__(self, box: Mailbox, password: str, *, timeout: float = 60):
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        self.box, self._password = box, password
        self.folder: str | None = None
        host, port = box.host or "", box.port_or_default
        try:
            if box.tls == "ssl":
                self.client = IMAPClient(host, port=port, ssl=True, ssl_context=ssl.create_default_context(),
                                         timeout=timeout)
            else:
                self.client = IMAPClient(host, port=port, ssl=False, timeout=timeout)
                if box.tls == "starttls":
                    self.client.starttls(ssl.create_default_context())
            self.client.normalise_times = False  # keep the server's zone: aware datetimes
        except _NETWORK as e:
            raise MailboxUnreachable(self._say(f"cannot reach {host}:{port} ({_reason(e)}); check host, port "
                                               "and tls in system_map/sources.yml and that the server is up"))
        except imaplib.IMAP4.error as e:
            raise MailboxRefused(self._say(f"{host}:{port} refused the connection ({_reason(e)}); "
                                           "check tls: ssl (port 993) or starttls (port 143)"))
        try:
            self.client.login(box.user or "", password)
        except LoginError:
            self._drop()
            where = f"${box.password_env}" if box.password_env else f"password_file {box.password_file}"
            raise MailboxRefused(self._say(f"the server refused the login of {box.user}; check the password in "
                                           f"{where} (an app password if the provider asks for one)")) from None
        except _NETWORK as e:
            self._drop()
            raise MailboxUnreachable(self._say(f"the connection to {host}:{port} dropped during login "
                                               f"({_reason(e)})")) from None
        except imaplib.IMAP4.error as e:  # e.g. LOGINDISABLED: plain-text login refused without TLS
            self._drop()
            raise MailboxRefused(self._say(f"{host}:{port} would not let {box.user} log in ({_reason(e)}); "
                                           "check tls (the server may require ssl or starttls)")) from None

    def _say(self, text: str) -> str:
        return redact(f"mailbox {self.box.name}: {text}", self._password)

    def _drop(self) -> None:
        try:
            self.client.shutdown()
        except Exception:  # already gone
            pass

    def _call(self, what: str, fn, *args, **kwargs):
        """Run one IMAP command; a dropped connection or a protocol error says which command it was."""
        try:
            return fn(*args, **kwargs)
        except _NETWORK as e:
            raise MailboxUnreachable(self._say(f"the connection dropped during {what} ({_reason(e)}); "
                                               "it is retried at the next poll")) from None
        except imaplib.IMAP4.error as e:
            raise MailboxRefused(self._say(f"{what} failed: {_reason(e)}")) from None

    # -- the MailSource interface ----------------------------------------------------------------

    def select(self, folder: str) -> FolderState:
        """Open `folder` read-only; a missing folder names the folders the server has."""
        try:
            info = self.client.select_folder(folder, readonly=True)
        except imaplib.IMAP4.error:
            names = [f[2] for f in self._call("LIST", self.client.list_folders)]
            raise MailboxRefused(self._say(f"the server has no folder {folder!r}; it has: {', '.join(names)} "
                                           "(fix folders / sent_folder in system_map/sources.yml)")) from None
        except _NETWORK as e:
            raise MailboxUnreachable(self._say(f"the connection dropped during SELECT {folder} ({_reason(e)})"))
        self.folder = folder
        return FolderState(folder, int(info.get(b"UIDVALIDITY", 0)), int(info.get(b"EXISTS", 0)))

    def list_uids(self, after: int = 0) -> list[str]:
        """UIDs above `after`, ascending (`N:*` also returns the highest UID when none is above N)."""
        uids = self._call("UID SEARCH", self.client.search, ["UID", f"{after + 1}:*"]) if after else \
            self._call("UID SEARCH", self.client.search, ["ALL"])
        return [str(u) for u in sorted(int(u) for u in uids) if u > after]

    def list_since(self, since: datetime) -> list[Listed]:
        """Messages the server received on or after `since`'s day (IMAP SINCE is by date), with size and date."""
        uids = sorted(self._call("UID SEARCH", self.client.search, ["SINCE", since.date()]))
        out: list[Listed] = []
        for start in range(0, len(uids), FETCH_CHUNK * 5):
            chunk = uids[start:start + FETCH_CHUNK * 5]
            data = self._call("FETCH", self.client.fetch, chunk, [b"RFC822.SIZE", b"INTERNALDATE"])
            for uid in chunk:
                d = data.get(uid, {})
                out.append(Listed(str(uid), int(d.get(b"RFC822.SIZE", 0)), _aware(d.get(b"INTERNALDATE"))))
        return out

    def sizes(self, uids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = [int(u) for u in uids[start:start + FETCH_CHUNK]]
            data = self._call("FETCH", self.client.fetch, chunk, [b"RFC822.SIZE"])
            out.update({str(u): int(d.get(b"RFC822.SIZE", 0)) for u, d in data.items()})
        return out

    def fetch(self, uids: list[str]) -> Iterator[Fetched]:
        """The raw bytes of each UID still in the folder (an expunged one is simply absent), in UID order."""
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = [int(u) for u in uids[start:start + FETCH_CHUNK]]
            data = self._call("FETCH", self.client.fetch, chunk, [b"BODY.PEEK[]", b"INTERNALDATE"])
            for uid in sorted(data):
                d = data[uid]
                raw = d.get(b"BODY[]")
                if raw is None:
                    continue
                yield Fetched(str(uid), bytes(raw), _aware(d.get(b"INTERNALDATE")))

    def headers(self, uids: list[str]) -> dict[str, bytes]:
        """Message-ID, Date and Subject header lines of each UID (for resync and reconciliation reports)."""
        out: dict[str, bytes] = {}
        part = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE SUBJECT)]"
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = [int(u) for u in uids[start:start + FETCH_CHUNK]]
            data = self._call("FETCH", self.client.fetch, chunk, [part])
            for uid, d in data.items():
                raw = next((v for k, v in d.items() if k.startswith(b"BODY[HEADER")), b"")
                out[str(uid)] = bytes(raw or b"")
        return out

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:  # the server may be gone already; nothing to save
            self._drop()

    # -- beyond reading --------------------------------------------------------------------------

    def append(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = (b"\\Seen",),
               when: datetime | None = None) -> int | None:
        """APPEND a message (e.g. sent mail into the Sent folder); its UID when the server says (UIDPLUS)."""
        resp = self._call("APPEND", self.client.append, folder, raw, flags=flags, msg_time=when)
        text = resp.decode(errors="replace") if isinstance(resp, bytes) else str(resp)
        if "APPENDUID" in text:
            try:
                return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
            except (IndexError, ValueError):
                return None
        return None

    def offers_idle(self) -> bool:
        return b"IDLE" in self._call("CAPABILITY", self.client.capabilities)

    def idle_until(self, stop: Callable[[], bool], seconds: float = 600) -> bool:
        """Wait in IDLE on the selected folder up to `seconds` (servers drop an IDLE after ~30 min) or
        until `stop()`; True when the server announced new mail."""
        self._call("IDLE", self.client.idle)
        new = False
        try:
            deadline = time.monotonic() + seconds
            while not new and not stop() and time.monotonic() < deadline:
                responses = self._call("IDLE", self.client.idle_check, timeout=1)
                new = any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)
        finally:
            self._call("DONE", self.client.idle_done)
        return new


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _reason(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text[:200]
