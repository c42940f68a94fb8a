"""Typed shape of `sources.yml outbound:`: who the firm's mail comes from, how it signs, and its SMTP server.

Without `smtp`, opsys sends nothing itself: each mail is written to `var/outbox/mail/` as an `.eml`
for a person to send. The SMTP password never lives in the system map (it is in git): `password_env`
names an environment variable, `password_file` a file outside git; a literal `password:` is refused.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from opsys.config.secrets import PasswordSource
from opsys.config.strict import AtField, Strict
from opsys.config.values import email_address

DEFAULT_SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


class Smtp(PasswordSource):
    """The firm's SMTP server: where, how to log in, and how fast it may be used."""

    host: str
    port: int | None = Field(None, ge=1, le=65535, description="default 465 for ssl, 587 for starttls, 25 for none")
    tls: Literal["ssl", "starttls", "none"] = Field("starttls", description="none only for a server on this machine")
    user: str | None = Field(None, description="login; omit for a server that takes mail without one")
    per_hour: int = Field(30, ge=1, description="at most this many mails in any hour (providers block bursts)")
    timeout_seconds: float = Field(30, gt=0)
    sent_copy: str | None = Field(None, description="name of a `mailboxes:` entry: each sent mail is also "
                                                    "appended to its sent_folder, so the team sees it")

    @model_validator(mode="after")
    def _login(self) -> "Smtp":
        if self.password_env and self.password_file:
            raise AtField("give either password_env or password_file, not both", "password_file")
        if self.user and not (self.password_env or self.password_file):
            raise AtField("a login needs `password_env: VAR` or `password_file: PATH`", "password_env")
        return self

    @property
    def port_or_default(self) -> int:
        return self.port or DEFAULT_SMTP_PORTS[self.tls]

    def where(self) -> str:
        """The server without its secret, for messages: `hello@smtp.example:587`."""
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port_or_default}"


class Outbound(Strict):
    """Mail opsys sends for the firm (follow-ups, close-out checks)."""

    model_config = ConfigDict(populate_by_name=True)

    from_address: str | None = Field(None, alias="from", description="e.g. 'Firm <hello@firm.example>'; "
                                     "needed to send, and names the Message-ID's domain")
    sign_off: str = Field("", description="how every drafted mail ends, e.g. 'Warm regards,\\nThe team'")
    smtp: Smtp | None = Field(None, description="absent: mails are written to var/outbox/mail/ as .eml files")

    @field_validator("from_address")
    @classmethod
    def _from(cls, v: str | None) -> str | None:
        if v is None:
            return v
        email_address(parseaddr(v)[1] or v)
        return v

    @model_validator(mode="after")
    def _sender(self) -> "Outbound":
        if self.smtp is not None and not self.from_address:
            raise AtField("sending through smtp needs `from: 'Name <address>'`", "from")
        return self

    @property
    def domain(self) -> str:
        """The domain Message-IDs are made in (`opsys.invalid` until `from` is set)."""
        addr = parseaddr(self.from_address or "")[1]
        return addr.rpartition("@")[2] or "opsys.invalid"
