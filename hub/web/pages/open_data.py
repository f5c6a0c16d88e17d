"""The public page of open data: how each service performed, with no sign-in."""

from __future__ import annotations

from litestar import Request, Response, get

from hub import clock
from hub.i18n import N_, gettext
from hub.service_levels import MIN_PUBLISHED, service_levels_read
from hub.web.context import HubContext
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale


def _number(text: str, low: int, high: int) -> int | None:
    return int(text) if text.isdigit() and low <= int(text) <= high else None


@get("/open", name="open-data")
async def open_data_page(request: Request, ctx: HubContext) -> Response:
    locale = page_locale(request)
    given_year = request.query_params.get("year", "").strip()
    given_month = request.query_params.get("month", "").strip()
    errors = {}
    year = _number(given_year, 2000, 2100) if given_year else clock.today().year
    if year is None:
        errors["year"] = gettext(locale, N_("Enter a year such as {year}."), year=clock.today().year)
        year = clock.today().year
    month = _number(given_month, 1, 12) if given_month else None
    if given_month and month is None:
        errors["month"] = gettext(locale, N_("Choose a month from 1 to 12, or none for the whole year."))
    report = await service_levels_read(ctx, locale, year, month)
    return render_page(
        request,
        "open_data.html",
        report=report,
        given={"year": given_year or str(year), "month": given_month},
        errors=errors,
        min_published=MIN_PUBLISHED,
    )


OPEN_DATA = [open_data_page]
