"""Typed shape of the firm's business calendar (`team.yml` `firm.calendar`), a person's availability,
and the durations the map writes ("3 business days", "4h"). Business time itself is computed in
`opsys/rules/business_time.py`; durations are parsed here so that any config file (workflows `due:`,
routing SLAs, sequence waits) can validate them where they are declared."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, PlainValidator, field_validator, model_validator

from opsys.config.strict import AtField, Strict
from opsys.config.values import iana_timezone

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY = {d: d[:3] for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _hhmm(value: Any) -> time:
    """YAML reads an unquoted 17:30 as the number 1050 (base 60), so say how to write a time."""
    if isinstance(value, time):
        return value
    if isinstance(value, int):
        h, m = divmod(value, 60)
        raise ValueError(f"a time must be quoted: write '{h:02d}:{m:02d}' (YAML reads {h}:{m:02d} "
                         f"without quotes as the number {value})")
    text = str(value).strip()
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time; write HH:MM in 24-hour form, e.g. '09:00' or '17:30'")
    return time(int(match.group(1)), int(match.group(2)))


ClockTime = Annotated[time, BeforeValidator(_hhmm), PlainSerializer(lambda t: t.strftime("%H:%M"))]


class WorkingHours(Strict):
    """Opening and closing time on a working day, local to the timezone they apply in."""

    start: ClockTime = time(9, 0)
    end: ClockTime = time(17, 30)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):  # `working_hours: 09:00-17:30` (unquoted is fine as one string)
            start, sep, end = value.partition("-")
            if not sep:
                raise ValueError(f"{value!r} is not a span of hours; write 'HH:MM-HH:MM', e.g. '09:00-17:30'")
            return {"start": start.strip(), "end": end.strip()}
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> "WorkingHours":
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}; working hours "
                             f"cannot run past midnight, e.g. write '09:00-17:30'")
        return self


def _check_days(days: list[str]) -> list[str]:
    if len(set(days)) != len(days):
        raise ValueError(f"a day is listed twice in {days}; list each working day once")
    return sorted(days, key=WEEKDAYS.index)


def _day_names(value: Any) -> Any:
    if isinstance(value, list):
        return [_FULL_DAY.get(str(v).strip().lower(), str(v).strip().lower()) for v in value]
    return value


class ClosedPeriod(Strict):
    """Days the office is shut beyond public holidays: one date, or from..until (both included)."""

    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    until: date | None = Field(None, description="last closed day (included); omit for one day")
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_date(cls, value: Any) -> Any:
        if isinstance(value, (date, str)):  # `- 2026-12-24` is one closed day
            return {"from": value}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "ClosedPeriod":
        if self.until is not None and self.until < self.start:
            raise ValueError(f"until {self.until} is before from {self.start}; swap them")
        return self

    @property
    def last(self) -> date:
        return self.until or self.start


@lru_cache(maxsize=64)
def _country_names(country: str, subdivision: str | None) -> frozenset[str]:
    """Holiday names a country (and region) has over a span of years, for checking `worked_holidays`."""
    import holidays  # lazy: only when a calendar names a country

    found = holidays.country_holidays(country, subdiv=subdivision, years=range(2015, 2036), observed=False)
    return frozenset(n for d in found for n in found.get_list(d))


class BusinessCalendar(Strict):
    """When the firm works: days, hours (in `firm.timezone`), public holidays and extra closed days."""

    working_days: Annotated[list[Weekday], BeforeValidator(_day_names)] = Field(
        default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    working_hours: WorkingHours = WorkingHours()
    country: str | None = Field(None, description="ISO country for public holidays (`holidays` package); "
                                                  "none: no public holidays")
    subdivision: str | None = Field(None, description="state/province/nation code, e.g. IL, ENG, BY")
    worked_holidays: list[str] = Field(default=[], description="public holidays the firm works anyway, "
                                                               "by the name the holidays package gives")
    closed: list[ClosedPeriod] = Field(default=[], description="extra closed days: dates or from/until")

    @field_validator("working_days")
    @classmethod
    def _days(cls, days: list[str]) -> list[str]:
        return _check_days(days)

    @field_validator("country")
    @classmethod
    def _country(cls, code: str | None) -> str | None:
        if code is None:
            return None
        import holidays  # lazy: only when a calendar names a country

        try:  # cheaper than listing every country: only this one's module is loaded
            holidays.country_holidays(code.upper())
        except NotImplementedError:
            raise ValueError(f"unknown country {code!r} for public holidays; use an ISO 3166 code "
                             f"such as US, GB, DE, CA, AU (or leave it out for no public holidays)") from None
        return code.upper()

    @model_validator(mode="after")
    def _holidays_exist(self) -> "BusinessCalendar":
        if self.country is None:
            if self.subdivision or self.worked_holidays:
                raise AtField("needs a country; add e.g. `country: US`",
                              "subdivision" if self.subdivision else "worked_holidays")
            return self
        import holidays  # lazy: only when a calendar names a country

        if self.subdivision is not None:
            subs = list(holidays.country_holidays(self.country).subdivisions)
            by_case = {s.upper(): s for s in subs}
            if self.subdivision.upper() not in by_case:
                shown = ", ".join(subs[:40]) + (", …" if len(subs) > 40 else "")
                raise AtField(f"unknown subdivision {self.subdivision!r} of {self.country}; "
                              f"known: {shown or 'none'}", "subdivision")
            self.subdivision = by_case[self.subdivision.upper()]
        names = _country_names(self.country, self.subdivision)
        for i, name in enumerate(self.worked_holidays):
            if name not in names:
                raise AtField(f"{name!r} is not a public holiday of {self.country}; "
                              f"known: {', '.join(sorted(names))}", "worked_holidays", i)
        return self


class AwayPeriod(Strict):
    """A person is away from `from` to `until`, both days included: no new work for them."""

    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    until: date
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "AwayPeriod":
        if self.until < self.start:
            raise ValueError(f"until {self.until} is before from {self.start}; swap them")
        return self

    def covers(self, day: date) -> bool:
        """Whether `day` falls inside this period."""
        return self.start <= day <= self.until


class PersonAvailability(Strict):
    """One person's time for routed work: weekly hours, own hours and timezone, and away periods."""

    weekly_hours: float | None = Field(None, gt=0, le=168, description="hours a week for this kind of work")
    working_hours: WorkingHours | None = Field(None, description="own hours; default the firm's")
    timezone: str | None = Field(None, description="own IANA timezone; default firm.timezone")
    away: list[AwayPeriod] = []

    @field_validator("timezone")
    @classmethod
    def _tz(cls, name: str | None) -> str | None:
        return name if name is None else iana_timezone(name)

    @field_validator("away")
    @classmethod
    def _no_overlap(cls, periods: list[AwayPeriod]) -> list[AwayPeriod]:
        order = sorted(range(len(periods)), key=lambda i: periods[i].start)
        for a, b in zip(order, order[1:]):
            if periods[b].start <= periods[a].until:
                pa, pb = periods[a], periods[b]
                raise AtField(f"away[{b}] ({pb.start}..{pb.until}) overlaps away[{a}] ({pa.start}..{pa.until}); "
                              f"merge them into one period or fix the dates", b)
        return periods

    def is_away(self, day: date) -> bool:
        """Whether the person is away on `day` (their local date)."""
        return any(p.covers(day) for p in self.away)


# --- durations ------------------------------------------------------------------------------

DurationUnit = Literal["day", "hour", "minute"]
ACCEPTED_DURATIONS = ('"3 business days", "2 days" (business by default), "3 calendar days", '
                      '"1 business hour", "30 minutes", "4h", "30m", "2d"')
_UNITS = {"d": "day", "day": "day", "days": "day",
          "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
          "m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:(business|working|calendar)\s+)?([a-z]+)$")


class DurationError(ValueError):
    """A duration is written in a form opsys does not read; the message lists the forms it does."""


@dataclass(frozen=True)
class Duration:
    """An amount of business or calendar time, as a map file writes it."""

    amount: float
    unit: DurationUnit
    business: bool = True

    @property
    def minutes(self) -> float:
        """Length in minutes (business minutes when `business`); a day counts as 24 h only for calendar."""
        if self.unit == "day":
            raise ValueError("a day's length in minutes depends on the calendar; use BusinessTime.add")
        return self.amount * (60 if self.unit == "hour" else 1)

    def __str__(self) -> str:
        n = int(self.amount) if float(self.amount).is_integer() else self.amount
        kind = "business" if self.business else "calendar"
        return f"{n} {kind} {self.unit}{'' if n == 1 else 's'}"


def parse_duration(text: str) -> Duration:
    """Read "3 business days", "2 days", "3 calendar days", "1 business hour", "30 minutes", "4h"."""
    raw = str(text)
    match = _DURATION.match(raw.strip().lower())
    unit = _UNITS.get(match.group(3)) if match else None
    if not match or unit is None:
        raise DurationError(f"{raw!r} is not a duration; write a number and a unit, one of: {ACCEPTED_DURATIONS}")
    amount = float(match.group(1))
    if unit == "day" and not amount.is_integer():
        raise DurationError(f"{raw!r}: days must be whole; write hours instead, e.g. '12 business hours'")
    if amount <= 0:
        raise DurationError(f"{raw!r}: a duration must be more than zero")
    return Duration(int(amount) if amount.is_integer() else amount, unit, match.group(2) != "calendar")


def _coerce_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise DurationError(f"{value!r} has no unit; write e.g. '{value} business days' or '{value}h'")
    return parse_duration(value)


# A config field written as a duration: `due: DurationField` validates "2 business days" on load.
DurationField = Annotated[Duration, PlainValidator(_coerce_duration), PlainSerializer(str)]
