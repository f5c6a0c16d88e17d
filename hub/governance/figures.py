"""What the governance report says, counted for a period and worded in one language.

The report is public, like the open data, and follows its rules: the figures per service are the
open data's (small counts withheld with whatever would give them away); a count of one to four of
anything else (a step's decisions, follow-ups, grievances, payments) is withheld, and a breakdown
that adds up to a published total is protected the same way (``hub.open_data.suppression``). The
reports of a month, a quarter and a year add up to one another: their outcome tables, payments and
feedback lines are withheld across the year's periods together. Where a source of figures cannot
be read, its section says it is not available rather than guess.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from piccolo.query.functions.aggregate import Count, Sum

from hub.accounts import Principal
from hub.actor import Actor
from hub.cockpit import Filters, read_cockpit
from hub.db.tables import BenefitPayment, Claim, Program
from hub.feedback import follow_up_figures, grievance_figures
from hub.governance.periods import Period
from hub.i18n import N_, format_money, gettext
from hub.open_data.suppression import (
    MIN_PUBLISHED,
    TOTAL,
    CountTable,
    PublishedTable,
    suppress_linked,
    withhold_linked_counts,
)
from hub.service_levels import (
    MONTHS,
    SPAN_PARTS,
    ServiceLevel,
    Span,
    count_outcomes,
    count_service_levels,
    span_bounds,
    with_wholes,
)
from hub.subsidies import parse_spec

if TYPE_CHECKING:
    from forms.catalog import Catalog

log = logging.getLogger("qinqing.governance")
TOP = 5  # how many services or steps a ranking lists
WITHHELD_MARK = "—"
UNAVAILABLE = N_("Not available: these figures could not be read when the report was made.")


@dataclass(frozen=True)
class Line:
    """A figure of the report, in words: this period, the same period a year before, the change."""

    label: str
    value: str
    before: str = ""
    change: str = ""


@dataclass(frozen=True)
class Row:
    cells: list[str]


@dataclass(frozen=True)
class Section:
    """A table of the report: its heading, column headings and rows; or, when its figures could not
    be read, a sentence saying so (``unavailable``)."""

    heading: str
    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    unavailable: str = ""


@dataclass(frozen=True)
class GovernanceReportFacts:
    """The report as its PDF says it, in one language (plain data: it crosses to a render process)."""

    locale: str
    title: str
    period_name: str
    period_range: str
    before_name: str
    issuer: str
    issued_on: str
    number: str = ""
    verification_code: str = ""
    verify_url: str = ""
    headline: list[Line] = field(default_factory=list)
    chart: str = ""  # an SVG data URI, or empty
    chart_title: str = ""
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = "governance_report"


def _count(value: int | None) -> str:
    return WITHHELD_MARK if value is None else str(value)


def _percent(value: float | None) -> str:
    return WITHHELD_MARK if value is None else f"{value:.1f}%"


def _days(value: float | None, locale: str) -> str:
    return WITHHELD_MARK if value is None else gettext(locale, N_("{days} days"), days=f"{value:.1f}")


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None or before == 0:
        return WITHHELD_MARK
    return f"{(now - before) / before * 100:+.1f}%"


def _points(now: float | None, before: float | None, locale: str) -> str:
    if now is None or before is None:
        return WITHHELD_MARK
    return gettext(locale, N_("{points} points"), points=f"{now - before:+.1f}")


@dataclass(frozen=True)
class Overall:
    """The district's totals for a period, as published (None where withheld)."""

    filed: int | None
    approved: int | None
    rejected: int | None
    approved_percent: float | None
    on_time_percent: float | None
    subsidies_cents: int | None
    benefits_cents: int | None


def _weighted_on_time(levels: list[ServiceLevel]) -> float | None:
    """The share decided in time over the services whose share is published."""
    shown = [x for x in levels if x.on_time_percent is not None and x.decided]
    total = sum(x.decided or 0 for x in shown)
    if total < MIN_PUBLISHED:
        return None
    return round(sum((x.on_time_percent or 0) * (x.decided or 0) for x in shown) / total, 1)


@dataclass(frozen=True)
class Paid:
    """Money paid in a period, per program or benefit, with how many payments (None where withheld)."""

    kind: str  # subsidy | benefit
    title: str
    payments: int | None
    cents: int | None


@dataclass(frozen=True)
class PaidTotals:
    subsidies_cents: int | None
    benefits_cents: int | None


async def _paid_by_month(year: int) -> dict[Span, dict[tuple[str, str], list[int]]]:
    """Payments and cents per (kind, program id or benefit's service id) in each month of the
    year: subsidies by the day they were paid, benefits by the month they pay for. (Keyed by id, not
    by title: what is withheld must not depend on the report's language.)"""
    months: dict[Span, dict[tuple[str, str], list[int]]] = {}
    for month in MONTHS:
        start, end = span_bounds(year, month)
        counted: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for row in (
            await Claim.select(Claim.program, Count(alias="n"), Sum(Claim.amount_cents, alias="cents"))
            .where((Claim.state == "paid") & (Claim.paid_at >= start) & (Claim.paid_at < end))
            .group_by(Claim.program)
        ):
            one = counted[("subsidy", str(row["program"]))]
            one[0] += row["n"]
            one[1] += int(row["cents"] or 0)
        months[month] = counted
    for row in (
        await BenefitPayment.select(
            BenefitPayment.service_id,
            BenefitPayment.period,
            Count(alias="n"),
            Sum(BenefitPayment.amount_cents, alias="cents"),
        )
        .where(
            (BenefitPayment.state == "paid")
            & BenefitPayment.period.is_in([f"{year}-{number:02d}" for _, number in MONTHS])
        )
        .group_by(BenefitPayment.service_id, BenefitPayment.period)
    ):
        one = months[("month", int(row["period"][5:7]))][("benefit", row["service_id"])]
        one[0] += row["n"]
        one[1] += int(row["cents"] or 0)
    return months


def _paid_summed(parts: list[dict[tuple[str, str], list[int]]]) -> dict[tuple[str, str], list[int]]:
    whole: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for part in parts:
        for key, (n, cents) in part.items():
            whole[key][0] += n
            whole[key][1] += cents
    return whole


async def paid_in(period: Period, catalog: Catalog, locale: str) -> tuple[list[Paid], PaidTotals]:
    """Subsidies paid in the period (by program) and benefits paid for its months (by benefit),
    with the totals of each kind. Withheld with the year's other months, quarters and the year
    (each kind a table of payments by program, with its total): a month's withheld count or amount
    is not the quarter's less the other months'."""
    counted = with_wholes(await _paid_by_month(period.year), _paid_summed)
    programs = {
        str(row["id"]): parse_spec(row["spec"]).title.in_locale(locale)
        for row in await Program.select(Program.id, Program.spec)
    }

    def title(kind: str, key: str) -> str:
        if kind == "subsidy":
            return programs.get(key, "?")
        spec = catalog.latest(key)
        return gettext(locale, spec.title) if spec else key

    span: Span = (period.kind, period.number)
    paid: list[Paid] = []
    totals: dict[str, int | None] = {}
    for kind in ("subsidy", "benefit"):
        keys = tuple(sorted({item for c in counted.values() for k, item in c if k == kind}))
        published = suppress_linked(
            {
                s: CountTable(
                    keys, ("payments",), {(item, "payments"): n for (k, item), (n, _) in c.items() if k == kind}
                )
                for s, c in counted.items()
            },
            SPAN_PARTS,
        )[span]
        mine = {item: counted[span].get((kind, item), [0, 0]) for item in keys}
        for item, (n, cents) in mine.items():
            if n:
                shown = published.get(item, "payments") is not None
                paid.append(Paid(kind, title(kind, item), n if shown else None, cents if shown else None))
        in_all = published.get(TOTAL, "payments") is not None
        totals[kind] = sum(cents for _, cents in mine.values()) if in_all else None
    return sorted(paid, key=lambda p: (p.kind, p.title)), PaidTotals(totals["subsidy"], totals["benefit"])


async def overall(period: Period, catalog: Catalog, locale: str) -> tuple[Overall, list[ServiceLevel], list[Paid]]:
    services = tuple(spec.id for spec in catalog.current())
    levels = await count_service_levels(period.start, period.end, services)
    table = await count_outcomes(period.start, period.end, services)
    approved, rejected = table.get(TOTAL, "approved"), table.get(TOTAL, "rejected")
    decided = approved + rejected if approved is not None and rejected is not None else None
    paid, paid_totals = await paid_in(period, catalog, locale)
    return (
        Overall(
            filed=table.get(TOTAL, TOTAL),
            approved=approved,
            rejected=rejected,
            approved_percent=round(100 * approved / decided, 1) if decided and approved is not None else None,
            on_time_percent=_weighted_on_time(levels),
            subsidies_cents=paid_totals.subsidies_cents,
            benefits_cents=paid_totals.benefits_cents,
        ),
        levels,
        paid,
    )


def _money(cents: int | None, locale: str) -> str:
    return WITHHELD_MARK if cents is None else format_money(Decimal(cents) / 100, locale)


def headline(now: Overall, before: Overall, locale: str) -> list[Line]:
    def count_line(label: str, a: int | None, b: int | None) -> Line:
        return Line(gettext(locale, label), _count(a), _count(b), _change(a, b))

    return [
        count_line(N_("Requests filed"), now.filed, before.filed),
        count_line(N_("Requests approved"), now.approved, before.approved),
        count_line(N_("Requests rejected"), now.rejected, before.rejected),
        Line(
            gettext(locale, N_("Share approved")),
            _percent(now.approved_percent),
            _percent(before.approved_percent),
            _points(now.approved_percent, before.approved_percent, locale),
        ),
        Line(
            gettext(locale, N_("Share decided within the time limit")),
            _percent(now.on_time_percent),
            _percent(before.on_time_percent),
            _points(now.on_time_percent, before.on_time_percent, locale),
        ),
        Line(
            gettext(locale, N_("Subsidies paid to enterprises")),
            _money(now.subsidies_cents, locale),
            _money(before.subsidies_cents, locale),
            _change(now.subsidies_cents, before.subsidies_cents),
        ),
        Line(
            gettext(locale, N_("Benefits paid to people")),
            _money(now.benefits_cents, locale),
            _money(before.benefits_cents, locale),
            _change(now.benefits_cents, before.benefits_cents),
        ),
    ]


def service_sections(levels: list[ServiceLevel], catalog: Catalog, locale: str) -> list[Section]:
    def title(level: ServiceLevel) -> str:
        spec = catalog.latest(level.service_id)
        return gettext(locale, spec.title) if spec else level.service_id

    table = Section(
        gettext(locale, N_("Requests by service")),
        [
            gettext(locale, x)
            for x in (
                N_("Service"),
                N_("Filed"),
                N_("Decided"),
                N_("Approved"),
                N_("Within the time limit"),
                N_("Median days to decision"),
            )
        ],
        [
            Row(
                [
                    title(x),
                    _count(x.filed),
                    _count(x.decided),
                    _percent(x.approved_percent),
                    _percent(x.on_time_percent),
                    _days(x.median_days, locale),
                ]
            )
            for x in levels
            if x.filed != 0
        ],
    )
    timed = sorted((x for x in levels if x.median_days is not None), key=lambda x: -(x.median_days or 0))
    slowest = Section(
        gettext(locale, N_("The slowest services")),
        [
            gettext(locale, N_("Service")),
            gettext(locale, N_("Median days to decision")),
            gettext(locale, N_("Decided")),
        ],
        [Row([title(x), _days(x.median_days, locale), _count(x.decided)]) for x in timed[:TOP]],
        note=gettext(locale, N_("Services with at least {n} decisions in the period."), n=MIN_PUBLISHED),
    )
    rated = [x for x in levels if x.average_rating is not None]
    columns = [gettext(locale, N_("Service")), gettext(locale, N_("Average rating")), gettext(locale, N_("Ratings"))]

    def rating_rows(chosen: list[ServiceLevel]) -> list[Row]:
        return [Row([title(x), f"{x.average_rating:.2f} / 5", _count(x.ratings)]) for x in chosen]

    best = sorted(rated, key=lambda x: -(x.average_rating or 0))[:3]
    worst = sorted(rated, key=lambda x: x.average_rating or 0)[:3]
    note = gettext(locale, N_("Services with at least {n} ratings that count in the period."), n=MIN_PUBLISHED)
    return [
        table,
        slowest,
        Section(gettext(locale, N_("The best rated services")), columns, rating_rows(best), note=note),
        Section(gettext(locale, N_("The worst rated services")), columns, rating_rows(worst), note=note),
    ]


def reader(locale: str) -> Actor:
    """The report reads the cockpit as an auditor of the whole district would (and publishes only
    what the open data's rules allow)."""
    return Actor(
        user=Principal(
            id=0, username="governance-report", full_name="", role="auditor", department=None, locale=locale
        ),
        locale=locale,
    )


async def step_section(period: Period, catalog: Catalog, locale: str) -> Section:
    heading = gettext(locale, N_("The slowest steps"))
    try:
        cockpit = await read_cockpit(
            catalog, reader(locale), Filters(start=period.first, end=period.after - dt.timedelta(days=1))
        )
    except Exception:  # noqa: BLE001 - a source that cannot be read is said to be unavailable
        log.exception("the cockpit's step figures could not be read for %s", period.label)
        return Section(heading, unavailable=gettext(locale, UNAVAILABLE))
    steps = sorted(
        (s for s in cockpit.steps if s.decided >= MIN_PUBLISHED and s.median_hours is not None),
        key=lambda s: -(s.median_hours or 0),
    )
    return Section(
        heading,
        [gettext(locale, x) for x in (N_("Service"), N_("Step"), N_("Department"), N_("Median days"), N_("Decided"))],
        [
            Row(
                [
                    s.service_title,
                    _step_title(catalog, s.service_id, s.step, locale),
                    s.department_name,
                    _days((s.median_hours or 0) / 24, locale),
                    str(s.decided),
                ]
            )
            for s in steps[:TOP]
        ],
        note=gettext(locale, N_("Steps with at least {n} decisions in the period."), n=MIN_PUBLISHED),
    )


def _step_title(catalog: Catalog, service_id: str, step: str, locale: str) -> str:
    spec = catalog.latest(service_id)
    stage = next((s for s in spec.route if s.id == step), None) if spec else None
    return gettext(locale, stage.title) if stage else step


FOLLOW_COLUMNS = {
    "open": N_("Still being followed up"),
    "resolved": N_("Resolved"),
    "explained": N_("Explained"),
    "other": N_("Closed otherwise"),
}
GRIEVANCE_COLUMNS = {
    "open": N_("Open"),
    "upheld": N_("Upheld"),
    "partly_upheld": N_("Partly upheld"),
    "not_upheld": N_("Not upheld"),
    "other": N_("Closed otherwise"),
}


async def _feedback_counts(start: dt.datetime, end: dt.datetime) -> tuple[dict[str, int], dict[str, int], int]:
    """Follow-ups and grievances opened in [start, end) by what became of them, and the appeals upheld."""
    follow: dict[str, int] = defaultdict(int)
    for f in await follow_up_figures(start, end):
        follow["open"] += f.open
        follow["resolved"] += f.by_outcome.get("resolved", 0)
        follow["explained"] += f.by_outcome.get("explained", 0)
        follow["other"] += f.answered - f.by_outcome.get("resolved", 0) - f.by_outcome.get("explained", 0)
        follow["appeals_upheld"] += f.appeals_upheld
    grieved: dict[str, int] = defaultdict(int)
    for g in await grievance_figures(start, end):
        grieved["open"] += g.by_state.get("open", 0)
        for outcome in ("upheld", "partly_upheld", "not_upheld"):
            grieved[outcome] += g.by_outcome.get(outcome, 0)
        answered = g.filed - g.by_state.get("open", 0)
        grieved["other"] += answered - sum(g.by_outcome.get(o, 0) for o in ("upheld", "partly_upheld", "not_upheld"))
    return follow, grieved, follow.pop("appeals_upheld", 0)


async def feedback_sections(period: Period, locale: str) -> list[Section]:
    """What was done about bad ratings (their follow-ups) and grievances, and their outcomes. Each
    line is withheld with the same lines of the period's year's other months, quarters and the
    year (a month's withheld count is not its quarter's less the other months')."""
    follow_heading = gettext(locale, N_("Bad ratings and what was done about them"))
    grievance_heading = gettext(locale, N_("Grievances and their outcomes"))
    try:
        months = {month: await _feedback_counts(*span_bounds(period.year, month)) for month in MONTHS}
    except Exception:  # noqa: BLE001 - a source that cannot be read is said to be unavailable
        log.exception("the feedback figures could not be read for %s", period.label)
        return [
            Section(follow_heading, unavailable=gettext(locale, UNAVAILABLE)),
            Section(grievance_heading, unavailable=gettext(locale, UNAVAILABLE)),
        ]
    span: Span = (period.kind, period.number)
    follow = _linked_line({m: c[0] for m, c in months.items()}, FOLLOW_COLUMNS, span)
    grieved = _linked_line({m: c[1] for m, c in months.items()}, GRIEVANCE_COLUMNS, span)
    upheld = with_wholes({m: c[2] for m, c in months.items()}, sum)
    shown_upheld = None if span in withhold_linked_counts(upheld, SPAN_PARTS) else upheld[span]
    return [
        _line_section(
            follow_heading,
            FOLLOW_COLUMNS,
            follow,
            locale,
            note=gettext(
                locale,
                N_(
                    "A rating of 1 or 2 opens a follow-up by the service's department. Ratings left out of the "
                    "figures after an appeal was upheld: {upheld}."
                ),
                upheld=_count(shown_upheld),
            ),
        ),
        _line_section(grievance_heading, GRIEVANCE_COLUMNS, grieved, locale),
    ]


def _linked_line(months: dict[Span, dict[str, int]], columns: dict[str, str], span: Span) -> PublishedTable:
    """One line of counts and its total for ``span``, withheld with the same line of every other
    period of the year."""
    counted = {key: with_wholes({m: line.get(key, 0) for m, line in months.items()}, sum) for key in columns}
    tables = {
        s: CountTable(("all",), tuple(columns), {("all", key): counted[key][s] for key in columns})
        for s in (*MONTHS, *SPAN_PARTS)
    }
    return suppress_linked(tables, SPAN_PARTS)[span]


def _line_section(
    heading: str, columns: dict[str, str], published: PublishedTable, locale: str, note: str = ""
) -> Section:
    """One line of counts and its total, as published."""
    return Section(
        heading,
        [*(gettext(locale, label) for label in columns.values()), gettext(locale, N_("In all"))],
        [Row([_count(published.get("all", k)) for k in (*columns, TOTAL)])],
        note=note,
    )


def paid_section(paid: list[Paid], locale: str) -> Section:
    kinds = {"subsidy": gettext(locale, N_("Subsidy")), "benefit": gettext(locale, N_("Benefit"))}
    return Section(
        gettext(locale, N_("Subsidies and benefits paid")),
        [gettext(locale, x) for x in (N_("Kind"), N_("Program or benefit"), N_("Payments"), N_("Amount paid"))],
        [
            Row(
                [
                    kinds[p.kind],
                    p.title,
                    _count(p.payments),
                    _money(p.cents, locale),
                ]
            )
            for p in paid
        ],
        note=gettext(locale, N_("Fewer than {n} payments: the amount is withheld."), n=MIN_PUBLISHED),
    )


def yearly_section(levels: list[ServiceLevel], before: list[ServiceLevel], catalog: Catalog, locale: str) -> Section:
    earlier = {x.service_id: x for x in before}
    rows = []
    for x in levels:
        b = earlier.get(x.service_id)
        if not x.filed and not (b and b.filed):
            continue
        spec = catalog.latest(x.service_id)
        rows.append(
            Row(
                [
                    gettext(locale, spec.title) if spec else x.service_id,
                    _count(x.filed),
                    _count(b.filed if b else 0),
                    _change(x.filed, b.filed if b else None),
                ]
            )
        )
    return Section(
        gettext(locale, N_("Year-on-year change by service")),
        [gettext(locale, x) for x in (N_("Service"), N_("Filed"), N_("A year before"), N_("Year on year"))],
        rows,
    )


def chart(levels: list[ServiceLevel], catalog: Catalog, locale: str) -> str:
    """Requests filed per service (published figures only), as an SVG data URI."""
    import base64

    import pygal  # type: ignore[import-untyped]
    from pygal.style import Style  # type: ignore[import-untyped]

    shown = [x for x in levels if x.filed]
    if not shown:
        return ""
    style = Style(
        font_family="'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif",
        background="white",
        plot_background="white",
        colors=("#1d4f91",),
        label_font_size=11,
        major_label_font_size=11,
        value_font_size=10,
    )
    bar = pygal.HorizontalBar(
        style=style, show_legend=False, width=700, height=60 + 26 * len(shown), print_values=True, margin=8
    )
    titles = []
    for x in shown:
        spec = catalog.latest(x.service_id)
        titles.append(gettext(locale, spec.title) if spec else x.service_id)
    bar.x_labels = titles
    bar.add("", [x.filed for x in shown])
    svg = bar.render()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
