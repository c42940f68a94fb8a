"""Business time: the firm's working days and hours, public holidays and closed days, as arithmetic.

Routing SLAs ("1 business hour"), task due dates ("2 business days") and follow-up waits ("3 days")
all count time the same way through one `BusinessTime`, built once from `team.yml` and passed in.
Pure: every function takes the moment it starts from (a timezone-aware datetime); none reads a clock.
Internally every instant is UTC, because Python compares and subtracts two datetimes that share a
tzinfo by their wall clocks, which is an hour wrong across a DST change; local dates and times are
only used to find which day it is and where that day's hours begin and end.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from opsys.config.calendar_models import (
    WEEKDAYS,
    BusinessCalendar,
    ClosedPeriod,
    Duration,
    DurationError,
    PersonAvailability,
    parse_duration,
)

if TYPE_CHECKING:
    from opsys.config.models import Firm

__all__ = ["BusinessTime", "Duration", "DurationError", "NaiveDatetimeError", "parse_duration"]

UTC = timezone.utc
_ONE_DAY = timedelta(days=1)
_SEARCH_DAYS = 3660  # a calendar with no working day in ten years is a configuration mistake
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class NaiveDatetimeError(ValueError):
    """Business time needs a timezone-aware datetime: without one, 09:00 could be any of 24 instants."""


class BusinessTime:
    """A business calendar in one timezone; holidays are computed once per year and kept."""

    def __init__(self, calendar: BusinessCalendar, timezone: str | ZoneInfo = "UTC",
                 _holidays: dict[int, dict[date, str]] | None = None):
        self.calendar = calendar
        self.tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self._weekdays = frozenset(WEEKDAYS.index(d) for d in calendar.working_days)
        self._start: time = calendar.working_hours.start
        self._end: time = calendar.working_hours.end
        self._holidays = {} if _holidays is None else _holidays  # shared by every zone of one calendar
        self._closed = _expand(calendar.closed)
        self._hours_cache: dict[date, tuple[datetime, datetime] | None] = {}
        self._add_cache: dict[tuple[datetime, Duration], datetime] = {}
        self._zones: dict[str, BusinessTime] = {}

    @classmethod
    def for_firm(cls, firm: "Firm") -> "BusinessTime":
        """The firm's business time from `team.yml` (`firm.calendar` in `firm.timezone`)."""
        return cls(firm.calendar, firm.timezone)

    def in_timezone(self, tz: str | ZoneInfo) -> "BusinessTime":
        """The same days and hours read in another timezone (a contact's), sharing the holiday cache."""
        key = str(tz)
        if key == str(self.tz):
            return self
        zone = self._zones.get(key)
        if zone is None:
            zone = self._zones[key] = BusinessTime(self.calendar, tz, self._holidays)
        return zone

    def for_person(self, availability: PersonAvailability) -> "BusinessTime":
        """A person's business time: their own hours and timezone, their away days closed."""
        cal = self.calendar.model_copy(update={
            "working_hours": availability.working_hours or self.calendar.working_hours,
            "closed": [*self.calendar.closed, *(ClosedPeriod(start=a.start, until=a.until,
                                                             note=f"away{': ' + a.note if a.note else ''}")
                                                for a in availability.away)],
        })
        return BusinessTime(cal, availability.timezone or self.tz, self._holidays)

    # --- days -----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether the firm works on this local date (weekday, not a holiday, not closed)."""
        return day.weekday() in self._weekdays and day not in self._closed \
            and day not in self._holidays_in(day.year)

    def closed_reason(self, day: date) -> str | None:
        """Why the firm does not work on `day` (for explanations), or None on a working day."""
        if day.weekday() not in self._weekdays:
            return f"{_DAY_NAMES[day.weekday()]} is not a working day"
        return self._closed.get(day) or self._holidays_in(day.year).get(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(_SEARCH_DAYS):
            day += _ONE_DAY
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within ten years after {day}; check firm.calendar in team.yml")

    # --- instants -------------------------------------------------------------------------

    def is_open(self, dt: datetime) -> bool:
        """Whether `dt` falls inside working hours on a working day."""
        u = _utc(dt)
        hours = self._hours(u.astimezone(self.tz).date())
        return hours is not None and hours[0] <= u < hours[1]

    def next_open(self, dt: datetime) -> datetime:
        """`dt` itself when open, else the next opening; in the calendar's timezone."""
        u = _utc(dt)
        day = u.astimezone(self.tz).date()
        hours = self._hours(day)
        if hours is not None and u < hours[1]:
            return max(u, hours[0]).astimezone(self.tz)
        return self._hours(self.next_working_day(day))[0].astimezone(self.tz)  # type: ignore[index]

    def sending_window(self, dt: datetime, tz: str | ZoneInfo | None = None) -> datetime:
        """The first moment >= `dt` in working hours of the firm, or of the contact's timezone `tz`."""
        return (self if tz is None else self.in_timezone(tz)).next_open(dt)

    def add_business_days(self, dt: datetime, days: int) -> datetime:
        """The same local time `days` working days later; outside hours, the next opening after it."""
        if days < 0 or int(days) != days:
            raise ValueError(f"business days must be a whole number of zero or more, got {days!r}")
        local = _utc(dt).astimezone(self.tz)
        day = local.date()
        for _ in range(int(days)):
            day = self.next_working_day(day)
        # A wall time that DST skips (02:30 in spring) reads as standard time; it is outside hours anyway.
        return self.next_open(datetime.combine(day, local.time(), tzinfo=self.tz))

    def add_business_minutes(self, dt: datetime, minutes: float) -> datetime:
        """`minutes` of working time after `dt`; an end exactly at closing stays at closing."""
        if minutes < 0:
            raise ValueError(f"business minutes must be zero or more, got {minutes!r}")
        left = timedelta(minutes=minutes)
        u = _utc(dt)
        day = u.astimezone(self.tz).date()
        hours = self._hours(day)
        if hours is None or u >= hours[1]:
            day = self.next_working_day(day)
            hours = self._hours(day)
        while True:
            assert hours is not None  # next_working_day only returns days with hours
            at = max(u, hours[0])
            if left <= hours[1] - at:
                return (at + left).astimezone(self.tz)
            left -= hours[1] - at
            day = self.next_working_day(day)
            hours = self._hours(day)

    def add_business_hours(self, dt: datetime, hours: float) -> datetime:
        """`hours` of working time after `dt` (an SLA such as "1 business hour")."""
        return self.add_business_minutes(dt, hours * 60)

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from `start` to `end`; negative when `end` is earlier."""
        a, b = _utc(start), _utc(end)
        if b < a:
            return -self.business_minutes_between(end, start)
        day, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        total = timedelta()
        while day <= last:
            hours = self._hours(day)
            if hours is not None:
                lo, hi = max(a, hours[0]), min(b, hours[1])
                if hi > lo:
                    total += hi - lo
            day += _ONE_DAY
        return total / timedelta(minutes=1)

    def add(self, dt: datetime, duration: Duration | str) -> datetime:
        """`dt` plus a duration as the map writes it ("3 business days", "3 calendar days", "4h")."""
        d = parse_duration(duration) if isinstance(duration, str) else duration
        key = (dt, d)  # a lead list asks the same (now, duration) for every row
        if key not in self._add_cache:
            if len(self._add_cache) > 4096:
                self._add_cache.clear()
            self._add_cache[key] = self._add(dt, d)
        return self._add_cache[key]

    def _add(self, dt: datetime, d: Duration) -> datetime:
        if d.business:
            if d.unit == "day":
                return self.add_business_days(dt, int(d.amount))
            return self.add_business_minutes(dt, d.minutes)
        local = _utc(dt).astimezone(self.tz)
        if d.unit == "day":  # same wall time n days on, whatever DST did in between
            wall = local.replace(tzinfo=None) + timedelta(days=d.amount)
            return wall.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)
        return (local.astimezone(UTC) + timedelta(minutes=d.minutes)).astimezone(self.tz)

    # --- caches ---------------------------------------------------------------------------

    def _hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing of `day` as UTC instants, or None when closed."""
        try:
            return self._hours_cache[day]
        except KeyError:
            pass
        hours = None
        if self.is_working_day(day):
            hours = (datetime.combine(day, self._start, tzinfo=self.tz).astimezone(UTC),
                     datetime.combine(day, self._end, tzinfo=self.tz).astimezone(UTC))
        if len(self._hours_cache) > 20_000:  # a long-running daemon walks forward; keep memory flat
            self._hours_cache.clear()
        self._hours_cache[day] = hours
        return hours

    def _holidays_in(self, year: int) -> dict[date, str]:
        """Public holidays of `year` not in `worked_holidays`, date -> reason; computed once."""
        found = self._holidays.get(year)
        if found is None:
            found = self._holidays[year] = _public_holidays(self.calendar, year)
        return found


def _public_holidays(cal: BusinessCalendar, year: int) -> dict[date, str]:
    if cal.country is None:
        return {}
    import holidays  # lazy: the package loads every country's module on first use

    # Neighbour years too: a holiday observed across New Year (Sat 1 Jan -> Fri 31 Dec) is filed
    # under the year of the holiday, not of the day off.
    table = holidays.country_holidays(cal.country.upper(), subdiv=cal.subdivision, years=(year - 1, year, year + 1))
    out: dict[date, str] = {}
    for day in table:
        if day.year != year:
            continue
        names = [n for n in table.get_list(day) if not _worked(n, cal.worked_holidays)]
        if names:
            out[day] = "public holiday: " + "; ".join(names)
    return out


def _worked(name: str, worked: list[str]) -> bool:
    """`Veterans Day` in worked_holidays also covers `Veterans Day (observed)`."""
    return any(name == w or name.startswith(w + " (") for w in worked)


def _expand(periods: list[ClosedPeriod]) -> dict[date, str]:
    out: dict[date, str] = {}
    for p in periods:
        day = p.start
        while day <= p.last:
            out.setdefault(day, f"closed: {p.note}" if p.note else "closed (firm.calendar.closed in team.yml)")
            day += _ONE_DAY
    return out


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise NaiveDatetimeError(f"{dt.isoformat()} has no timezone; business time needs an aware datetime, "
                                 f"e.g. dt.replace(tzinfo=ZoneInfo(firm.timezone))")
    return dt.astimezone(UTC)
