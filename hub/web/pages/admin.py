"""Administration: the service catalog and every version of each service, and lifting a sign-in
lockout."""

from __future__ import annotations

from babel.numbers import format_percent
from litestar import Request, Response

from forms.validation import FieldError
from hub import signin
from hub.catalog.materials import materials_figure
from hub.catalog.presenting import department
from hub.i18n import gettext
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.calendar import calendar_missing
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message
from hub.web.routes import get, post

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


@get("/admin/sign-in-locks", name="admin-sign-in-locks")
async def locks_page(request: Request) -> Response:
    """Lift a lockout: by the name the person signs in with (lockouts are kept by a keyed digest of
    the name typed, so there is no list of them to show)."""
    require(request, "admin")
    return render_page(request, "admin_locks.html", errors={}, result=None, username="")


@post("/admin/sign-in-locks", name="admin-sign-in-locks-release")
async def release_lock_page(request: Request) -> Response:
    """The same act as the API's: audited, and answered on the page (the name stays out of the
    address: it may be a password typed into the wrong box)."""
    require(request, "admin")
    locale = page_locale(request)
    username = str((await request.form()).get("username", "")).strip()[:64]
    if not username:
        errors = {"username": field_message(locale, FieldError(field="username", code="required"))}
        return render_page(request, "admin_locks.html", status=422, errors=errors, result=None, username="")
    was_locked = await signin.release_lock(actor_of(request), username)
    return render_page(request, "admin_locks.html", errors={}, result=was_locked, username=username)


ADMIN = [catalog_page, materials_page, locks_page, release_lock_page]
