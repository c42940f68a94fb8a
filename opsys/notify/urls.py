"""Notification URLs hold secrets (a Slack token, a bot key): they come from team.yml, may name an
environment variable for the secret part, and never reach a log, a page or the database.

    notify: ["slack://${SLACK_TOKEN}/#leads"]    # the token lives in the environment, not in git
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# any URL-looking run: scheme://anything up to whitespace or a quote, less trailing punctuation
_URL = re.compile(r"\b([a-z][a-z0-9+.-]{1,20})://[^\s'\"<>]*[^\s'\"<>:,.;)]", re.I)


class MissingSecret(Exception):
    """A notify URL names an environment variable that is not set."""


def resolve(url: str, env: Mapping[str, str] | None = None) -> str:
    """The URL with each ${NAME} replaced from the environment; MissingSecret names what is unset."""
    env = os.environ if env is None else env
    missing = [name for name in _VAR.findall(url) if name not in env]
    if missing:
        raise MissingSecret(f"environment variable {', '.join(missing)} is not set (named in a team.yml notify URL)")
    return _VAR.sub(lambda m: env[m[1]], url)


def redact(text: str) -> str:
    """Every URL in `text` cut to its scheme: safe to store, log or print."""
    return _URL.sub(lambda m: f"{m[1]}://…", text)


def unparseable(url: str) -> str | None:
    """Why Apprise cannot use this URL (None if it can). Imports Apprise: for `opsys check`, not hot paths."""
    import apprise

    probe = _VAR.sub("placeholder", url)  # the secret may be unset where the check runs
    if apprise.Apprise.instantiate(probe) is None:
        return f"Apprise does not understand the URL {redact(url)!r} (a typo in the scheme?)"
    return None
