"""Single values a firm writes in `system_map/` that must mean something outside opsys: a time zone,
a phone region, an email address, a list of terms. Each check returns the value or says the fix."""

from __future__ import annotations

import difflib

# Codes people write for a country that are not its ISO 3166 code (phonenumbers knows only those).
_REGION_ALIASES = {"UK": "GB", "EN": "GB", "ENG": "GB", "GBR": "GB", "USA": "US", "EL": "GR"}


def iana_timezone(name: str) -> str:
    """`name` if zoneinfo knows it; else the closest IANA name, or how to find one."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    zones = available_timezones()
    if not zones:
        raise ValueError("this machine has no time zone database to check it against: `pip install tzdata`")
    by_case = {z.casefold(): z for z in zones}
    close = ([by_case[name.casefold()]] if name.casefold() in by_case
             else difflib.get_close_matches(name, sorted(zones), n=1, cutoff=0.85))
    hint = (f"did you mean {close[0]!r}?" if close else
            "write the IANA zone of the firm's city, e.g. 'Europe/London', 'America/Chicago', 'Asia/Kolkata' "
            "(list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)")
    raise ValueError(f"not an IANA time zone; {hint}")


def phone_region(code: str) -> str:
    """The upper-case ISO 3166 code phonenumbers reads national numbers with; else the fix."""
    from phonenumbers import SUPPORTED_REGIONS

    upper = code.strip().upper()
    if upper in SUPPORTED_REGIONS:
        return upper
    hint = (f"did you mean {_REGION_ALIASES[upper]!r}?" if _REGION_ALIASES.get(upper) in SUPPORTED_REGIONS else
            "write the two-letter ISO 3166 code of the firm's country, e.g. 'US', 'GB', 'DE', 'IN'")
    raise ValueError(f"not a phone region; {hint}")


def email_address(value: str) -> str:
    """`value` if it is an address mail can be sent to (the same check intake applies to senders)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValueError(f"not an email address: {e} Write it as name@domain, e.g. 'marta@example.com'") from None
    return value


def first_repeat(items: list[str]) -> tuple[int, int] | None:
    """(index of the first, index of its repeat) for the first item listed twice (case and spaces ignored)."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = " ".join(str(item).casefold().split())
        if key in seen:
            return seen[key], i
        seen[key] = i
    return None
