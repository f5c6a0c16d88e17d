"""Working days (工作日) in mainland China, and deadlines counted in them.

National holidays and make-up working days (调休) come first from the year's schedule as data (a
file of the catalog, ``forms/calendar/<year>.toml``, or one an administrator published, which wins
over the file), then from ``chinese_calendar``. For a year neither knows, the package raises
``NotImplementedError`` and the days fall back to "Monday to Friday are working days, less the
public holidays of a fixed date": a limit that runs into such a year is *provisional* (``WorkingCalendar.plan``), and the hub warns before it
happens (``missing_years``). A city adds its own days on top through ``WorkingCalendar``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal

import chinese_calendar

from forms.validation import no_such_date
from forms.working_days import YearCalendar
from hub.clock import BEIJING, beijing_date

# Statutory limits run on Beijing time, whatever the applicant's or the server's time zone.
SHANGHAI = BEIJING
ONE_DAY = timedelta(days=1)
# Ten years of calendar days: far beyond any statutory limit, so hitting it means a misconfigured calendar.
MAX_SEARCH_DAYS = 3660
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The warning that next year's schedule is missing starts on this day (month, day) of the year
# before: the State Council's notice usually comes out in October or November.
WARN_FROM = (11, 1)
# Where a year's national schedule comes from; "missing" is a provisional guess (``guessed_working_day``).
Source = Literal["published", "file", "library", "missing"]


# The public holidays that fall on the same date every year (全国年节及纪念日放假办法, Article 2):
# New Year's Day, Labour Day and National Day. The others follow the lunar calendar or a solar
# term, and the make-up working days come with each year's schedule, so a year without one is
# still a guess; these dates, at least, are never working days.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def guessed_working_day(day: date) -> bool:
    """A working day of a year whose schedule is not known: Monday to Friday, less the public
    holidays of a fixed date."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def national_working_day(day: date) -> bool:
    """Whether ``day`` is a working day nationally, guessed (``guessed_working_day``) where the
    package has no data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return guessed_working_day(day)


@lru_cache(maxsize=512)
def library_covers(year: int) -> bool:
    """Whether ``chinese_calendar`` knows the holidays of ``year`` (it raises for a year it does not)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def library_last_year(since: int) -> int:
    """The last year ``chinese_calendar`` knows, counting on from ``since`` (a year it knows)."""
    year = since
    while library_covers(year + 1):
        year += 1
    return year


@dataclass(frozen=True)
class Schedule:
    """One year's national days off and make-up working days, and where the hub has them from."""

    year: int
    days_off: frozenset[date]
    working_days: frozenset[date]
    source: Source = "file"

    @classmethod
    def of(cls, calendar: YearCalendar, source: Source) -> Schedule:
        return cls(calendar.year, calendar.days_off(), calendar.working_days(), source)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkingCalendar:
    """The national calendar with a city's own days off and extra working days on top.

    ``schedules`` are the years known as data (files and published ones); they win over the package.
    """

    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    schedules: Mapping[int, Schedule] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        # Extra working days win over everything, extra days off over the national calendar.
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return schedule.is_working_day(day)
        return national_working_day(day)

    def source(self, year: int) -> Source:
        """Where the national schedule of ``year`` comes from."""
        schedule = self.schedules.get(year)
        if schedule is not None:
            return schedule.source
        return "library" if library_covers(year) else "missing"

    def covers(self, year: int) -> bool:
        """Whether the national schedule of ``year`` is known (not a Monday-to-Friday guess)."""
        return self.source(year) != "missing"

    def plan(self, start: datetime, days: int) -> tuple[datetime, bool]:
        """The deadline of ``add_working_days`` and whether it is provisional: counted across a
        year whose national schedule is not known, so its holidays were taken as working days."""
        due = self.add_working_days(start, days)
        first, last = (beijing_date(start) + ONE_DAY).year, beijing_date(due).year
        return due, any(not self.covers(year) for year in range(first, last + 1))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline of a limit of ``days`` working days starting at the aware datetime ``start``.

        As in Chinese administrative practice the day of receipt does not count: counting starts on the
        next working day after ``start``'s date in Shanghai. The deadline is the end of the last working
        day, 23:59:59.999999 Asia/Shanghai, returned in UTC. Raises ValueError if ``days`` < 1 or if no
        deadline falls within MAX_SEARCH_DAYS calendar days (a calendar with (nearly) every day off).
        """
        if days < 1:
            raise ValueError(f"a time limit needs at least 1 working day, got {days}")
        day = beijing_date(start)
        remaining = days
        for _ in range(MAX_SEARCH_DAYS):
            day += ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
                if remaining == 0:
                    return datetime.combine(day, time.max, tzinfo=SHANGHAI).astimezone(UTC)
        raise ValueError(f"no deadline of {days} working days within {MAX_SEARCH_DAYS} days of {start.isoformat()}")

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after ``start``'s date up to and including ``end``'s date (Shanghai dates)."""
        first, last = beijing_date(start) + ONE_DAY, beijing_date(end)
        return sum(self.is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))

    def resume(
        self, due: datetime, remind: datetime, paused_at: datetime, resumed_at: datetime
    ) -> tuple[datetime, datetime, bool]:
        """A limit paused from ``paused_at`` to ``resumed_at`` (waiting for the applicant), moved by the
        working days the pause covered: those after the day it started, up to and including the day it
        ended (``working_days_between``), since the applicant's days do not count toward the limit and
        the day it started was counted already. A pause within one day moves nothing; asked on a
        Friday and answered on the Monday after, one working day. The deadline is the end of the
        working day it lands on (``add_working_days`` from the old one); the reminder moves by as many
        working days, at the same Beijing time of day. Returns the deadline, the reminder and whether
        the move is provisional: the pause or the move ran over a year whose schedule is not known."""
        days = self.working_days_between(paused_at, resumed_at)
        if days <= 0:
            return due, remind, False
        guessed = any(
            not self.covers(year)
            for year in range((beijing_date(paused_at) + ONE_DAY).year, beijing_date(resumed_at).year + 1)
        )
        moved, provisional = self.plan(due, days)
        day = beijing_date(self.add_working_days(remind, days))
        reminder = datetime.combine(day, remind.astimezone(SHANGHAI).time(), tzinfo=SHANGHAI).astimezone(UTC)
        return moved, reminder, guessed or provisional


def missing_years(today: date, covers: Callable[[int], bool]) -> list[int]:
    """The years whose national schedule the hub needs and lacks, on the Beijing date ``today``:
    this year at any time, and from 1 November next year, whose limits start within weeks."""
    years = [today.year]
    if (today.month, today.day) >= WARN_FROM:
        years.append(today.year + 1)
    return [year for year in years if not covers(year)]


# The hub's clock names the Beijing date; this name stays while callers move to hub.clock.beijing_date.
shanghai_date = beijing_date


# A holiday or a make-up working day comes in runs of days, never a year's worth: a longer range is
# a typing mistake (and 0001-01-01..9999-12-31 would be millions of days).
MAX_RANGE_DAYS = 366


class NoSuchDate(ValueError):
    """A day written as a date that does not exist (2027-02-30): said as such, not as a format error."""

    def __init__(self, day: str) -> None:
        super().__init__(f"not a date that exists: {day!r}")
        self.day = day


def parse_days(text: str) -> frozenset[date]:
    """Parse ``"2026-12-01, 2026-12-24..2026-12-26"``: ISO dates and inclusive ranges, comma-separated."""
    if not text.strip():
        return frozenset()
    days: set[date] = set()
    for item in text.split(","):
        first, sep, last = (part.strip() for part in item.partition(".."))
        try:
            low = _iso_date(first)
            high = _iso_date(last) if sep else low
        except ValueError:
            missing = next((t for t in (first, last) if no_such_date(t)), None)
            if missing:
                raise NoSuchDate(missing) from None
            raise ValueError(f"not a date (YYYY-MM-DD) or range (YYYY-MM-DD..YYYY-MM-DD): {item.strip()!r}") from None
        if high < low:
            raise ValueError(f"range ends before it starts: {item.strip()!r}")
        if (high - low).days >= MAX_RANGE_DAYS:
            raise ValueError(f"a range of more than {MAX_RANGE_DAYS} days: {item.strip()!r}")
        days.update(low + timedelta(days=n) for n in range((high - low).days + 1))
    return frozenset(days)


def _iso_date(text: str) -> date:
    # date.fromisoformat alone also takes 20261201 and week dates; a city's list should be unambiguous.
    if not ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)
