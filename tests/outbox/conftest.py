"""Fixtures for the outbox: a real SMTP server (aiosmtpd) on 127.0.0.1 and a workspace that uses it."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime

import pytest

# Monday 7 Dec 2026, 10:00 in the sample firm's America/Chicago: inside working hours
MONDAY_10 = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
PASSWORD = "s3cret-Smtp-Pw-77"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps every envelope it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def message_ids(self) -> list[str]:
        from email import message_from_bytes

        return [message_from_bytes(e.content)["Message-ID"] for e in self.envelopes]


class SmtpServer:
    """aiosmtpd's Controller on a fixed loopback port that can be stopped and started again."""

    def __init__(self, port: int, password: str | None = None):
        self.port, self.password, self.handler = port, password, Collector()
        self.controller = None
        self.logins: list[str] = []

    def _auth(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == self.password
        self.logins.append(auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def start(self) -> "SmtpServer":
        from aiosmtpd.controller import Controller

        kwargs = {"authenticator": self._auth, "auth_require_tls": False} if self.password else {}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def use_smtp(ws, port: int, *, per_hour: int = 30, user: str | None = None, extra: str = "") -> None:
    """Turn the sample's commented `smtp:` block into a real one pointing at 127.0.0.1:<port>."""
    path = ws.system_map / "sources.yml"
    text = path.read_text()
    login = f"\n    user: {user}\n    password_env: OPSYS_TEST_SMTP_PASSWORD" if user else ""
    block = (f"  smtp:\n    host: 127.0.0.1\n    port: {port}\n    tls: none{login}\n    per_hour: {per_hour}\n"
             f"    timeout_seconds: 5\n{extra}")
    text, n = re.subn(r"  # smtp:\n(  #.*\n)+", block, text)
    assert n == 1, "the sample sources.yml lost its commented smtp block"
    path.write_text(text)


def open_ws(ws):
    from opsys.app import open_app

    return open_app(ws)


def contact(app, email: str, name: str = "Dana Reyes") -> int:
    from opsys.store.contacts import upsert_contact
    from opsys.store.db import write_transaction

    with write_transaction(app.db):
        return upsert_contact(app.db, name=name, email=email, phone=None, company=None, client_account=None,
                              tier=None).contact_id


def spec(to: str, key: str, contact_id: int | None = None, **kw):
    from opsys.records.mail import MailSpec

    return MailSpec(to=to, subject=kw.pop("subject", "Checking in"), body=kw.pop("body", "Hi Dana,\n\nJust checking in.\n"),
                    rule="rule:sequences.yml#test", idempotency_key=key, contact_id=contact_id, **kw)
