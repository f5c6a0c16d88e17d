"""The cockpit as data: live figures for supervisors (their department), administrators and auditors."""

from __future__ import annotations

from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub.cockpit import CHART_IDS, READERS, Cockpit, chart_csv, charts, parse_filters, read_cockpit
from hub.errors import not_found
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.downloads import csv_download
from hub.web.problems import request_locale
from hub.web.routes import get
from hub.web.security import requires_role

START = Parameter(default=None, description="first Beijing day, YYYY-MM-DD (default: 29 days before the end)")
END = Parameter(default=None, description="last Beijing day, YYYY-MM-DD (default: today); not before the start")
DEPARTMENT = Parameter(default=None, description="a department's code (a supervisor: their own)")
SERVICE = Parameter(default=None, description="a service's id")


class CockpitController(Controller):
    path = "/api/cockpit"
    tags = ["cockpit"]
    guards = [requires_role(*READERS)]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get(
        "/",
        summary="Requests received, in progress and decided, time to decision, approvals, backlog, money paid "
        "and ratings, per service, step, department and day",
    )
    async def figures(
        self,
        request: Request,
        ctx: HubContext,
        start: str | None = START,
        end: str | None = END,
        department: str | None = DEPARTMENT,
        service: str | None = SERVICE,
    ) -> Cockpit:
        filters = parse_filters(ctx.catalog, start, end, department, service)
        return await read_cockpit(ctx.catalog, actor_of(request), filters)

    @get(
        "/charts/{chart_id:str}", summary="One chart's data as CSV (requests, time-to-decision, shares, backlog, paid)"
    )
    async def chart_data(
        self,
        request: Request,
        ctx: HubContext,
        chart_id: str,
        start: str | None = START,
        end: str | None = END,
        department: str | None = DEPARTMENT,
        service: str | None = SERVICE,
    ) -> Response[str]:
        if chart_id not in CHART_IDS:
            raise not_found()
        filters = parse_filters(ctx.catalog, start, end, department, service)
        cockpit = await read_cockpit(ctx.catalog, actor_of(request), filters)
        chart = next(c for c in charts(cockpit, request_locale(request), draw=False) if c.id == chart_id)
        return csv_download(chart_csv(chart), f"cockpit-{chart_id}-{filters.start}-{filters.end}.csv")
