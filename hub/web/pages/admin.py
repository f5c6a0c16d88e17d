"""Administration: the service catalog and every version of each service."""

from __future__ import annotations

from babel.numbers import format_percent
from litestar import Request, Response

from hub.catalog.materials import materials_figure
from hub.catalog.presenting import department
from hub.i18n import gettext
from hub.web.context import HubContext
from hub.web.pages.calendar import calendar_missing
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.routes import get

ADMIN_ROLES = ("admin", "auditor", "supervisor")


@get("/admin", name="admin")
async def catalog_page(request: Request, ctx: HubContext) -> Response:
    user = require(request, *ADMIN_ROLES)
    locale = page_locale(request)
    services = []
    for current in ctx.catalog.current():
        versions = sorted(
            (s for (sid, _), s in ctx.catalog.services.items() if sid == current.id), key=lambda s: -s.version
        )
        services.append(
            {
                "id": current.id,
                "title": gettext(locale, current.title),
                "owner": department(ctx.catalog, current.owner, locale).name,
                "audience": current.audience,
                "versions": [
                    {
                        "version": s.version,
                        "fields": len(s.fields),
                        "stages": len(s.route),
                        "time_limit_days": s.time_limit_days,
                        "current": s.version == current.version,
                    }
                    for s in versions
                ],
            }
        )
    departments = [(code, gettext(locale, d.name)) for code, d in ctx.catalog.departments.items()]
    return render_page(
        request,
        "admin.html",
        services=services,
        departments=departments,
        calendar_missing=await calendar_missing(ctx, user),
    )


@get("/admin/materials", name="admin-materials")
async def materials_page(request: Request, ctx: HubContext) -> Response:
    """Zero materials: per service, the materials asked, how many are still uploaded and how many a
    credential or a registry read replaces."""
    require(request, *ADMIN_ROLES)
    locale = page_locale(request)
    figure = materials_figure(ctx.catalog, locale)
    return render_page(
        request,
        "admin_materials.html",
        figure=figure,
        share=format_percent(figure.share_without_upload, "#,##0.0%", locale=locale),
        goal=format_percent(figure.goal, locale=locale),
    )


ADMIN = [catalog_page, materials_page]
