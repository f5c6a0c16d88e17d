"""The national working-day schedules the hub counts with, and publishing one.

A year's schedule comes from, in this order: one an administrator published (stored in the
database, ``WorkingCalendarYear``), the catalog's file ``calendar/<year>.toml``, the
``chinese_calendar`` package; else it is missing, and Monday to Friday, less the holidays of a fixed date, stand in for it.

Both the worker (planning a limit, in an activity) and the web server read the stored schedules
through a ``CalendarBook``: one small query per use tells whether anything was published since the
last read (how many rows, the newest publication time), and the rows are read again only then. So a
schedule published on one web server counts for the next limit any worker plans, without a restart.
Limits planned before stay as they were: a running workflow's due date is recorded in its history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import chinese_calendar

from forms.validation import FieldError
from forms.working_days import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarInvalid,
    CalendarProblem,
    Holiday,
    HolidayName,
    YearCalendar,
    parse_calendar,
)
from hub import clock
from hub.actor import Actor
from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import WorkingCalendarYear
from hub.db.transactions import writing
from hub.errors import invalid_form, not_found
from hub.sla.calendar import ONE_DAY, Schedule, Source, WorkingCalendar, library_covers, missing_years

log = logging.getLogger("qinqing.calendar")

# The package names holidays in English only; these are the names the State Council's notices use.
LIBRARY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
# The package's years are listed from here on (it starts in 2004).
FIRST_LISTED_YEAR = 2004


@dataclass(frozen=True)
class StoredCalendar:
    """A schedule as an administrator published it."""

    calendar: YearCalendar
    published_at: dt.datetime
    published_by: str | None = None


class CalendarStore(Protocol):
    """Where published schedules are kept (the database; a dictionary in unit tests)."""

    async def version(self) -> Any: ...

    async def load(self) -> dict[int, StoredCalendar]: ...


class PiccoloCalendarStore:
    """Published schedules in the ``working_calendar_year`` table."""

    async def version(self) -> Any:
        # Asked on every use of the calendar and by every health check: plain SQL, not built each time.
        table = WorkingCalendarYear._meta.tablename
        rows = await WorkingCalendarYear.raw(f'SELECT COUNT(*) AS n, MAX("published_at") AS last FROM "{table}"')
        return (rows[0]["n"], str(rows[0]["last"])) if rows else (0, "")

    async def load(self) -> dict[int, StoredCalendar]:
        rows = await WorkingCalendarYear.select(
            WorkingCalendarYear.year,
            WorkingCalendarYear.content,
            WorkingCalendarYear.published_at,
            WorkingCalendarYear.published_by.username.as_alias("by"),
        )
        stored = {}
        for row in rows:
            try:
                calendar = YearCalendar.model_validate(load_json(row["content"]))
            except ValueError:
                # Checked when it was published; a row edited by hand since is left out, loudly.
                log.error("the stored working-day calendar of %s cannot be read; it is not used", row["year"])
                continue
            stored[row["year"]] = StoredCalendar(calendar, row["published_at"], row["by"])
        return stored


@dataclass(frozen=True)
class YearStatus:
    """Where one year's national schedule comes from, and the schedule when the hub has one."""

    year: int
    source: Source
    calendar: YearCalendar | None = None
    published_at: dt.datetime | None = None
    published_by: str | None = None


class CalendarBook:
    """The schedules of the catalog's files with the published ones over them; cached until
    something is published (one small query per use to know)."""

    def __init__(self, files: Mapping[int, YearCalendar], store: CalendarStore | None = None):
        self.files = dict(files)
        self.store = store if store is not None else PiccoloCalendarStore()
        self._version: Any = object()
        self._checked_at = -math.inf  # when the version was last asked (monotonic seconds)
        self._stored: dict[int, StoredCalendar] = {}
        self._national = WorkingCalendar(schedules=self._schedules())

    def _schedules(self) -> dict[int, Schedule]:
        schedules = {year: Schedule.of(calendar, "file") for year, calendar in self.files.items()}
        schedules.update({year: Schedule.of(s.calendar, "published") for year, s in self._stored.items()})
        return schedules

    @property
    def version(self) -> Any:
        """What the published schedules were when last read: changes when one is published."""
        return self._version

    async def refresh(self, max_age: float = 0.0) -> None:
        """Read the published schedules again if anything was published since the last read; with
        ``max_age``, only if that was not asked within the last ``max_age`` seconds (a date shown
        to a reader may be a second late with a schedule just published; a limit planned may not)."""
        if max_age and time.monotonic() - self._checked_at < max_age:
            return
        version = await self.store.version()
        self._checked_at = time.monotonic()
        if version != self._version:
            self._stored = await self.store.load()
            self._national = WorkingCalendar(schedules=self._schedules())
            self._version = version

    async def national(self, max_age: float = 0.0) -> WorkingCalendar:
        """The national calendar as it stands now (without a city's own days)."""
        await self.refresh(max_age)
        return self._national

    async def calendar(
        self,
        extra_days_off: frozenset[dt.date] = frozenset(),
        extra_working_days: frozenset[dt.date] = frozenset(),
        max_age: float = 0.0,
    ) -> WorkingCalendar:
        """The calendar limits are counted on: the national one with the city's own days on top."""
        national = await self.national(max_age)
        return dataclasses.replace(national, extra_days_off=extra_days_off, extra_working_days=extra_working_days)

    async def missing(self, today: dt.date | None = None) -> list[int]:
        """The years the hub needs a schedule for and lacks (``missing_years``), on ``today`` in Beijing."""
        await self.refresh()
        return self.missing_as_last_read(today)

    def missing_as_last_read(self, today: dt.date | None = None) -> list[int]:
        """``missing`` without reading the database (when it cannot be reached): as last read."""
        return missing_years(today or clock.today(), self._national.covers)

    async def year(self, year: int) -> YearStatus:
        """Where ``year``'s schedule comes from, with the schedule itself (the package's as data too)."""
        await self.refresh()
        stored = self._stored.get(year)
        if stored is not None:
            return YearStatus(year, "published", stored.calendar, stored.published_at, stored.published_by)
        if year in self.files:
            return YearStatus(year, "file", self.files[year])
        if library_covers(year):
            return YearStatus(year, "library", library_calendar(year))
        return YearStatus(year, "missing")

    async def years(self, today: dt.date | None = None) -> list[YearStatus]:
        """Every year the hub knows a schedule for, with its source (without the schedules)."""
        await self.refresh()
        last = (today or clock.today()).year + 5
        known: dict[int, Source] = {y: "library" for y in range(FIRST_LISTED_YEAR, last + 1) if library_covers(y)}
        known.update({y: "file" for y in self.files})
        known.update({y: "published" for y in self._stored})
        return [
            YearStatus(
                year,
                source,
                published_at=self._stored[year].published_at if source == "published" else None,
                published_by=self._stored[year].published_by if source == "published" else None,
            )
            for year, source in sorted(known.items())
        ]


def library_calendar(year: int) -> YearCalendar | None:
    """The package's schedule of ``year`` in the hub's format (None for a year it does not know)."""
    if not library_covers(year):
        return None
    days_off: dict[str, list[dt.date]] = {}
    working: dict[str, list[dt.date]] = {}
    day = dt.date(year, 1, 1)
    while day.year == year:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name:
            (days_off if is_holiday else working).setdefault(name, []).append(day)
        day += ONE_DAY
    holidays = [
        Holiday(
            name=HolidayName(zh_CN=LIBRARY_NAMES_ZH.get(name, name), en=name),
            days_off=days_off[name],
            working_days=working.get(name, []),
        )
        for name in sorted(days_off, key=lambda n: days_off[n][0])
    ]
    return YearCalendar(year=year, holidays=holidays)


def fingerprint(calendar: YearCalendar) -> str:
    """The SHA-256 of a schedule's content, as the audit log keeps it."""
    return hashlib.sha256(calendar.model_dump_json().encode()).hexdigest()


async def publish_calendar(calendar: YearCalendar, actor: Actor) -> bool:
    """Store a checked schedule (replacing one published before for that year) with its audit event,
    in one transaction; True when it replaced one. New limits count with it at once; limits already
    planned are not planned again."""
    by = actor.user
    stamp = clock.now()
    async with writing():
        before = await WorkingCalendarYear.select(WorkingCalendarYear.id).where(
            WorkingCalendarYear.year == calendar.year
        )
        await WorkingCalendarYear.insert(
            WorkingCalendarYear(
                year=calendar.year,
                content=calendar.model_dump_json(),
                published_at=stamp,
                published_by=by.id if by else None,
            )
        ).on_conflict(
            target=WorkingCalendarYear.year,
            action="DO UPDATE",
            values=[WorkingCalendarYear.content, WorkingCalendarYear.published_at, WorkingCalendarYear.published_by],
        )
        await record(
            actor,
            by,
            "calendar.published",
            "working_calendar",
            calendar.year,
            replaced=bool(before),
            holidays=len(calendar.holidays),
            days_off=len(calendar.days_off()),
            working_days=len(calendar.working_days()),
            sha256=fingerprint(calendar),
        )
    return bool(before)


def field_errors(problems: list[CalendarProblem]) -> list[FieldError]:
    """A calendar's mistakes as the per-field errors of a problem document."""
    return [FieldError(field=p.field or "calendar", code=p.code, context=p.params) for p in problems]


def checked_calendar(data: Any, year: int) -> YearCalendar:
    """The given content (a year's TOML file, as data) as a checked calendar of ``year``; invalid, a
    form error naming every wrong field."""
    if not isinstance(data, dict):
        raise invalid_form([FieldError(field="calendar", code="invalid")])
    try:
        return parse_calendar(data, year)
    except CalendarInvalid as exc:
        raise invalid_form(field_errors(exc.problems)) from None


def known_year(year: int) -> int:
    """``year`` when the hub can hold a schedule for it; otherwise, there is nothing there."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise not_found()
    return year
