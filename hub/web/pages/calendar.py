"""The working-day calendar page: the years the hub knows, and an administrator publishing a year's
holidays and make-up working days as the State Council's notice lists them. Also the warning that
administrators' and supervisors' pages show while a year the hub needs is missing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from litestar import Request, Response
from litestar.response import Redirect

from forms.validation import FieldError
from forms.working_days import FIRST_YEAR, LAST_YEAR, CalendarInvalid, YearCalendar, parse_calendar
from hub import clock
from hub.accounts import Principal
from hub.i18n import N_, gettext
from hub.sla.calendar import ONE_DAY, NoSuchDate, library_last_year, parse_days
from hub.sla.schedules import publish_calendar
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message
from hub.web.routes import get, post

# Who reads the page; only administrators publish.
READERS = ("admin", "auditor", "supervisor")
# Who is warned while a year is missing: those who publish it, and those whose staff's limits it moves.
WARNED = ("admin", "supervisor")
# A year the built-in schedule (the chinesecalendar package) is known to hold, to count on from.
BUILT_IN_FROM = 2024
# Rows of the form: a notice has seven holidays, a few spare for a special year.
ROWS = 10
YEAR = re.compile(r"^\d{4}$")
SOURCE_LABELS = {
    "published": N_("Published by an administrator"),
    "file": N_("A file in the catalog"),
    "library": N_("The holiday schedule built into the hub"),
    "missing": N_(
        "Missing: Monday to Friday are counted as working days, less New Year's Day, Labour Day and National Day"
    ),
}
FIELD_LABELS = {
    "year": N_("Year"),
    "notice": N_("Notice"),
    "zh_CN": N_("Name in Chinese"),
    "en": N_("Name in English"),
    "days_off": N_("Days off"),
    "working_days": N_("Make-up working days"),
}
HOLIDAY = N_("Holiday %(n)s")
HOLIDAY_FIELD = re.compile(r"^h(\d+)_(zh_CN|en|days_off|working_days)$")
DONE = {
    "published": N_(
        "The calendar of {year} is published: time limits planned from now on count with it. "
        "Limits already running stay as they were planned."
    ),
}


async def calendar_missing(ctx: HubContext, user: Principal | None) -> list[int]:
    """The years to warn this account of (none for those not concerned)."""
    if user is None or user.role not in WARNED:
        return []
    return await ctx.calendars.missing()


def days_text(days: list[dt.date]) -> str:
    """``2027-01-01..2027-01-03, 2027-01-05``: runs of days as ranges, as the form takes them."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == ONE_DAY:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(r[0].isoformat() if len(r) == 1 else f"{r[0].isoformat()}..{r[-1].isoformat()}" for r in runs)


def rows_of(calendar: YearCalendar | None, names_only: bool = False) -> list[dict[str, str]]:
    rows = []
    for holiday in calendar.holidays if calendar else []:
        rows.append(
            {
                "zh_CN": holiday.name.zh_CN,
                "en": holiday.name.en,
                "days_off": "" if names_only else days_text(holiday.days_off),
                "working_days": "" if names_only else days_text(holiday.working_days),
            }
        )
    rows = rows[:ROWS]
    return rows + [{"zh_CN": "", "en": "", "days_off": "", "working_days": ""} for _ in range(ROWS - len(rows))]


async def form_values(ctx: HubContext, year: int) -> dict[str, Any]:
    """The form for ``year``: its schedule when the hub has one, else the holidays' names of the
    year before, to fill in with the new notice's dates."""
    status = await ctx.calendars.year(year)
    if status.calendar is not None:
        return {"year": str(year), "notice": status.calendar.notice, "rows": rows_of(status.calendar)}
    before = await ctx.calendars.year(year - 1)
    return {"year": str(year), "notice": "", "rows": rows_of(before.calendar, names_only=True)}


async def render_calendar(
    request: Request,
    ctx: HubContext,
    year: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    message: str = "",
) -> Response:
    user = require(request, *READERS)
    locale = page_locale(request)
    today = clock.today()
    years = [s for s in await ctx.calendars.years(today) if s.year >= today.year - 1 or s.source != "library"]
    missing = await ctx.calendars.missing(today)
    shown = {s.year for s in years}
    listing = [(s.year, s.source, gettext(locale, SOURCE_LABELS[s.source]), s.published_at) for s in years]
    listing += [(y, "missing", gettext(locale, SOURCE_LABELS["missing"]), None) for y in missing if y not in shown]
    return render_page(
        request,
        "calendar.html",
        status=status,
        years=sorted(listing),
        year=year,
        form=values or await form_values(ctx, year),
        errors=errors or {},
        labels=field_labels(list(errors or {}), locale),
        may_publish=user.role == "admin",
        calendar_missing=missing if user.role in WARNED else [],
        message=message,
        built_in_last=library_last_year(BUILT_IN_FROM),
    )


def field_labels(names: list[str], locale: str) -> dict[str, str]:
    """What the error summary calls each field with a mistake: "Holiday 2 · Days off"."""
    labels = {}
    for name in names:
        row = HOLIDAY_FIELD.match(name)
        if row:
            holiday = gettext(locale, HOLIDAY) % {"n": int(row.group(1)) + 1}
            labels[name] = f"{holiday} · {gettext(locale, FIELD_LABELS[row.group(2)])}"
        elif name in FIELD_LABELS:
            labels[name] = gettext(locale, FIELD_LABELS[name])
    return labels


def default_year(today: dt.date) -> int:
    return today.year + 1


@get("/admin/calendar", name="calendar")
async def calendar_page(request: Request, ctx: HubContext, year: int | None = None, done: str = "") -> Response:
    require(request, *READERS)
    locale = page_locale(request)
    chosen = year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else default_year(clock.today())
    message = gettext(locale, DONE[done], year=chosen) if done in DONE else ""
    return await render_calendar(request, ctx, chosen, message=message)


def form_field(problem_field: str, rows: list[int]) -> str:
    """The form's field a calendar problem is about (``holidays.2.name.en`` -> ``h<row>_en``)."""
    parts = problem_field.split(".")
    if parts[0] != "holidays" or len(parts) < 2 or not parts[1].isdigit() or int(parts[1]) >= len(rows):
        return parts[0] if parts[0] in ("year", "notice", "holidays") else "holidays"
    row = rows[int(parts[1])]
    if len(parts) >= 3 and parts[2] in ("days_off", "working_days"):
        return f"h{row}_{parts[2]}"
    if len(parts) >= 4 and parts[2] == "name" and parts[3] == "en":
        return f"h{row}_en"
    return f"h{row}_zh_CN"


@post("/admin/calendar", name="calendar-publish")
async def publish_page(request: Request, ctx: HubContext) -> Response:
    """Publish a year from the form: the same checks as the API, each mistake next to its field."""
    require(request, "admin")
    locale = page_locale(request)
    form = await request.form()
    errors: dict[str, list[str]] = {}

    def error(name: str, code: str, **context: Any) -> None:
        errors.setdefault(name, []).append(field_message(locale, FieldError(field=name, code=code, context=context)))

    year_text = str(form.get("year", "")).strip()
    year = int(year_text) if YEAR.match(year_text) else None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        error("year", "invalid")
    notice = str(form.get("notice", "")).strip()
    rows: list[int] = []
    holidays = []
    values: dict[str, Any] = {"year": year_text, "notice": notice, "rows": []}
    for i in range(ROWS):
        row = {key: str(form.get(f"h{i}_{key}", "")).strip() for key in ("zh_CN", "en", "days_off", "working_days")}
        values["rows"].append(row)
        if not any(row.values()):
            continue
        parsed: dict[str, list[str]] = {}
        for key in ("days_off", "working_days"):
            try:
                parsed[key] = sorted(day.isoformat() for day in parse_days(row[key]))
            except NoSuchDate as exc:
                error(f"h{i}_{key}", "date_does_not_exist", day=exc.day)
                parsed[key] = []
            except ValueError:
                error(f"h{i}_{key}", "calendar_days_format")
                parsed[key] = []
        rows.append(i)
        holidays.append({"name": {"zh_CN": row["zh_CN"], "en": row["en"]}, **parsed})
    if year is not None and FIRST_YEAR <= year <= LAST_YEAR:
        unreadable = set(errors)
        try:
            calendar = parse_calendar({"year": year, "notice": notice, "holidays": holidays}, year)
        except CalendarInvalid as exc:
            for p in exc.problems:
                name = form_field(p.field, rows)
                if name not in unreadable:  # days that could not be read are said to be so, once
                    error(name, p.code, **p.params)
        else:
            if not errors:
                await publish_calendar(calendar, actor_of(request))
                return Redirect(path=f"/admin/calendar?year={year}&done=published", status_code=303)
    shown_year = year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else default_year(clock.today())
    return await render_calendar(request, ctx, shown_year, values=values, errors=errors, status=422)


CALENDAR = [calendar_page, publish_page]
