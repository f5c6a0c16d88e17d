"""The periods a governance report covers: a month, a quarter or a year of Beijing days, ended."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import get_args

from forms.validation import FieldError, whole_number
from hub.clock import BEIJING, today
from hub.errors import invalid_form
from hub.i18n import N_, gettext
from workflows.governance.types import PeriodKind, ReportPeriod

PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)
KIND_LABELS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}


@dataclass(frozen=True)
class Period:
    """A period as the report counts it: its first day and the day after its last (Beijing)."""

    kind: PeriodKind
    year: int
    number: int  # the month (1-12) or quarter (1-4); 0 for a year
    first: dt.date
    after: dt.date

    @property
    def label(self) -> str:
        """The period's stable name: 2026-11, 2026-Q4 or 2026."""
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        return f"{self.year}-Q{self.number}" if self.kind == "quarter" else str(self.year)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), BEIJING)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.after, dt.time(), BEIJING)

    def months(self) -> list[str]:
        """The months it spans, as YYYY-MM (how payment cycles name theirs)."""
        out, day = [], self.first
        while day < self.after:
            out.append(f"{day.year}-{day.month:02d}")
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return out

    def year_before(self) -> Period:
        """The same period a year earlier, for the year-on-year change."""
        return period_of(ReportPeriod(kind=self.kind, year=self.year - 1, number=self.number))

    def name(self, locale: str) -> str:
        """The period in words: 2026年11月, 2026年第4季度, 2026年; November 2026, Q4 2026, the year 2026."""
        if self.kind == "month":
            return _month(self.first, locale)
        if self.kind == "quarter":
            return gettext(locale, N_("Q{quarter} {year}"), year=self.year, quarter=self.number)
        return gettext(locale, N_("The year {year}"), year=self.year)


def _month(first: dt.date, locale: str) -> str:
    """A month and its year as the locale writes them (2026年11月, November 2026)."""
    from babel.dates import format_skeleton

    from hub.i18n import supported

    return format_skeleton("yMMMM", first, locale=supported(locale))


def period_of(given: ReportPeriod) -> Period:
    """The period a checked ``ReportPeriod`` names."""
    if given.kind == "month":
        first = dt.date(given.year, given.number, 1)
        after = dt.date(given.year + given.number // 12, given.number % 12 + 1, 1)
    elif given.kind == "quarter":
        first = dt.date(given.year, 3 * given.number - 2, 1)
        after = dt.date(given.year + (given.number == 4), (3 * given.number) % 12 + 1, 1)
    else:
        first, after = dt.date(given.year, 1, 1), dt.date(given.year + 1, 1, 1)
    return Period(given.kind, given.year, given.number if given.kind != "year" else 0, first, after)


LABEL = re.compile(r"(\d{4})(?:-(\d{2})|-Q([1-4]))?")


def period_named(label: str) -> Period | None:
    """The period of a stable name (``Period.label``: 2026-11, 2026-Q4, 2026); None for a text
    that names none."""
    found = LABEL.fullmatch(label.strip())
    if found is None:
        return None
    year, month, quarter = found.groups()
    if month is not None and not 1 <= int(month) <= 12:
        return None
    kind: PeriodKind = "month" if month else "quarter" if quarter else "year"
    try:
        return period_of(ReportPeriod(kind=kind, year=int(year), number=int(month or quarter or 0)))
    except ValueError:  # year 0 or 9999's end: no date holds it
        return None


def next_monthly_report(on: dt.date) -> tuple[Period, dt.date]:
    """The month whose report comes next, and the day it comes out: the schedule makes each
    month's report on the first day of the month after (Beijing)."""
    month = period_of(ReportPeriod(kind="month", year=on.year, number=on.month))
    return month, month.after


def parse_period(kind: str, year: str | int | None, number: str | int | None) -> Period:
    """A period as an administrator gives it (text or numbers), checked: a kind the report knows,
    a year, a month or quarter in range, and a period that has ended (Beijing). Every mistake is
    named by its field; nothing is made."""
    errors: list[FieldError] = []
    kind = (kind or "").strip()
    if kind not in PERIOD_KINDS:
        errors.append(FieldError(field="kind", code="unknown_period_kind", context={"kinds": ", ".join(PERIOD_KINDS)}))

    def whole(field: str, value: str | int | None, low: int, high: int) -> int:
        number = whole_number(str(value if value is not None else ""), digits=4)
        if number is None or not low <= number <= high:
            errors.append(FieldError(field=field, code="period_number", context={"low": low, "high": high}))
            return 0
        return number

    y = whole("year", year, 2000, 2100)
    n = 0
    if kind == "month":
        n = whole("number", number, 1, 12)
    elif kind == "quarter":
        n = whole("number", number, 1, 4)
    if errors:
        raise invalid_form(errors)
    period = period_of(ReportPeriod(kind=kind, year=y, number=n))  # type: ignore[arg-type]
    if period.after > today():
        last = period.after - dt.timedelta(days=1)
        raise invalid_form(
            [
                FieldError(
                    field="number" if kind != "year" else "year", code="period_not_ended", context={"last": str(last)}
                )
            ]
        )
    return period
