"""The national working-day calendar: which years the hub knows and from where (public), and an
administrator publishing a year's holidays and make-up working days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request
from litestar.di import Provide

from hub import clock
from hub.sla.schedules import YearStatus, checked_calendar, known_year, publish_calendar
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.routes import get, put
from hub.web.security import requires_role


class HolidayNameRead(msgspec.Struct):
    zh_CN: str
    en: str


class HolidayRead(msgspec.Struct):
    name: HolidayNameRead
    days_off: list[dt.date]
    working_days: list[dt.date]


class CalendarYearRead(msgspec.Struct):
    """A year's schedule: the content of ``forms/calendar/<year>.toml`` (what ``PUT`` takes), with
    where it comes from: ``published``, ``file``, ``library`` (the package) or ``missing``."""

    year: int
    source: str
    notice: str
    holidays: list[HolidayRead]
    published_at: dt.datetime | None = None
    published_by: str | None = None


class CalendarYearSummary(msgspec.Struct):
    year: int
    source: str
    published_at: dt.datetime | None = None


class CalendarOverview(msgspec.Struct):
    """The years known, and those needed and missing today (this year; from 1 November, next year)."""

    today: dt.date
    missing: list[int]
    years: list[CalendarYearSummary]


def year_read(status: YearStatus) -> CalendarYearRead:
    calendar = status.calendar
    return CalendarYearRead(
        year=status.year,
        source=status.source,
        notice=calendar.notice if calendar else "",
        holidays=[
            HolidayRead(
                name=HolidayNameRead(zh_CN=h.name.zh_CN, en=h.name.en),
                days_off=list(h.days_off),
                working_days=list(h.working_days),
            )
            for h in (calendar.holidays if calendar else [])
        ],
        published_at=status.published_at,
        published_by=status.published_by,
    )


class CalendarController(Controller):
    """Public: the working-day calendar is the same for everyone, and says nothing about anyone."""

    path = "/api/calendar"
    tags = ["working days"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="The years whose holiday schedule the hub knows, from where, and those missing")
    async def overview(self, ctx: HubContext) -> CalendarOverview:
        today = clock.today()
        return CalendarOverview(
            today=today,
            missing=await ctx.calendars.missing(today),
            years=[CalendarYearSummary(s.year, s.source, s.published_at) for s in await ctx.calendars.years(today)],
        )


class CalendarAdminController(Controller):
    path = "/api/admin/calendar"
    tags = ["working days", "administration"]
    guards = [requires_role("admin")]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/{year:int}", summary="A year's holidays and make-up working days, and where they come from")
    async def get_year(self, ctx: HubContext, year: int) -> CalendarYearRead:
        return year_read(await ctx.calendars.year(known_year(year)))

    @put(
        "/{year:int}",
        summary="Publish a year's holidays and make-up working days (the content of forms/calendar/<year>.toml)",
        description=(
            "New time limits count with it at once; limits already running stay as they were planned. "
            "Publishing a year again replaces what was published before."
        ),
    )
    async def publish(self, request: Request, ctx: HubContext, year: int, data: Any) -> CalendarYearRead:
        calendar = checked_calendar(data, known_year(year))
        await publish_calendar(calendar, actor_of(request))
        return year_read(await ctx.calendars.year(year))
