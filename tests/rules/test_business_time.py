"""Business time on real calendars: holidays from the `holidays` package, the sample firm's team.yml,
DST weeks in London and New York, and config mistakes reported through the real loader."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from opsys.config.calendar_models import BusinessCalendar, DurationField, PersonAvailability
from opsys.config.loader import ConfigError, load_system_map
from opsys.config.models import SystemMap
from opsys.config.strict import Strict
from opsys.rules.business_time import BusinessTime, Duration, DurationError, NaiveDatetimeError, parse_duration

SYSTEM_MAP = Path(__file__).resolve().parents[2] / "system_map"
CHI, LON, NYC = ZoneInfo("America/Chicago"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def at(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


@pytest.fixture(scope="module")
def us() -> BusinessTime:
    return BusinessTime(BusinessCalendar(country="US"), "America/Chicago")


@pytest.fixture(scope="module")
def uk() -> BusinessTime:
    return BusinessTime(BusinessCalendar(country="GB", subdivision="ENG"), "Europe/London")


@pytest.fixture(scope="module")
def firm(system_map: SystemMap) -> BusinessTime:
    return BusinessTime.for_firm(system_map.team.firm)


# --- holidays, weekends, closed days ----------------------------------------------------------


def test_us_thanksgiving_is_closed_and_skipped(us: BusinessTime) -> None:
    assert not us.is_working_day(date(2026, 11, 26))
    assert us.closed_reason(date(2026, 11, 26)) == "public holiday: Thanksgiving Day"
    assert us.is_working_day(date(2026, 11, 27))  # the Friday after is not a federal holiday
    assert us.add_business_days(at(CHI, 2026, 11, 25, 11, 0), 1) == at(CHI, 2026, 11, 27, 11, 0)
    assert not us.is_open(at(CHI, 2026, 11, 26, 11, 0))


def test_us_observed_new_year_falls_in_the_year_before(us: BusinessTime) -> None:
    # 1 Jan 2022 was a Saturday: the day off was Friday 31 Dec 2021, filed under 2022 by the package.
    assert us.closed_reason(date(2021, 12, 31)) == "public holiday: New Year's Day (observed)"


def test_uk_christmas_and_boxing_day_substitutes(uk: BusinessTime) -> None:
    # 2026: Christmas Friday, Boxing Day Saturday -> substitute Monday 28th.
    assert [uk.is_working_day(date(2026, 12, d)) for d in (24, 25, 28, 29)] == [True, False, False, True]
    assert "Boxing Day" in (uk.closed_reason(date(2026, 12, 28)) or "")
    assert uk.add_business_days(at(LON, 2026, 12, 24, 10, 0), 1) == at(LON, 2026, 12, 29, 10, 0)
    # 2027: both fall on the weekend -> substitutes Monday 27th and Tuesday 28th.
    assert uk.add_business_days(at(LON, 2027, 12, 24, 10, 0), 1) == at(LON, 2027, 12, 29, 10, 0)
    assert uk.business_minutes_between(at(LON, 2027, 12, 24, 17, 0), at(LON, 2027, 12, 29, 9, 30)) == 30 + 30


def test_weekend_is_skipped_and_outside_hours_moves_to_next_opening(us: BusinessTime) -> None:
    assert us.closed_reason(date(2026, 2, 14)) == "Saturday is not a working day"
    assert us.add_business_days(at(CHI, 2026, 2, 13, 10, 0), 1) == at(CHI, 2026, 2, 17, 10, 0)  # Presidents' Day
    assert us.add_business_days(at(CHI, 2026, 2, 6, 10, 0), 3) == at(CHI, 2026, 2, 11, 10, 0)
    # Friday 18:00 + 1 day lands at Monday 18:00, after closing: Tuesday's opening.
    assert us.add_business_days(at(CHI, 2026, 2, 6, 18, 0), 1) == at(CHI, 2026, 2, 10, 9, 0)
    assert us.add_business_days(at(CHI, 2026, 2, 7, 12, 0), 0) == at(CHI, 2026, 2, 9, 9, 0)
    assert us.next_open(at(CHI, 2026, 2, 9, 8, 59)) == at(CHI, 2026, 2, 9, 9, 0)
    assert us.next_open(at(CHI, 2026, 2, 9, 12, 0)) == at(CHI, 2026, 2, 9, 12, 0)
    assert us.next_open(at(CHI, 2026, 2, 9, 17, 30)) == at(CHI, 2026, 2, 10, 9, 0)  # closing is closed
    assert us.is_open(at(CHI, 2026, 2, 9, 9, 0)) and not us.is_open(at(CHI, 2026, 2, 9, 17, 30))


def test_sample_firm_closed_days_and_worked_holidays(firm: BusinessTime) -> None:
    assert firm.closed_reason(date(2026, 12, 24)) == "closed: Christmas Eve"
    assert firm.closed_reason(date(2026, 12, 30)) == "closed: year-end shutdown"
    assert firm.is_working_day(date(2026, 10, 12))  # Columbus Day is in worked_holidays
    assert firm.is_working_day(date(2029, 11, 12))  # ... and so is Veterans Day (observed), a Monday
    assert not firm.is_working_day(date(2026, 11, 26))
    # Wed 23 Dec: 24 closed, 25 Christmas, weekend, 28-31 shutdown, 1 Jan, weekend -> Monday 4 Jan.
    assert firm.add_business_days(at(CHI, 2026, 12, 23, 10, 0), 1) == at(CHI, 2027, 1, 4, 10, 0)
    assert firm.tz == CHI


def test_working_days_can_include_saturday() -> None:
    bt = BusinessTime(BusinessCalendar(working_days=["Monday", "sat"], working_hours="10:00-14:00"), "UTC")
    assert bt.add_business_days(at(UTC, 2026, 2, 9, 11, 0), 1) == at(UTC, 2026, 2, 14, 11, 0)
    assert bt.add_business_hours(at(UTC, 2026, 2, 9, 13, 0), 2) == at(UTC, 2026, 2, 14, 11, 0)


# --- business hours and minutes ---------------------------------------------------------------


def test_business_minutes_across_nights_and_weekends(us: BusinessTime) -> None:
    fri4pm, tue10am = at(CHI, 2026, 2, 6, 16, 0), at(CHI, 2026, 2, 10, 10, 0)
    assert us.business_minutes_between(fri4pm, tue10am) == 90 + 510 + 60
    assert us.business_minutes_between(tue10am, fri4pm) == -(90 + 510 + 60)
    assert us.business_minutes_between(at(CHI, 2026, 2, 7, 1, 0), at(CHI, 2026, 2, 8, 23, 0)) == 0
    assert us.business_minutes_between(at(CHI, 2026, 2, 9, 9, 15), at(CHI, 2026, 2, 9, 9, 45)) == 30
    # Different zones for the two ends are the same instants.
    assert us.business_minutes_between(fri4pm, tue10am.astimezone(LON)) == 660


def test_add_business_hours_and_minutes(us: BusinessTime) -> None:
    assert us.add_business_hours(at(CHI, 2026, 2, 12, 16, 30), 2) == at(CHI, 2026, 2, 13, 10, 0)  # 1 h + 1 h
    assert us.add_business_hours(at(CHI, 2026, 2, 9, 9, 0), 8.5) == at(CHI, 2026, 2, 9, 17, 30)  # due at close
    assert us.add_business_hours(at(CHI, 2026, 2, 7, 12, 0), 1) == at(CHI, 2026, 2, 9, 10, 0)
    assert us.add_business_minutes(at(CHI, 2026, 2, 9, 17, 15), 30) == at(CHI, 2026, 2, 10, 9, 15)
    assert us.add_business_minutes(at(CHI, 2026, 2, 13, 17, 15), 30) == at(CHI, 2026, 2, 17, 9, 15)  # Presidents'
    # 40 h from Monday opening: 4 full days (34 h) + 6 h on Friday.
    assert us.add_business_hours(at(CHI, 2026, 2, 2, 9, 0), 40) == at(CHI, 2026, 2, 6, 15, 0)
    start = at(CHI, 2026, 11, 20, 14, 5)
    for minutes in (1, 59, 600, 2000, 10_000):
        end = us.add_business_minutes(start, minutes)
        assert us.business_minutes_between(start, end) == pytest.approx(minutes)


def test_add_rejects_negative_and_fractional_days(us: BusinessTime) -> None:
    with pytest.raises(ValueError, match="whole number"):
        us.add_business_days(at(CHI, 2026, 2, 9, 9, 0), -1)
    with pytest.raises(ValueError, match="zero or more"):
        us.add_business_minutes(at(CHI, 2026, 2, 9, 9, 0), -5)


def test_naive_datetime_is_refused(us: BusinessTime) -> None:
    with pytest.raises(NaiveDatetimeError, match="no timezone"):
        us.is_open(datetime(2026, 2, 9, 10, 0))


# --- DST ------------------------------------------------------------------------------------


def test_london_spring_forward_week(uk: BusinessTime) -> None:
    # Clocks go forward on Sunday 29 March 2026: Friday 10:00 GMT + 1 day = Monday 10:00 BST.
    monday = uk.add_business_days(at(LON, 2026, 3, 27, 10, 0), 1)
    assert monday == at(LON, 2026, 3, 30, 10, 0)
    assert monday.astimezone(UTC).hour == 9 and monday.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert uk.business_minutes_between(at(LON, 2026, 3, 27, 9, 0), at(LON, 2026, 3, 30, 9, 0)) == 510
    assert uk.add_business_hours(at(LON, 2026, 3, 27, 17, 0), 1) == at(LON, 2026, 3, 30, 9, 30)
    # "3 calendar days" keeps the wall time: 71 real hours across the lost hour.
    later = uk.add(at(LON, 2026, 3, 27, 10, 0), "3 calendar days")
    assert later == at(LON, 2026, 3, 30, 10, 0)
    assert (later.astimezone(UTC) - at(LON, 2026, 3, 27, 10, 0).astimezone(UTC)).total_seconds() == 71 * 3600


def test_london_fall_back_week(uk: BusinessTime) -> None:
    # Clocks go back on Sunday 25 October 2026.
    assert uk.add_business_days(at(LON, 2026, 10, 23, 16, 0), 1) == at(LON, 2026, 10, 26, 16, 0)
    assert uk.business_minutes_between(at(LON, 2026, 10, 23, 17, 0), at(LON, 2026, 10, 26, 10, 0)) == 90
    assert uk.add(at(LON, 2026, 10, 24, 12, 0), "48 calendar hours") == at(LON, 2026, 10, 26, 11, 0)


def test_new_york_dst_day_counts_real_minutes() -> None:
    # Hours that straddle 02:00 on the change days: 01:00-05:00 is 3 real hours in March, 5 in November.
    cal = BusinessCalendar(working_days=["sun"], working_hours="01:00-05:00")
    bt = BusinessTime(cal, "America/New_York")
    assert bt.business_minutes_between(at(NYC, 2026, 3, 8, 0, 0), at(NYC, 2026, 3, 8, 6, 0)) == 180
    assert bt.add_business_minutes(at(NYC, 2026, 3, 8, 1, 0), 90) == at(NYC, 2026, 3, 8, 3, 30)
    assert bt.business_minutes_between(at(NYC, 2026, 11, 1, 0, 0), at(NYC, 2026, 11, 1, 6, 0)) == 300
    assert bt.add_business_minutes(at(NYC, 2026, 11, 1, 1, 0), 299) == at(NYC, 2026, 11, 1, 4, 59)


def test_new_york_week_of_spring_forward(us: BusinessTime) -> None:
    ny = us.in_timezone("America/New_York")
    fri = at(NYC, 2026, 3, 6, 9, 0)
    assert ny.add_business_days(fri, 1) == at(NYC, 2026, 3, 9, 9, 0)
    assert ny.business_minutes_between(fri, at(NYC, 2026, 3, 9, 9, 0)) == 510
    assert ny.next_open(at(NYC, 2026, 3, 8, 2, 30)) == at(NYC, 2026, 3, 9, 9, 0)  # a wall time DST skips


# --- sending windows ----------------------------------------------------------------------------


def test_sending_window_in_firm_and_contact_timezones(us: BusinessTime) -> None:
    late = at(CHI, 2026, 2, 9, 20, 0)  # Monday 20:00 in Chicago = Tuesday 02:00 in London
    assert us.sending_window(late) == at(CHI, 2026, 2, 10, 9, 0)
    assert us.sending_window(late, "Europe/London") == at(LON, 2026, 2, 10, 9, 0)  # 03:00 in Chicago
    assert us.sending_window(late, "Asia/Tokyo") == at(ZoneInfo("Asia/Tokyo"), 2026, 2, 10, 11, 0)  # open now
    assert us.sending_window(at(CHI, 2026, 2, 9, 11, 0)) == at(CHI, 2026, 2, 9, 11, 0)
    assert us.in_timezone("Europe/London") is us.in_timezone(LON)


def test_person_hours_timezone_and_away(us: BusinessTime) -> None:
    avail = PersonAvailability.model_validate({
        "weekly_hours": 20, "working_hours": "08:00-12:00", "timezone": "Europe/London",
        "away": [{"from": date(2026, 2, 16), "until": date(2026, 2, 17), "note": "half term"}]})
    person = us.for_person(avail)
    assert person.tz == LON and avail.is_away(date(2026, 2, 17)) and not avail.is_away(date(2026, 2, 18))
    assert person.closed_reason(date(2026, 2, 17)) == "closed: away: half term"
    assert person.add_business_hours(at(LON, 2026, 2, 13, 11, 0), 2) == at(LON, 2026, 2, 18, 9, 0)


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("3 business days", Duration(3, "day", True)),
    ("2 days", Duration(2, "day", True)),
    ("1 day", Duration(1, "day", True)),
    ("3 calendar days", Duration(3, "day", False)),
    ("1 business hour", Duration(1, "hour", True)),
    ("2 working hours", Duration(2, "hour", True)),
    ("30 minutes", Duration(30, "minute", True)),
    ("4h", Duration(4, "hour", True)),
    ("1.5 h", Duration(1.5, "hour", True)),
    ("30m", Duration(30, "minute", True)),
    ("2d", Duration(2, "day", True)),
    ("  5 Business Days ", Duration(5, "day", True)),
])
def test_parse_duration_accepts(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text, says", [
    ("soon", "not a duration"), ("3 fortnights", "not a duration"), ("", "not a duration"),
    ("days 3", "not a duration"), ("-2 days", "not a duration"), ("3 business", "not a duration"),
    ("1.5 days", "days must be whole"), ("0 hours", "more than zero"),
])
def test_parse_duration_errors_say_what_is_accepted(text: str, says: str) -> None:
    with pytest.raises(DurationError, match=says) as err:
        parse_duration(text)
    if says == "not a duration":
        assert '"3 business days"' in str(err.value) and '"4h"' in str(err.value)


def test_duration_str_round_trips_and_adds(us: BusinessTime) -> None:
    for text in ("3 business days", "3 calendar days", "1 business hour", "30 business minutes", "1.5 business hours"):
        assert str(parse_duration(text)) == text
        assert parse_duration(str(parse_duration(text))) == parse_duration(text)
    fri = at(CHI, 2026, 2, 6, 16, 0)
    assert us.add(fri, "2 days") == at(CHI, 2026, 2, 10, 16, 0)
    assert us.add(fri, "30 minutes") == at(CHI, 2026, 2, 6, 16, 30)
    assert us.add(fri, parse_duration("4h")) == at(CHI, 2026, 2, 9, 11, 30)
    assert us.add(fri, "3 calendar days") == at(CHI, 2026, 2, 9, 16, 0)


def test_duration_field_in_a_config_model() -> None:
    class Step(Strict):
        due: DurationField

    assert Step.model_validate({"due": "2 business days"}).due == Duration(2, "day", True)
    assert Step.model_validate({"due": "2 business days"}).model_dump() == {"due": "2 business days"}
    with pytest.raises(ValidationError, match="has no unit"):
        Step.model_validate({"due": 2})
    with pytest.raises(ValidationError, match="accepted|one of"):
        Step.model_validate({"due": "a while"})


# --- config errors through the real loader ---------------------------------------------------------


@pytest.fixture
def map_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "system_map"
    shutil.copytree(SYSTEM_MAP, copy)
    examples = copy / "examples"
    if not any(examples.glob("*.yml")):  # the classifier's examples may still be being written
        examples.mkdir(exist_ok=True)
        (examples / "placeholder.yml").write_text(
            "- {text: 'Can you quote a new website?', category: routine, is_lead: true}\n", encoding="utf-8")
    return copy


def _problem(root: Path, old: str, new: str, field: str) -> tuple[int, str]:
    """Edit the sample team.yml, load the map, and return (line, message) of the problem at `field`."""
    path = root / "team.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"sample team.yml no longer has {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_system_map(root)
    found = [p for p in err.value.problems if p.field == field]
    assert found, f"no problem at {field}: {[str(p) for p in err.value.problems]}"
    assert found[0].file.name == "team.yml"
    return found[0].line or 0, found[0].message


def _line_of(root: Path, needle: str) -> int:
    lines = (root / "team.yml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_sample_map_loads_with_its_calendar(map_copy: Path) -> None:
    cal = load_system_map(map_copy).team.firm.calendar
    assert cal.country == "US" and cal.working_hours.end.hour == 17 and len(cal.closed) == 2


def test_loader_names_unknown_country(map_copy: Path) -> None:
    line, msg = _problem(map_copy, "    country: US ", "    country: XX ", "firm.calendar.country")
    assert line == _line_of(map_copy, "country: XX") and "unknown country 'XX'" in msg


def test_loader_names_hours_that_end_before_they_start(map_copy: Path) -> None:
    line, msg = _problem(map_copy, "working_hours: 09:00-17:30", "working_hours: 17:30-09:00",
                         "firm.calendar.working_hours")
    assert line == _line_of(map_copy, "working_hours:") and "not after start 17:30" in msg


def test_loader_names_bad_time_format(map_copy: Path) -> None:
    line, msg = _problem(map_copy, "working_hours: 09:00-17:30", "working_hours: {start: 9am, end: '17:30'}",
                         "firm.calendar.working_hours.start")
    assert line == _line_of(map_copy, "working_hours:") and "HH:MM" in msg


def test_loader_explains_unquoted_time(map_copy: Path) -> None:
    _, msg = _problem(map_copy, "working_hours: 09:00-17:30", "working_hours: {start: '09:00', end: 17:30}",
                      "firm.calendar.working_hours.end")
    assert "must be quoted" in msg and "'17:30'" in msg


def test_loader_names_closed_range_backwards(map_copy: Path) -> None:
    line, msg = _problem(map_copy, "{from: 2026-12-28, until: 2026-12-31", "{from: 2026-12-31, until: 2026-12-28",
                         "firm.calendar.closed[1]")
    assert line == _line_of(map_copy, "from: 2026-12-31") and "swap them" in msg


def test_loader_names_unknown_worked_holiday(map_copy: Path) -> None:
    line, msg = _problem(map_copy, "[Columbus Day, Veterans Day]", "[Columbus Day, Boxing Day]",
                         "firm.calendar.worked_holidays[1]")
    assert line == _line_of(map_copy, "worked_holidays:") and "Thanksgiving Day" in msg


def test_loader_names_unknown_subdivision(map_copy: Path) -> None:
    line, msg = _problem(map_copy, "    country: US ", "    subdivision: ZZ\n    country: US ",
                         "firm.calendar.subdivision")
    assert line == _line_of(map_copy, "subdivision: ZZ") and "IL" in msg


# --- availability validation ------------------------------------------------------------------------


def test_overlapping_away_periods_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        PersonAvailability.model_validate({"away": [
            {"from": "2026-03-10", "until": "2026-03-20"},
            {"from": "2026-03-01", "until": "2026-03-05"},
            {"from": "2026-03-20", "until": "2026-03-22"}]})
    e = err.value.errors()[0]
    assert e["loc"] == ("away",) and e["ctx"]["error"].loc == (2,)
    assert re.search(r"away\[2\] \(2026-03-20\.\.2026-03-22\) overlaps away\[0\]", e["msg"])


def test_availability_rejects_bad_timezone_and_backwards_away() -> None:
    with pytest.raises(ValidationError, match="IANA"):
        PersonAvailability.model_validate({"timezone": "Europe/Londn"})
    with pytest.raises(ValidationError, match="swap them"):
        PersonAvailability.model_validate({"away": [{"from": "2026-03-10", "until": "2026-03-01"}]})
    with pytest.raises(ValidationError, match="weekly_hours"):
        PersonAvailability.model_validate({"weekly_hours": 0})
