"""Working days (工作日) in mainland China, and deadlines counted in them.

National holidays and make-up working days (调休) come from ``chinese_calendar``. For years it does not
cover yet it raises ``NotImplementedError``; those dates fall back to "Monday to Friday are working days",
so a limit that runs into an uncovered year may ignore that year's holidays until the package is updated.
A city adds its own days on top through ``WorkingCalendar``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

# Statutory limits run on Beijing time, whatever the applicant's or the server's time zone.
SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
# Ten years of calendar days: far beyond any statutory limit, so hitting it means a misconfigured calendar.
MAX_SEARCH_DAYS = 3660
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def national_working_day(day: date) -> bool:
    """Whether ``day`` is a working day nationally, weekdays only where the package has no data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkingCalendar:
    """The national calendar with a city's own days off and extra working days on top."""

    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        # Extra working days win over everything, extra days off over the national calendar.
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        return national_working_day(day)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline of a limit of ``days`` working days starting at the aware datetime ``start``.

        As in Chinese administrative practice the day of receipt does not count: counting starts on the
        next working day after ``start``'s date in Shanghai. The deadline is the end of the last working
        day, 23:59:59.999999 Asia/Shanghai, returned in UTC. Raises ValueError if ``days`` < 1 or if no
        deadline falls within MAX_SEARCH_DAYS calendar days (a calendar with (nearly) every day off).
        """
        if days < 1:
            raise ValueError(f"a time limit needs at least 1 working day, got {days}")
        day = shanghai_date(start)
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
        first, last = shanghai_date(start) + ONE_DAY, shanghai_date(end)
        return sum(self.is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


def shanghai_date(moment: datetime) -> date:
    # A naive datetime would be read in the server's zone: refuse it rather than guess.
    if moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {moment.isoformat()}")
    return moment.astimezone(SHANGHAI).date()


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
            raise ValueError(f"not a date (YYYY-MM-DD) or range (YYYY-MM-DD..YYYY-MM-DD): {item.strip()!r}") from None
        if high < low:
            raise ValueError(f"range ends before it starts: {item.strip()!r}")
        days.update(low + timedelta(days=n) for n in range((high - low).days + 1))
    return frozenset(days)


def _iso_date(text: str) -> date:
    # date.fromisoformat alone also takes 20261201 and week dates; a city's list should be unambiguous.
    if not ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)
