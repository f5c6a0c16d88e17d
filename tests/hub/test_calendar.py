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


def test_years_the_package_does_not_cover_fall_back_to_weekdays_less_the_fixed_holidays():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2040, 10, 1))
    # Monday 1 October 2040 is National Day, off on that date every year; Thursday 4 October, which
    # a notice usually makes a day off too, is a working day until a notice for 2040 says so.
    assert not NATIONAL.is_working_day(date(2040, 10, 1))
    assert NATIONAL.is_working_day(date(2040, 10, 4))
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
        ("0001-01-01..9999-12-31", "0001-01-01..9999-12-31"),  # millions of days: a mistake
        ("2026-01-01..2027-06-30", "2026-01-01..2027-06-30"),
    ],
)
def test_parse_days_errors_name_the_bad_item(text, bad):
    with pytest.raises(ValueError, match=bad.replace(".", r"\.")):
        parse_days(text)


# --- The calendar as data: files and published years over the package --------------------------------

import asyncio  # noqa: E402
import tomllib  # noqa: E402

from forms.catalog import CATALOG_DIR  # noqa: E402
from forms.working_days import YearCalendar, load_calendars, parse_calendar  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from hub.sla.calendar import Schedule, library_covers, missing_years  # noqa: E402
from hub.sla.schedules import CalendarBook, StoredCalendar, library_calendar  # noqa: E402
from hub.sla.time_limits import CalendarTimeLimits  # noqa: E402
from workflows.types import PlanTimeLimit, TimeLimit  # noqa: E402

# Not the real 2027 schedule (unknown when this was written): 1 to 3 January off, and an invented
# make-up working Sunday, 10 January, so that both kinds of day are exercised.
TEST_2027 = {
    "year": 2027,
    "notice": "a test calendar",
    "holidays": [
        {
            "name": {"zh_CN": "元旦", "en": "New Year's Day"},
            "days_off": ["2027-01-01", "2027-01-02", "2027-01-03"],
            "working_days": ["2027-01-10"],
        }
    ],
}
SHIPPED_2026 = tomllib.loads((CATALOG_DIR / "calendar" / "2026.toml").read_text(encoding="utf-8"))


def with_years(*calendars: YearCalendar, source="file") -> WorkingCalendar:
    return WorkingCalendar(schedules={c.year: Schedule.of(c, source) for c in calendars})


class MemoryStore:
    """Published calendars kept in a dictionary, counting how often they are read."""

    def __init__(self) -> None:
        self.calendars: dict[int, StoredCalendar] = {}
        self.loads = 0
        self.asked = 0

    def publish(self, calendar: YearCalendar) -> None:
        self.calendars[calendar.year] = StoredCalendar(calendar, datetime.now(UTC), "admin")

    async def version(self):
        self.asked += 1
        return tuple(sorted((y, s.published_at) for y, s in self.calendars.items()))

    async def load(self):
        self.loads += 1
        return dict(self.calendars)


def test_the_package_knows_no_2027():
    # What this part of the hub is for: the newest package stops at 2026.
    assert library_covers(2026) and not library_covers(2027)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))


def test_a_limit_across_new_year_without_2027_is_provisional_and_counts_weekdays_but_new_year():
    received = at("2026-12-30T10:00")  # a Wednesday; 31 December is a working day
    due, provisional = NATIONAL.plan(received, 5)
    # Friday 1 January 2027 is New Year's Day, off on that date every year; the other days are
    # counted Monday to Friday, as no make-up working day is known yet.
    assert due == end_of("2027-01-07") and provisional


def test_an_unknown_year_keeps_the_holidays_of_a_fixed_date():
    # 2040: Labour Day (1 and 2 May) falls on a Tuesday and Wednesday, National Day (1 to 3
    # October) on Monday to Wednesday, New Year's Day on a Sunday.
    off = [date(2040, 5, 1), date(2040, 5, 2), date(2040, 10, 1), date(2040, 10, 2), date(2040, 10, 3)]
    assert not any(NATIONAL.is_working_day(day) for day in off)
    assert NATIONAL.is_working_day(date(2040, 5, 3)) and NATIONAL.is_working_day(date(2040, 10, 4))
    assert NATIONAL.add_working_days(at("2040-09-28T10:00"), 1) == end_of("2040-10-04")
    assert NATIONAL.plan(at("2040-09-28T10:00"), 1)[1]


def test_a_limit_across_new_year_with_a_2027_calendar_counts_its_holidays():
    calendar = with_years(parse_calendar(TEST_2027, 2027))
    received = at("2026-12-30T10:00")
    assert calendar.plan(received, 5) == (end_of("2027-01-07"), False)
    # Saturday 9 January is off; the make-up Sunday 10 January counts.
    assert calendar.add_working_days(received, 7) == end_of("2027-01-10")
    assert calendar.add_working_days(received, 8) == end_of("2027-01-11")
    # The city's own days stay on top of a published year.
    city = WorkingCalendar(extra_working_days=frozenset({date(2027, 1, 2)}), schedules=calendar.schedules)
    assert city.add_working_days(received, 2) == end_of("2027-01-02")


def test_provisional_only_when_the_limit_reaches_an_unknown_year():
    assert NATIONAL.plan(at("2026-12-01T09:00"), 5) == (end_of("2026-12-08"), False)
    # Planned on 31 December: counting starts on 1 January, in the unknown year.
    assert NATIONAL.plan(at("2026-12-31T23:00"), 1)[1]
    # A limit wholly inside an unknown year is provisional too.
    assert NATIONAL.plan(at("2040-03-01T09:00"), 3)[1]
    assert NATIONAL.source(2026) == "library" and NATIONAL.source(2027) == "missing"


def test_a_file_overrides_the_package():
    moved = dict(SHIPPED_2026)
    moved["holidays"] = [dict(h) for h in SHIPPED_2026["holidays"]]
    national_day = next(h for h in moved["holidays"] if h["name"]["en"] == "National Day")
    # A city's file (or a corrected notice) making Thursday 8 October a day off as well.
    national_day["days_off"] = [*national_day["days_off"], date(2026, 10, 8)]
    calendar = with_years(parse_calendar(moved, 2026))
    received = at("2026-09-30T10:00")
    assert NATIONAL.add_working_days(received, 1) == end_of("2026-10-08")
    assert calendar.add_working_days(received, 1) == end_of("2026-10-09")
    assert calendar.source(2026) == "file" and not calendar.plan(received, 1)[1]


def test_a_file_year_with_nothing_listed_for_a_day_counts_weekdays():
    calendar = with_years(parse_calendar(TEST_2027, 2027))
    assert calendar.is_working_day(date(2027, 2, 11))  # a Thursday: the test file has no Spring Festival
    assert not calendar.is_working_day(date(2027, 2, 13))  # a Saturday


def test_the_shipped_2026_file_agrees_with_the_package_day_by_day():
    shipped = parse_calendar(SHIPPED_2026, 2026)
    calendar = with_years(shipped)
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        assert (not calendar.is_working_day(day)) == chinese_calendar.is_holiday(day), day
        holiday = shipped.holiday_of(day)
        _, name = chinese_calendar.get_holiday_detail(day)
        assert (holiday.name.en.casefold() if holiday else None) == (name.casefold() if name else None), day
        day += timedelta(days=1)
    # And the package's own schedule, as the admin API shows it, is the same content.
    assert library_calendar(2026).days_off() == shipped.days_off()
    assert library_calendar(2026).working_days() == shipped.working_days()
    names = [(h.name.zh_CN, h.name.en.casefold()) for h in shipped.holidays]
    assert [(h.name.zh_CN, h.name.en.casefold()) for h in library_calendar(2026).holidays] == names


def test_files_are_loaded_from_the_catalogs_calendar_directory(tmp_path):
    (tmp_path / "calendar").mkdir()
    (tmp_path / "calendar" / "2027.toml").write_text(
        'year = 2027\n[[holidays]]\nname = { zh_CN = "元旦", en = "New Year\'s Day" }\n'
        "days_off = [2027-01-01, 2027-01-02, 2027-01-03]\nworking_days = [2027-01-10]\n",
        encoding="utf-8",
    )
    calendars, problems = load_calendars(tmp_path)
    assert problems == [] and calendars[2027] == parse_calendar(TEST_2027 | {"notice": ""}, 2027)


def test_a_published_year_overrides_the_file_and_is_read_again_only_when_something_is_published():
    file_2027 = parse_calendar(TEST_2027, 2027)
    store = MemoryStore()
    book = CalendarBook({2027: file_2027}, store)
    received = at("2026-12-30T10:00")

    async def scenario():
        national = await book.national()
        assert national.source(2027) == "file" and national.plan(received, 5) == (end_of("2027-01-07"), False)
        await book.national()
        assert store.loads == 1  # nothing published since: the rows are not read again
        published = dict(TEST_2027)
        published["holidays"] = [TEST_2027["holidays"][0] | {"days_off": ["2027-01-01", "2027-01-04"]}]
        store.publish(parse_calendar(published, 2027))
        national = await book.national()
        assert store.loads == 2 and national.source(2027) == "published"
        # 4 January off instead: Thursday 31 December, then 5, 6, 7, 8 January.
        assert national.plan(received, 5) == (end_of("2027-01-08"), False)
        status = await book.year(2027)
        assert status.source == "published" and status.published_by == "admin"
        assert [s.source for s in await book.years(date(2026, 12, 3)) if s.year in (2026, 2027)] == [
            "library",
            "published",
        ]

    asyncio.run(scenario())


def test_time_limits_port_marks_a_provisional_limit_and_counts_a_published_year_at_once():
    store = MemoryStore()
    limits = CalendarTimeLimits(load_settings({}), CalendarBook({}, store))
    request = PlanTimeLimit(start=at("2026-12-30T10:00"), working_days=7)
    before = asyncio.run(limits.plan(request))
    # Without 2027's schedule, New Year's Day is off and nothing else: the limit ends on Monday.
    assert before.provisional and before.due_at == end_of("2027-01-11")
    assert before.remind_at == request.start + (before.due_at - request.start) * 0.75
    store.publish(parse_calendar(TEST_2027, 2027))
    after = asyncio.run(limits.plan(request))
    # Published, its make-up working Sunday counts.
    assert not after.provisional and after.due_at == end_of("2027-01-10")
    # The city's own days off still apply on top.
    city = CalendarTimeLimits(load_settings({"QINQING_EXTRA_DAYS_OFF": "2026-12-31"}), CalendarBook({}, store))
    assert asyncio.run(city.plan(request)).due_at == end_of("2027-01-11")


def test_a_date_only_shown_may_use_the_calendar_as_read_a_second_ago():
    store, other = MemoryStore(), MemoryStore()
    request = PlanTimeLimit(start=at("2026-12-30T10:00"), working_days=5)
    kept = CalendarTimeLimits(load_settings({}), CalendarBook({}, store))
    shown = CalendarTimeLimits(load_settings({}), CalendarBook({}, other), max_age=3600)

    async def scenario():
        for _ in range(3):
            await kept.plan(request)
            await shown.plan(request)
        # A limit planned and kept asks each time whether a schedule was published; one shown, once.
        assert store.asked == 3 and other.asked == 1
        other.publish(parse_calendar(TEST_2027, 2027))
        assert (await shown.plan(request)).provisional  # not seen within the hour it may be late
        assert not (await CalendarTimeLimits(load_settings({}), shown.calendars).plan(request)).provisional

    asyncio.run(scenario())


def test_a_time_limit_recorded_before_the_mark_reads_as_not_provisional():
    recorded = {"due_at": "2026-12-08T15:59:59.999999Z", "remind_at": "2026-12-06T00:00:00Z"}
    assert TimeLimit.model_validate(recorded).provisional is False


def test_the_warning_starts_on_1_november_while_next_year_is_missing():
    knows_2026 = {2026}.__contains__
    assert missing_years(date(2026, 10, 31), knows_2026) == []
    assert missing_years(date(2026, 11, 1), knows_2026) == [2027]
    assert missing_years(date(2026, 12, 31), knows_2026) == [2027]
    assert missing_years(date(2026, 11, 1), {2026, 2027}.__contains__) == []
    # Once the year has begun without its calendar, it is missing whatever the month.
    assert missing_years(date(2027, 1, 1), knows_2026) == [2027]
    assert missing_years(date(2027, 11, 15), knows_2026) == [2027, 2028]
    assert missing_years(date(2027, 11, 15), {2027}.__contains__) == [2028]


def test_the_book_warns_of_the_package_files_and_published_years_together():
    store = MemoryStore()
    book = CalendarBook({}, store)
    assert asyncio.run(book.missing(date(2026, 11, 1))) == [2027]
    assert asyncio.run(book.missing(date(2026, 10, 31))) == []
    store.publish(parse_calendar(TEST_2027, 2027))
    assert asyncio.run(book.missing(date(2026, 11, 1))) == []
    assert book.missing_as_last_read(date(2027, 11, 1)) == [2028]
    assert (
        asyncio.run(CalendarBook({2027: parse_calendar(TEST_2027, 2027)}, MemoryStore()).missing(date(2026, 12, 1)))
        == []
    )


# --- A pause (waiting for the applicant) moves a limit by the working days it covered ---------------

from workflows.types import ResumeTimeLimit  # noqa: E402

DUE_FRIDAY = end_of("2026-12-11")  # Friday 11 December 2026, 23:59:59.999999 Beijing time
REMIND_THURSDAY = at("2026-12-10T06:00").astimezone(UTC)


@pytest.mark.parametrize(
    "asked, answered, due",
    [
        # Asked and answered the same day: that day was counted already, nothing moves. (Moved by
        # the 13 seconds of wall-clock time, this limit used to end on Saturday at 00:00:13.)
        ("2026-12-11T14:00:00", "2026-12-11T14:00:13", "2026-12-11"),
        ("2026-12-07T09:00", "2026-12-07T17:30", "2026-12-11"),
        # Asked Monday, answered Wednesday: Tuesday and Wednesday, two working days.
        ("2026-12-07T10:00", "2026-12-09T15:00", "2026-12-15"),
        # Asked Friday, answered Monday: the weekend does not count, Monday does.
        ("2026-12-04T16:00", "2026-12-07T09:00", "2026-12-14"),
        # Asked Friday, answered Sunday: no working day.
        ("2026-12-04T16:00", "2026-12-06T20:00", "2026-12-11"),
        # Beijing dates count: asked late Thursday, answered just after midnight, Friday counts.
        ("2026-12-03T23:59:50", "2026-12-04T00:00:03", "2026-12-14"),
        # Over National Day (1 to 7 October off): 8 and 9 October, two working days.
        ("2026-09-30T10:00", "2026-10-09T10:00", "2026-12-15"),
        # A make-up working Saturday counts: asked Friday 8 May, answered Saturday 9 May.
        ("2026-05-08T10:00", "2026-05-09T10:00", "2026-12-14"),
    ],
)
def test_a_pause_moves_the_limit_by_the_working_days_it_covered(asked, answered, due):
    moved, remind, provisional = NATIONAL.resume(DUE_FRIDAY, REMIND_THURSDAY, at(asked), at(answered))
    assert moved == end_of(due) and not provisional
    # The reminder moves by as many working days, at the same time of day.
    days = NATIONAL.working_days_between(DUE_FRIDAY, moved)
    assert NATIONAL.working_days_between(REMIND_THURSDAY, remind) == days
    assert remind.astimezone(SHANGHAI).time() == REMIND_THURSDAY.astimezone(SHANGHAI).time()


def test_a_pause_counts_the_city_s_own_days():
    city = WorkingCalendar(extra_days_off=frozenset({date(2026, 12, 8)}))
    moved, _, _ = city.resume(DUE_FRIDAY, REMIND_THURSDAY, at("2026-12-07T10:00"), at("2026-12-09T15:00"))
    assert moved == end_of("2026-12-14")  # Tuesday 8 December off: one working day, Wednesday


WORKING_DUES = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 6, 30)).filter(NATIONAL.is_working_day)


@settings(max_examples=200, deadline=None)
@given(
    due=WORKING_DUES,
    asked=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 6, 30), timezones=ZONES),
    pause=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_a_resumed_limit_ends_at_the_end_of_a_working_day(due, asked, pause):
    deadline = end_of(due.isoformat())
    moved, remind, _ = NATIONAL.resume(deadline, deadline - timedelta(days=1), asked, asked + pause)
    local = moved.astimezone(SHANGHAI)
    assert local.time() == time.max and NATIONAL.is_working_day(local.date())
    assert NATIONAL.working_days_between(deadline, moved) == NATIONAL.working_days_between(asked, asked + pause)
    assert remind < moved


def test_the_time_limits_port_moves_a_paused_limit_on_the_planning_calendar():
    store = MemoryStore()
    limits = CalendarTimeLimits(load_settings({}), CalendarBook({}, store))
    due = end_of("2026-12-31")  # Thursday
    paused = ResumeTimeLimit(
        due_at=due,
        remind_at=due - timedelta(days=2),
        paused_at=at("2026-12-28T10:00"),
        resumed_at=at("2026-12-30T10:00"),
    )
    # Two working days (29 and 30 December) into 2027, whose schedule is missing: provisional, with
    # New Year's Day off (a holiday of a fixed date) and 2 and 3 January a weekend.
    before = asyncio.run(limits.resume(paused))
    assert before.due_at == end_of("2027-01-05") and before.provisional
    store.publish(parse_calendar(TEST_2027, 2027))
    after = asyncio.run(limits.resume(paused))
    assert after.due_at == end_of("2027-01-05") and not after.provisional  # 1 to 3 January off
    # A limit planned as provisional stays so; a pause within one day moves nothing.
    same_day = paused.model_copy(update={"provisional": True, "resumed_at": at("2026-12-28T18:00")})
    assert asyncio.run(limits.resume(same_day)) == TimeLimit(due_at=due, remind_at=paused.remind_at, provisional=True)
    # A pause whose own days run into a year without a schedule is provisional too.
    into_2027 = ResumeTimeLimit(
        due_at=end_of("2027-03-01"),
        remind_at=end_of("2027-02-26"),
        paused_at=at("2026-12-31T10:00"),
        resumed_at=at("2027-01-04T10:00"),
    )
    assert asyncio.run(
        CalendarTimeLimits(load_settings({}), CalendarBook({}, MemoryStore())).resume(into_2027)
    ).provisional


def test_short_working_days_move_a_paused_limit_by_the_periods_the_pause_crossed():
    limits = CalendarTimeLimits(load_settings({"QINQING_WORKING_DAY_SECONDS": "10"}), CalendarBook({}, MemoryStore()))
    epoch = datetime(2026, 12, 11, 6, 0, 0, tzinfo=UTC)  # a multiple of 10 seconds since the epoch
    paused = ResumeTimeLimit(
        due_at=epoch + timedelta(seconds=53),
        remind_at=epoch + timedelta(seconds=40),
        paused_at=epoch + timedelta(seconds=3),
        resumed_at=epoch + timedelta(seconds=8),
    )
    assert asyncio.run(limits.resume(paused)).due_at == paused.due_at  # within one "day"
    later = asyncio.run(limits.resume(paused.model_copy(update={"resumed_at": epoch + timedelta(seconds=21)})))
    assert later.due_at == paused.due_at + timedelta(seconds=20)
    assert later.remind_at == paused.remind_at + timedelta(seconds=20)
