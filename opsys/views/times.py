"""Times as people read them: stored in UTC, shown in the firm's `timezone` (team.yml), converted here only.

Pages and the terminal call these at render time, so a firm that moves zone sees every stored time
in the new one; nothing stored ever changes.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from opsys.rules.pipeline_diff import to_datetime


def local(when: datetime | str | None, tz: str) -> datetime | None:
    """An aware datetime (or a stored ISO string) in the firm's zone; a bare date counts as midnight UTC."""
    if isinstance(when, str):
        when = to_datetime(when)
    return None if when is None else when.astimezone(ZoneInfo(tz))


def shown(when: datetime | str | None, tz: str, zone: bool = False) -> str:
    """`2026-12-01 13:04` in the firm's zone (with its abbreviation, `CST`, when `zone`); `—` when unknown."""
    at = local(when, tz)
    if at is None:
        return "—"
    return f"{at:%Y-%m-%d %H:%M}" + (f" {at.tzname()}" if zone else "")


def age(when: datetime | str | None, now: datetime) -> str:
    """How long ago, in the largest unit that reads at a glance: `12 min`, `5 h`, `3 d`."""
    at = to_datetime(when) if isinstance(when, str) else when
    if at is None:
        return "?"
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def as_firm_time(when: datetime, tz: str) -> datetime:
    """A time typed without a zone (`--since 2026-12-01`) read as the firm's local time."""
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(tz))
