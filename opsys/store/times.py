"""Times as the store writes them: UTC ISO text, so SQL compares them as text and every table agrees.

A naive datetime is refused: which 09:00 would it be? Read back, text without an offset (older rows)
is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_iso(at: datetime, *, seconds: bool = False) -> str:
    """UTC ISO text of an aware datetime; `seconds` drops the fraction (ids and pages read better)."""
    if at.tzinfo is None:
        raise ValueError(f"{at!r} has no timezone; pass an aware datetime (the store keeps UTC)")
    return at.astimezone(UTC).isoformat(timespec="seconds" if seconds else "auto")


def from_iso(text: str | None) -> datetime | None:
    """The aware datetime of stored text, or None for NULL/empty."""
    if not text:
        return None
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
