"""The cockpit page: live figures with charts, each chart's table and its CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response

from hub.cockpit import CHART_IDS, READERS, Filters, chart_csv, charts, parse_filters, read_cockpit
from hub.errors import HubError, not_found
from hub.i18n import gettext
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.downloads import csv_download
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message
from hub.web.routes import get

FILTERS = ("start", "end", "department", "service")


def _given(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in FILTERS}


@get("/cockpit", name="cockpit")
async def cockpit_page(request: Request, ctx: HubContext) -> Response:
    user = require(request, *READERS)
    locale = page_locale(request)
    actor = actor_of(request)
    given = _given(request)
    errors: dict[str, str] = {}
    try:
        filters = parse_filters(ctx.catalog, *(given[name] or None for name in FILTERS))
    except HubError as problem:
        if not problem.errors:
            raise
        errors = {e.field: field_message(locale, e) for e in problem.errors}
        # The figures of the default period stand while the mistake is shown; nothing else changes.
        filters = parse_filters(ctx.catalog, None, None, None, None)
    if user.role == "supervisor" and filters.department is None:
        filters = Filters(filters.start, filters.end, user.department, filters.service_id)
    figures = await read_cockpit(ctx.catalog, actor, filters)
    query = urlencode(
        {
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            **({"department": filters.department} if filters.department else {}),
            **({"service": filters.service_id} if filters.service_id else {}),
        }
    )
    departments = sorted(
        ((code, name) for code, name in _department_names(ctx, locale).items()),
        key=lambda item: item[1],
    )
    if user.role == "supervisor":
        departments = [(code, name) for code, name in departments if code == user.department]
    services = sorted(((s.service_id, s.title) for s in figures.services), key=lambda item: item[1])
    if filters.service_id is None and filters.department is not None:
        services = sorted(
            ((s.id, _title(ctx, s.id, locale)) for s in ctx.catalog.current() if filters.department in s.departments),
            key=lambda item: item[1],
        )
    elif filters.department is None:
        services = sorted(((s.id, _title(ctx, s.id, locale)) for s in ctx.catalog.current()), key=lambda item: item[1])
    return render_page(
        request,
        "cockpit.html",
        figures=figures,
        charts=charts(figures, locale),
        given={
            "start": given["start"] or filters.start.isoformat(),
            "end": given["end"] or filters.end.isoformat(),
            "department": given["department"] or (filters.department or ""),
            "service": given["service"],
        },
        errors=errors,
        departments=departments,
        services=services,
        query=query,
    )


def _department_names(ctx: HubContext, locale: str) -> dict[str, str]:
    return {code: gettext(locale, d.name) for code, d in ctx.catalog.departments.items()}


def _title(ctx: HubContext, service_id: str, locale: str) -> str:
    spec = ctx.catalog.latest(service_id)
    return gettext(locale, spec.title) if spec else service_id


@get("/cockpit/charts/{chart_id:str}", name="cockpit-chart-csv")
async def chart_csv_download(request: Request, ctx: HubContext, chart_id: str) -> Response:
    """One chart's table as CSV, for the filters of the page it was linked from."""
    require(request, *READERS)
    if chart_id not in CHART_IDS:
        raise not_found()
    given = _given(request)
    filters = parse_filters(ctx.catalog, *(given[name] or None for name in FILTERS))
    figures = await read_cockpit(ctx.catalog, actor_of(request), filters)
    chart = next(c for c in charts(figures, page_locale(request), draw=False) if c.id == chart_id)
    return csv_download(chart_csv(chart), f"cockpit-{chart_id}-{filters.start}-{filters.end}.csv")


COCKPIT = [cockpit_page, chart_csv_download]
