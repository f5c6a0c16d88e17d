"""Open data on how the services perform: published without sign-in, and without anyone in it."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import Parameter

from hub import clock
from hub.service_levels import ServiceLevelsRead, service_levels_read
from hub.web.context import HubContext, provide_context
from hub.web.problems import request_locale


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
