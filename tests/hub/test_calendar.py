"""Statutory deadlines in working days: the dates a clerk would check against the State Council notices."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sla.calendar import SHANGHAI, WorkingCalendar, parse_days

NATIONAL = WorkingCalendar()


def at(text: str) -> datetime:
    """A moment of receipt, Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.max, tzinfo=SHANGHAI).astimezone(UTC)


def test_national_day_2026_checked_against_the_package():
    # 2026-10-01..07 are off; 2026-09-27 (Sunday) is part of the Mid-Autumn break, not a make-up day;
    # Saturday 2026-10-10 is a make-up working day.
    assert [chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 11)] == [False] * 7 + [True] * 3
    assert not chinese_calendar.is_workday(date(2026, 9, 27))
    assert chinese_calendar.is_workday(date(2026, 10, 10))

    received = at("2026-09-30T10:00")
    assert NATIONAL.add_working_days(received, 1) == end_of("2026-10-08")
    assert NATIONAL.add_working_days(received, 3) == end_of("2026-10-10")
    assert NATIONAL.add_working_days(received, 4) == end_of("2026-10-12")


def test_make_up_working_saturday_counts():
    assert date(2026, 5, 9).weekday() == 5 and chinese_calendar.is_workday(date(2026, 5, 9))
    assert NATIONAL.is_working_day(date(2026, 5, 9))
    assert NATIONAL.add_working_days(at("2026-05-08T16:00"), 1) == end_of("2026-05-09")


def test_weekday_holiday_does_not_count():
    assert not NATIONAL.is_working_day(date(2026, 1, 1))
    # 1 and 2 January (Thursday, Friday) are off; Sunday 4 January is the make-up day.
    assert NATIONAL.add_working_days(at("2025-12-31T09:00"), 1) == end_of("2026-01-04")


def test_friday_to_monday_ends_at_midnight_beijing_time():
    deadline = NATIONAL.add_working_days(at("2026-03-13T09:00"), 1)
    assert deadline.tzinfo == UTC
    assert deadline.astimezone(SHANGHAI) == datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert deadline == datetime(2026, 3, 16, 15, 59, 59, 999999, tzinfo=UTC)


def test_start_counts_from_the_shanghai_date():
    thursday_evening = datetime(2026, 3, 12, 15, 30, tzinfo=UTC)  # 23:30 Thursday in Shanghai
    friday_early = datetime(2026, 3, 12, 17, 30, tzinfo=UTC)  # 01:30 Friday in Shanghai
    assert NATIONAL.add_working_days(thursday_evening, 1) == end_of("2026-03-13")
    assert NATIONAL.add_working_days(friday_early, 1) == end_of("2026-03-16")


def test_city_days_off_push_and_extra_working_days_pull():
    monday = at("2026-03-09T09:00")
    assert NATIONAL.add_working_days(monday, 3) == end_of("2026-03-12")
    city = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 10)}))
    assert city.add_working_days(monday, 3) == end_of("2026-03-13")

    city = WorkingCalendar(extra_working_days=frozenset({date(2026, 3, 14)}))
    assert city.add_working_days(at("2026-03-13T09:00"), 1) == end_of("2026-03-14")


def test_precedence_between_city_and_national_days():
    both = frozenset({date(2026, 10, 1)})
    assert WorkingCalendar(extra_days_off=both, extra_working_days=both).is_working_day(date(2026, 10, 1))
    assert not WorkingCalendar(extra_days_off=frozenset({date(2026, 10, 10)})).is_working_day(date(2026, 10, 10))


def test_years_the_package_does_not_cover_fall_back_to_weekdays():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2040, 10, 1))
    # Monday 1 October 2040 would be National Day, but there is no notice for 2040 yet.
    assert NATIONAL.is_working_day(date(2040, 10, 1))
    assert not NATIONAL.is_working_day(date(2040, 10, 6))
    assert NATIONAL.add_working_days(at("2040-10-05T09:00"), 1) == end_of("2040-10-08")


def test_invalid_arguments():
    with pytest.raises(ValueError, match="at least 1"):
        NATIONAL.add_working_days(at("2026-03-13T09:00"), 0)
    with pytest.raises(ValueError, match="aware"):
        NATIONAL.add_working_days(datetime(2026, 3, 13, 9), 1)


def test_calendar_with_every_day_off_raises_instead_of_looping():
    first = date(2026, 1, 1)
    every_day = frozenset(first + timedelta(days=n) for n in range(11 * 366))
    with pytest.raises(ValueError, match="no deadline"):
        WorkingCalendar(extra_days_off=every_day).add_working_days(at("2026-01-01T09:00"), 1)


def test_working_days_between():
    start = at("2026-09-30T10:00")
    assert NATIONAL.working_days_between(start, at("2026-10-07T12:00")) == 0
    assert NATIONAL.working_days_between(start, at("2026-10-10T00:00")) == 3
    assert NATIONAL.working_days_between(start, at("2026-09-30T23:00")) == 0
    assert NATIONAL.working_days_between(start, at("2026-09-01T00:00")) == 0


ZONES = st.sampled_from([UTC, SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")])
STARTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=ZONES)


@settings(max_examples=200, deadline=None)
@given(start=STARTS, days=st.integers(1, 60))
def test_deadline_properties(start, days):
    deadline = NATIONAL.add_working_days(start, days)
    assert deadline > start
    assert NATIONAL.is_working_day(deadline.astimezone(SHANGHAI).date())
    assert NATIONAL.working_days_between(start, deadline) == days
    assert NATIONAL.add_working_days(start, days + 1) > deadline


def test_parse_days():
    assert parse_days("") == parse_days("  ") == frozenset()
    assert parse_days(" 2026-12-01 , 2026-12-24..2026-12-26") == {
        date(2026, 12, 1),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
    }
    assert parse_days("2026-12-31 .. 2027-01-01") == {date(2026, 12, 31), date(2027, 1, 1)}
    assert parse_days("2026-12-01..2026-12-01") == {date(2026, 12, 1)}


@given(st.frozensets(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), min_size=1))
def test_parse_days_round_trips(days):
    assert parse_days(", ".join(day.isoformat() for day in days)) == days


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("2026-12-01,2026-13-01", "2026-13-01"),
        ("2026-12-01,,2026-12-02", "''"),
        ("20261201", "20261201"),
        ("2026-12-05..2026-12-01", "2026-12-05..2026-12-01"),
        ("2026-12-01..", "2026-12-01.."),
        ("next tuesday", "next tuesday"),
    ],
)
def test_parse_days_errors_name_the_bad_item(text, bad):
    with pytest.raises(ValueError, match=bad.replace(".", r"\.")):
        parse_days(text)
