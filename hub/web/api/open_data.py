"""Open data on how the services perform: published without sign-in, and without anyone in it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import msgspec
from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import Parameter

from hub import clock
from hub.clock import BEIJING
from hub.i18n import gettext
from hub.service_levels import MIN_PUBLISHED, ServiceLevel, count_service_levels
from hub.web.api.services import department
from hub.web.context import HubContext, provide_context
from hub.web.problems import request_locale


class ServiceLevelRead(msgspec.Struct):
    service_id: str
    title: str
    department: str
    # Each figure is null where it would rest on 1 to ``min_published`` - 1 requests or ratings.
    filed: int | None
    decided: int | None
    approved_percent: float | None
    on_time_percent: float | None
    median_days: float | None
    ratings: int | None
    average_rating: float | None


class ServiceLevelsRead(msgspec.Struct):
    year: int
    month: int | None
    min_published: int
    services: list[ServiceLevelRead]


def period(year: int, month: int | None) -> tuple[dt.datetime, dt.datetime]:
    """A calendar year, or one of its months, in Beijing time."""
    if month is None:
        first, after = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    else:
        first = dt.date(year, month, 1)
        after = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.datetime.combine(first, dt.time(), BEIJING), dt.datetime.combine(after, dt.time(), BEIJING)


async def service_levels_read(ctx: HubContext, locale: str, year: int, month: int | None) -> ServiceLevelsRead:
    def read(level: ServiceLevel) -> ServiceLevelRead:
        spec = ctx.catalog.latest(level.service_id)
        return ServiceLevelRead(
            title=gettext(locale, spec.title) if spec else level.service_id,
            department=department(ctx.catalog, spec.owner, locale).name if spec else "",
            **dataclasses.asdict(level),
        )

    services = tuple(spec.id for spec in ctx.catalog.current())
    levels = await count_service_levels(*period(year, month), services)
    return ServiceLevelsRead(year=year, month=month, min_published=MIN_PUBLISHED, services=[read(x) for x in levels])


class ServiceLevelController(Controller):
    path = "/api/open/service-levels"
    tags = ["open data"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="How each service performed in a year or a month: counts, time limits kept, ratings")
    async def service_levels(
        self,
        request: Request,
        ctx: HubContext,
        year: int | None = Parameter(default=None, ge=2000, le=2100, description="default: this year (Beijing)"),
        month: int | None = Parameter(default=None, ge=1, le=12),
    ) -> ServiceLevelsRead:
        return await service_levels_read(ctx, request_locale(request), year or clock.today().year, month)
