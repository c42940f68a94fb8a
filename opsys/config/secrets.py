"""Where a password comes from: an environment variable or a file outside git, never the system map.

The mailbox (IMAP) and the outbound server (SMTP) share this: the same refusal of a literal
`password:` key, the same field shapes, and one reader that says where to put a missing secret
without ever saying what it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from opsys.config.strict import AtField, Strict


class SecretMissing(Exception):
    """The password is not where the map says it is; the message says how to put it there."""


class PasswordSource(Strict):
    """`password_env` or `password_file`; a literal `password:` is refused with its line."""

    password_env: str | None = Field(None, description="environment variable holding the password")
    password_file: str | None = Field(None, description="file outside git holding the password (first line)")

    @model_validator(mode="before")
    @classmethod
    def _no_literal_password(cls, data: object) -> object:
        if isinstance(data, dict) and "password" in data:
            raise AtField("never write the password into the system map (it is in git); put it in an "
                          "environment variable and name it with `password_env: VAR`, or in a file outside "
                          "git named by `password_file: ~/.config/opsys/NAME.pw`", "password")
        return data

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError("write the name of an environment variable (e.g. OPSYS_MAIL_PASSWORD), "
                             "not the password itself")
        return v


def secret_path(file_name: str | None, root: Path) -> Path | None:
    """The password file, `~` expanded, relative paths taken from the workspace."""
    if not file_name:
        return None
    p = Path(file_name).expanduser()
    return p if p.is_absolute() else root / p


def read_secret(source: PasswordSource, root: Path, what: str, environ: Mapping[str, str] | None = None) -> str:
    """The password `source` points at; SecretMissing names `what` (e.g. "mailbox hello") and the fix."""
    env = os.environ if environ is None else environ
    if source.password_env:
        value = env.get(source.password_env, "")
        if not value:
            raise SecretMissing(f"{what}: the environment variable {source.password_env} is not set; "
                                f"export {source.password_env}=… in the environment that runs opsys "
                                "(the systemd unit: `systemctl --user edit`, Environment=)")
        return value
    path = secret_path(source.password_file, root)
    if path is None:
        raise SecretMissing(f"{what}: give `password_env: VAR` or `password_file: PATH`")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretMissing(f"{what}: password_file {path} does not exist; write the password as its first "
                            f"line (`install -m 600 /dev/null {path}` first)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SecretMissing(f"{what}: password_file {path} cannot be read "
                            f"({getattr(e, 'strerror', None) or type(e).__name__}); fix its permissions") from None
    value = text.splitlines()[0].strip() if text.strip() else ""
    if not value:
        raise SecretMissing(f"{what}: password_file {path} is empty; write the password as its first line")
    return value
