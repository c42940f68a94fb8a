"""A throw-away Dovecot IMAP server on 127.0.0.1, one per test (see ../shared/notes/dovecot-loopback.md).

The `dovecot` fixture yields a `Dovecot` with host, port, user, password and maildir (the user's
Maildir on disk), plus small helpers that speak real IMAP to it (append, uids, delete, reset the
UIDVALIDITY). Shared with the outbox tests, which APPEND sent mail to its Sent folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{mail}/%u
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = 1
imap_max_line_length = 64k
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={mail}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (this instance's log, imap-login, imap …), from /proc."""
    out = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat_file.parent.name))
    return out


@dataclass
class Dovecot:
    """One private Dovecot: where it listens, whom it knows, where the mail lies."""

    host: str
    port: int
    user: str
    password: str
    maildir: Path
    base: Path
    config: Path = field(repr=False)

    # --- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        pid_file = self.base / "run" / "master.pid"
        pid_file.unlink(missing_ok=True)
        with open(self.base / "dovecot.stdout", "ab") as out:
            subprocess.run([DOVECOT, "-c", str(self.config)], stdout=out, stderr=out, check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not come up on {self.port}: {self.log()}")

    def stop(self) -> None:
        pid_file = self.base / "run" / "master.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        children = _children_of(pid)  # imap processes outlive their master for a while: end them too
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # wait until the port is free again, so a restart can bind it
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                break

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- real IMAP helpers ---------------------------------------------------------------------
    def client(self):
        from imapclient import IMAPClient

        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        c.login(self.user, self.password)
        return c

    def append(self, raw: bytes, folder: str = "INBOX", flags: tuple = ()) -> int:
        """APPEND one message; returns its UID."""
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw, flags=flags)
            # APPENDUID uidvalidity uid
            text = resp.decode() if isinstance(resp, bytes) else str(resp)
            if "APPENDUID" in text:
                return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
            c.select_folder(folder)
            return max(c.search("ALL"))

    def append_many(self, raws: list[bytes], folder: str = "INBOX") -> list[int]:
        """APPEND many messages over one connection; returns their UIDs."""
        uids = []
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for raw in raws:
                text = c.append(folder, raw)
                text = text.decode() if isinstance(text, bytes) else str(text)
                uids.append(int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]")))
        return uids

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            return sorted(c.search("ALL"))

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as c:
            return int(c.select_folder(folder, readonly=True)[b"UIDVALIDITY"])

    def delete(self, uids: list[int], folder: str = "INBOX") -> None:
        with self.client() as c:
            c.select_folder(folder)
            c.delete_messages(uids)
            c.expunge()

    def reset_uidvalidity(self, folder: str = "INBOX") -> int:
        """Renumber the folder as a server migration would: new UIDVALIDITY, new UIDs, same mail."""
        before = self.uidvalidity(folder)
        self.stop()
        box = self.maildir / self.user if folder == "INBOX" else self.maildir / self.user / f".{folder}"
        for name in os.listdir(box):
            if name.startswith("dovecot-uidlist") or name.startswith("dovecot.index"):
                (box / name).unlink()
        for name in os.listdir(self.maildir / self.user):
            if name.startswith("dovecot.list.index"):
                (self.maildir / self.user / name).unlink()
        self.start()
        after = self.uidvalidity(folder)
        if after == before:  # Dovecot takes the clock's seconds; same second → try once more
            time.sleep(1.1)
            return self.reset_uidvalidity(folder)
        return after


def make_dovecot(user: str = "leads", password: str = "s3cret-Imap-Pw") -> Dovecot:
    """Start a private Dovecot in a fresh temp folder (the benches use this too); RuntimeError if it won't."""
    # Outside pytest's tmp_path: that folder is 0700 and the `dovecot` user must traverse it.
    base = Path(tempfile.mkdtemp(prefix="opsys-dovecot-"))
    os.chmod(base, 0o755)
    mail = base / "mail"
    (base / "run").mkdir()
    (base / "state").mkdir()
    mail.mkdir()
    (base / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    port = free_port()
    config = base / "dovecot.conf"
    config.write_text(CONFIG.format(base=base, mail=mail, port=port))
    if os.geteuid() == 0:
        shutil.chown(mail, "dovecot", "dovecot")
    server = Dovecot("127.0.0.1", port, user, password, mail, base, config)
    try:
        server.start()
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        out = (base / "dovecot.stdout").read_text(errors="replace") if (base / "dovecot.stdout").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"{exc} {out[-400:]}") from None
    return server


@pytest.fixture
def dovecot():
    """A real Dovecot IMAP server on 127.0.0.1 and a free port, with user `leads` (plain password)."""
    if DOVECOT is None:
        pytest.skip("the `dovecot` binary is absent: install dovecot-imapd (`make mail-deps` does)")
    try:
        server = make_dovecot()
    except RuntimeError as exc:
        pytest.skip(f"dovecot would not start here: {exc}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)


# --- a workspace reading that server ------------------------------------------------------------

PASSWORD_ENV = "OPSYS_TEST_IMAP_PASSWORD"


class KeywordClassifier:
    """opsys's own model-free classifier (ai/fallback.py): mail tests are about transport, not labels."""

    llm_status = None

    def classify_many(self, texts):
        from opsys.ai.fallback import keyword_classify

        return [keyword_classify(t) for t in texts]

    def warm_up(self):
        return None


def add_mailbox(ws, server: Dovecot, *, name: str = "hello", sent_folder: str | None = "Sent",
                extra: str = "", max_file_mb: float | None = None) -> None:
    """Append a `mailboxes:` entry for `server` to the workspace's sources.yml (password by env var)."""
    path = ws.system_map / "sources.yml"
    text = path.read_text()
    if max_file_mb is not None:
        import re

        text = re.sub(r"max_file_mb: *[\d.]+", f"max_file_mb: {max_file_mb}", text)
    if "\nmailboxes:" not in text:
        text += "\nmailboxes:\n"
    text += (f"  - name: {name}\n    kind: imap\n    host: {server.host}\n    port: {server.port}\n    tls: none\n"
             f"    user: {server.user}\n    password_env: {PASSWORD_ENV}\n    poll_seconds: 5\n")
    if sent_folder:
        text += f"    sent_folder: {sent_folder}\n"
    text += extra
    path.write_text(text)


@pytest.fixture
def mail_app(workspace, dovecot):
    """A workspace whose sources.yml reads the test Dovecot, opened with the keyword classifier."""
    from opsys.app import open_app

    add_mailbox(workspace, dovecot)
    app = open_app(workspace, classifier=KeywordClassifier())
    yield app
    app.db.close()


def fetcher_for(app, server: Dovecot, **kwargs):
    from opsys.intake.mail_fetch import MailFetcher

    return MailFetcher(app.ws, app.map, app.db, app.intake, app.clock,
                       environ={PASSWORD_ENV: server.password}, **kwargs)


def lead_mail(i: int, *, subject: str | None = None, body: str | None = None, sender: str | None = None,
              message_id: str | None = None, date: str = "Tue, 01 Dec 2026 09:00:00 +0000") -> bytes:
    """A small, real-looking inbound lead mail (CRLF, as IMAP servers hold them)."""
    sender = sender or f"Lead Person {i} <lead{i}@client{i}.example>"
    mid = message_id or f"<lead-{i}@client{i}.example>"
    subject = subject or f"New website for client {i}"
    body = body or (f"Hello, we are looking for a quote for a new website for company {i}. "
                    f"Our budget is $15,000 and we would like to launch next quarter. Call me on 555-01{i % 100:02d}.")
    return (f"From: {sender}\r\nTo: Hello <hello@brightside.example>\r\nSubject: {subject}\r\n"
            f"Date: {date}\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
