"""The public page of open data: how each service performed, with no sign-in."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect

from forms.validation import whole_number
from hub import clock
from hub.errors import HubError
from hub.governance.issuing import published_reports, request_report
from hub.governance.periods import KIND_LABELS, PERIOD_KINDS, next_monthly_report, period_named
from hub.i18n import N_, gettext
from hub.open_data.datasets import data_dictionary
from hub.service_levels import MIN_PUBLISHED, service_levels_kept
from hub.web.actors import actor_of
from hub.web.cached import answers_of
from hub.web.context import context_of
from hub.web.pages.common import require
from hub.web.pages.render import render_block, render_page
from hub.web.pages.session import current_user, page_locale
from hub.web.problems import field_message
from hub.web.routes import get, post


def _number(text: str, low: int, high: int) -> int | None:
    number = whole_number(text, digits=4)
    return number if number is not None and low <= number <= high else None


@get("/open", name="open-data")
async def open_data_page(request: Request) -> Response:
    ctx = context_of(request)
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
    version, report = await service_levels_kept(ctx, locale, year, month)
    reports = await published_reports(locale)
    context = dict(
        reports=[r for r in reports if r.locale == locale][:6],
        report=report,
        given={"year": given_year or str(year), "month": given_month},
        errors=errors,
        min_published=MIN_PUBLISHED,
        dictionary=data_dictionary(locale),
    )
    if errors or given_year not in ("", str(year)) or given_month not in ("", str(month or "")):
        return render_page(request, "open_data.html", **context)
    # The page's content (the form as asked and the table) is the same for everyone in a language
    # while the figures stand: rendered once and kept; only the layout is rendered per visitor.
    content = answers_of(request).kept(
        ("open data page", locale, given_year, given_month, year, version, tuple(r.id for r in reports)),
        lambda: render_block(locale, "open_data.html", "main", **context),
    )
    return render_page(request, "open_data.html", kept_blocks={"main": content}, **context)


@get("/open/dictionary", name="open-data-dictionary")
async def open_data_dictionary(request: Request) -> Response:
    """Every column of the open datasets: meaning, unit, how it is computed, when it is withheld."""
    return render_page(request, "open_data_dictionary.html", dictionary=data_dictionary(page_locale(request)))


def made_name(label: str, locale: str) -> str:
    """The period of the report just made, in words (November 2026, 2026年11月); a link's text that
    names no period, as it is."""
    period = period_named(label)
    return period.name(locale) if period else label


async def render_reports(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    locale = page_locale(request)
    user = current_user(request)
    coming, out_on = next_monthly_report(clock.today())
    return render_page(
        request,
        "open_data_reports.html",
        next_period=coming.name(locale),
        next_out_on=out_on,
        status=status,
        reports=await published_reports(locale),
        can_make=user is not None and user.role == "admin",
        kinds=[(k, gettext(locale, KIND_LABELS[k])) for k in PERIOD_KINDS],
        values=values,
        errors=errors,
        made_name=made_name(request.query_params.get("made", ""), locale),
    )


@get("/open/reports", name="open-data-reports")
async def reports_page(request: Request) -> Response:
    """Every governance report, each in Chinese and English, with its code to verify it; for
    administrators, a form that makes the report of an ended period."""
    return await render_reports(request, {"kind": "month", "year": "", "number": ""}, {})


@post("/open/reports", name="open-data-make-report")
async def make_report_page(request: Request) -> Response:
    """An administrator makes a report now: the same checks as the API, each mistake next to its field."""
    require(request, "admin")
    locale = page_locale(request)
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in ("kind", "year", "number")}
    try:
        issued = await request_report(
            context_of(request).temporal, actor_of(request), values["kind"], values["year"], values["number"]
        )
    except HubError as exc:
        if exc.kind != "invalid" or not exc.errors:
            raise
        errors = {e.field: field_message(locale, e) for e in exc.errors}
        return await render_reports(request, values, errors, status=422)
    return Redirect(path=f"/open/reports?made={issued.label}", status_code=303)


OPEN_DATA = [open_data_page, open_data_dictionary, reports_page, make_report_page]
