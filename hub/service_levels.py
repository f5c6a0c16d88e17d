"""Service levels as open data: how each service did in a period, published without anyone in it.

For each service: requests filed, decided, the share approved, the share decided without missing a
time limit, the median days from filing to decision, and the applicants' ratings. Figures that
rest on fewer than ``MIN_PUBLISHED`` requests (or ratings) are withheld: in a small district a
count of one or two can point at a person. A count of none is published.

The counts are also published as a table of outcomes (approved, rejected, withdrawn, revoked, in
progress) by service, with its totals. Its small counts are withheld with enough others that no
withheld count can be recomputed from the totals (``hub.open_data.suppression``); the figures per
service follow the table, so that together they give away nothing it withholds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import statistics
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import msgspec
from piccolo.query.functions.aggregate import Count, Max

from hub.catalog.presenting import department
from hub.clock import BEIJING
from hub.db.tables import ServiceRequest
from hub.feedback import counted_scores, ratings_version
from hub.i18n import gettext
from hub.open_data.suppression import TOTAL, CountTable, PublishedTable, suppress_linked, withhold_linked_counts

if TYPE_CHECKING:
    from forms.catalog import Catalog
    from hub.context import HubContext

MIN_PUBLISHED = 5
DECIDED = ("approved", "rejected")
# The columns of the outcome table: a request's state, with every state before a decision counted
# as in progress.
OUTCOMES = ("approved", "rejected", "withdrawn", "revoked", "in_progress")


@dataclass(frozen=True)
class Decided:
    """One decided request, as the report counts it."""

    service_id: str
    approved: bool
    on_time: bool
    days: float


@dataclass(frozen=True)
class ServiceLevel:
    service_id: str
    filed: int | None  # None: withheld
    decided: int | None
    approved_percent: float | None
    on_time_percent: float | None
    median_days: float | None
    ratings: int | None
    average_rating: float | None


def _published(count: int) -> int | None:
    """A count as published: none at all, or enough to point at nobody; withheld in between."""
    return count if count == 0 or count >= MIN_PUBLISHED else None


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1)


def service_levels(
    filed: dict[str, int], decided: list[Decided], scores: dict[str, list[int]], services: tuple[str, ...] = ()
) -> list[ServiceLevel]:
    """The published figures, from what was counted (a pure function: the report's rules). Every
    service in ``services`` is listed, requested or not."""
    by_service: dict[str, list[Decided]] = defaultdict(list)
    for row in decided:
        by_service[row.service_id].append(row)
    levels = []
    for service_id in sorted(set(services) | set(filed) | set(by_service) | set(scores)):
        done = by_service.get(service_id, [])
        enough = len(done) >= MIN_PUBLISHED
        rated = scores.get(service_id, [])
        levels.append(
            ServiceLevel(
                service_id=service_id,
                filed=_published(filed.get(service_id, 0)),
                decided=_published(len(done)),
                approved_percent=_percent(sum(d.approved for d in done), len(done)) if enough else None,
                on_time_percent=_percent(sum(d.on_time for d in done), len(done)) if enough else None,
                median_days=round(statistics.median(d.days for d in done), 1) if enough else None,
                ratings=_published(len(rated)),
                average_rating=round(statistics.mean(rated), 2) if len(rated) >= MIN_PUBLISHED else None,
            )
        )
    return levels


# A year is published with its quarters (in governance reports) and its months, each the sum of its
# parts: they are counted and withheld together, or a month's withheld count would be the year's
# less the other months'.
Span = tuple[str, int]  # ("year", 0), ("quarter", 1 to 4) or ("month", 1 to 12)
YEAR: Span = ("year", 0)
SPAN_PARTS: dict[Span, tuple[Span, ...]] = {
    YEAR: tuple(("quarter", q) for q in range(1, 5)),
    **{("quarter", q): tuple(("month", m) for m in range(3 * q - 2, 3 * q + 1)) for q in range(1, 5)},
}
MONTHS: tuple[Span, ...] = tuple(("month", m) for m in range(1, 13))
# The wholes, each after its parts.
WHOLES: tuple[Span, ...] = (*(("quarter", q) for q in range(1, 5)), YEAR)
SPANS: tuple[Span, ...] = (*MONTHS, *WHOLES)
T = TypeVar("T")


def with_wholes(months: Mapping[Span, T], combine: Callable[[list[T]], T]) -> dict[Span, T]:
    """The months' values with each quarter's and the year's, each combined from its parts."""
    out = dict(months)
    for whole in WHOLES:
        out[whole] = combine([out[part] for part in SPAN_PARTS[whole]])
    return out


# The report is public and needs no sign-in, and a year of a busy district is many rows to read: a
# year's reports are kept until a request of the year or a rating changes, which two cheap queries
# tell. They are asked at most once every FRESH_SECONDS for a year (the open-data page is public,
# and may be asked for many times a second): a change shows within that long.
FRESH_SECONDS = 1.0


@dataclass
class _Report:
    fingerprint: tuple  # the year's: what was counted
    levels: list[ServiceLevel]
    outcomes: PublishedTable
    # The report as read in each language, made on first use.
    reads: dict[str, ServiceLevelsRead] = dataclasses.field(default_factory=dict)


@dataclass
class _Year:
    fingerprint: tuple
    reports: dict[Span, _Report]
    checked: float  # time.monotonic() of the last look at the fingerprint


_years: dict[tuple[int, tuple[str, ...]], _Year] = {}
# (A lock belongs to its event loop: one set per loop.)
_counting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, tuple[str, ...]], asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def span_bounds(year: int, span: Span) -> tuple[dt.datetime, dt.datetime]:
    """A year, one of its quarters or one of its months, in Beijing time."""
    kind, number = span
    if kind == "quarter":
        first = dt.date(year, 3 * number - 2, 1)
        after = dt.date(year + (number == 4), (3 * number) % 12 + 1, 1)
        return dt.datetime.combine(first, dt.time(), BEIJING), dt.datetime.combine(after, dt.time(), BEIJING)
    return period(year, number if kind == "month" else None)


def _span_of(start: dt.datetime, end: dt.datetime) -> tuple[int, Span]:
    year = start.astimezone(BEIJING).year
    for span in SPANS:
        if span_bounds(year, span) == (start, end):
            return year, span
    raise ValueError(f"not a calendar month, quarter or year: {start} to {end}")


async def _report(start: dt.datetime, end: dt.datetime, services: tuple[str, ...]) -> _Report:
    """The figures of requests filed in [start, end) (a month, quarter or year), counted again only
    when something in its year changed."""
    year, span = _span_of(start, end)
    key = (year, services)
    kept = _years.get(key)
    if kept is not None and time.monotonic() - kept.checked < FRESH_SECONDS:
        return kept.reports[span]
    # One look (and one count) at a time per year in a process: requests arriving meanwhile wait
    # for it rather than count the same year again.
    locks = _counting.setdefault(asyncio.get_running_loop(), {})
    async with locks.setdefault(key, asyncio.Lock()):
        kept = _years.get(key)
        if kept is not None and time.monotonic() - kept.checked < FRESH_SECONDS:
            return kept.reports[span]
        return await _recount(year, span, key, services)


async def _recount(year: int, span: Span, key: tuple[int, tuple[str, ...]], services: tuple[str, ...]) -> _Report:
    checked = time.monotonic()
    first, after = span_bounds(year, YEAR)
    in_year = (ServiceRequest.created_at >= first) & (ServiceRequest.created_at < after)
    changed = await ServiceRequest.select(Count(alias="n"), Max(ServiceRequest.updated_at, alias="last")).where(in_year)
    fingerprint = (changed[0]["n"], changed[0]["last"], await ratings_version())
    kept = _years.get(key)  # another request may have counted meanwhile
    if kept is not None and kept.fingerprint == fingerprint:
        kept.checked = checked
        return kept.reports[span]
    kept = _years[key] = _Year(fingerprint, await _count_year(year, services, fingerprint), checked)
    return kept.reports[span]


async def count_service_levels(
    start: dt.datetime, end: dt.datetime, services: tuple[str, ...] = ()
) -> list[ServiceLevel]:
    """The figures of requests filed in [start, end), a calendar month, quarter or year. Requests
    only prepared (not yet submitted) and the applicants themselves are not part of it: only
    service, state, timing and scores are read."""
    return (await _report(start, end, services)).levels


async def count_outcomes(start: dt.datetime, end: dt.datetime, services: tuple[str, ...] = ()) -> PublishedTable:
    """The outcome table of requests filed in [start, end), a calendar month, quarter or year, as
    published (small counts withheld, with the year's other tables)."""
    return (await _report(start, end, services)).outcomes


def outcome_of(state: str) -> str:
    """The outcome column a request's state is counted in."""
    return state if state in OUTCOMES else "in_progress"


def withhold_with_table(
    levels: list[ServiceLevel], outcomes: PublishedTable, late: dict[str, int]
) -> list[ServiceLevel]:
    """The figures per service, withholding whatever would give away a count the outcome table
    withholds: the number filed is the table's row total; the number decided and the share
    approved are published only where the approved and rejected counts are; the share decided in
    time and the median only where the number decided is (and the late count is not small)."""
    adjusted = []
    for level in levels:
        sid = level.service_id
        approved, rejected = outcomes.get(sid, "approved"), outcomes.get(sid, "rejected")
        decided = approved + rejected if approved is not None and rejected is not None else None
        shown = decided is not None and level.decided is not None
        on_time = level.on_time_percent
        if not shown or 0 < late.get(sid, 0) < MIN_PUBLISHED or 0 < (decided or 0) - late.get(sid, 0) < MIN_PUBLISHED:
            on_time = None
        adjusted.append(
            dataclasses.replace(
                level,
                filed=outcomes.get(sid, TOTAL),
                decided=level.decided if shown else None,
                approved_percent=level.approved_percent if shown else None,
                on_time_percent=on_time,
                median_days=level.median_days if shown else None,
            )
        )
    return adjusted


@dataclass
class _Counted:
    """What is counted of one period, before anything is withheld."""

    by_outcome: dict[tuple[str, str], int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    decided: list[Decided] = dataclasses.field(default_factory=list)
    scores: dict[str, list[int]] = dataclasses.field(default_factory=lambda: defaultdict(list))

    @staticmethod
    def summed(parts: list[_Counted]) -> _Counted:
        whole = _Counted()
        for part in parts:
            for cell, n in part.by_outcome.items():
                whole.by_outcome[cell] += n
            whole.decided += part.decided
            for service_id, given in part.scores.items():
                whole.scores[service_id] += given
        return whole


async def _count_month(start: dt.datetime, end: dt.datetime) -> _Counted:
    in_period = (ServiceRequest.created_at >= start) & (ServiceRequest.created_at < end)
    counted = _Counted()
    for row in (
        await ServiceRequest.select(ServiceRequest.service_id, ServiceRequest.state, Count())
        .where(in_period & (ServiceRequest.state != "prepared"))
        .group_by(ServiceRequest.service_id, ServiceRequest.state)
    ):
        counted.by_outcome[(row["service_id"], outcome_of(row["state"]))] += row["count"]
    counted.decided = [
        Decided(
            service_id=row["service_id"],
            approved=row["state"] == "approved",
            on_time=not row["overdue"],
            days=(row["closed_at"] - row["created_at"]).total_seconds() / 86400,
        )
        for row in await ServiceRequest.select(
            ServiceRequest.service_id,
            ServiceRequest.state,
            ServiceRequest.overdue,
            ServiceRequest.created_at,
            ServiceRequest.closed_at,
        ).where(in_period & ServiceRequest.state.is_in(list(DECIDED)) & ServiceRequest.closed_at.is_not_null())
    ]
    # Counted where every figure of ratings is: a rating left out after an upheld appeal is not.
    for service_id, given in (await counted_scores(start, end)).items():
        counted.scores[service_id] += given
    return counted


async def _count_year(year: int, services: tuple[str, ...], fingerprint: tuple) -> dict[Span, _Report]:
    """Every month, quarter and the year, counted and withheld together (each month on its own
    data, each whole with what its parts withhold)."""
    counted = with_wholes({month: await _count_month(*span_bounds(year, month)) for month in MONTHS}, _Counted.summed)
    # Every table of the year lists the same services: those of the catalog, and any other counted.
    listed = tuple(
        sorted(
            set(services)
            | {service_id for c in counted.values() for service_id, _ in c.by_outcome}
            | {service_id for c in counted.values() for service_id in c.scores}
        )
    )
    outcomes = suppress_linked(
        {span: CountTable(listed, OUTCOMES, dict(c.by_outcome)) for span, c in counted.items()}, SPAN_PARTS
    )
    # A service's ratings are counted in each period too: withheld together, an average with its count.
    unrated: set[tuple[str, Span]] = set()
    for service_id in listed:
        given = {span: len(c.scores.get(service_id, [])) for span, c in counted.items()}
        unrated |= {(service_id, span) for span in withhold_linked_counts(given, SPAN_PARTS)}
    reports = {}
    for span, c in counted.items():
        filed: dict[str, int] = defaultdict(int)
        for (service_id, _), n in c.by_outcome.items():
            filed[service_id] += n
        levels = [
            level
            if (level.service_id, span) not in unrated
            else dataclasses.replace(level, ratings=None, average_rating=None)
            for level in service_levels(dict(filed), c.decided, dict(c.scores), listed)
        ]
        late: dict[str, int] = defaultdict(int)
        for one in c.decided:
            late[one.service_id] += not one.on_time
        reports[span] = _Report(fingerprint, withhold_with_table(levels, outcomes[span], late), outcomes[span])
    # The share decided in time, with the number decided, gives the number decided late: a whole
    # withholds it wherever one of its parts does, or the part's would be the whole's less the others'.
    for whole in WHOLES:
        hidden = {
            level.service_id
            for part in SPAN_PARTS[whole]
            for level in reports[part].levels
            if level.on_time_percent is None and any(d.service_id == level.service_id for d in counted[part].decided)
        }
        reports[whole].levels = [
            dataclasses.replace(level, on_time_percent=None) if level.service_id in hidden else level
            for level in reports[whole].levels
        ]
    return reports


class ServiceLevelRead(msgspec.Struct):
    service_id: str
    title: str
    department: str
    # Each figure is null where it would rest on 1 to ``min_published`` - 1 requests or ratings.
    filed: int | None
    decided: int | None
    approved_percent: float | None
    on_time_percent: float | None
    median_days: float | None
    ratings: int | None
    average_rating: float | None


class ServiceLevelsRead(msgspec.Struct):
    year: int
    month: int | None
    min_published: int
    services: list[ServiceLevelRead]


def period(year: int, month: int | None) -> tuple[dt.datetime, dt.datetime]:
    """A calendar year, or one of its months, in Beijing time."""
    if month is None:
        first, after = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    else:
        first = dt.date(year, month, 1)
        after = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.datetime.combine(first, dt.time(), BEIJING), dt.datetime.combine(after, dt.time(), BEIJING)


# The catalog's current services, listed once per catalog (it is loaded at start and not changed).
_services_of: tuple[Catalog | None, tuple[str, ...]] = (None, ())


def current_services(catalog: Catalog) -> tuple[str, ...]:
    global _services_of
    if _services_of[0] is not catalog:
        _services_of = (catalog, tuple(spec.id for spec in catalog.current()))
    return _services_of[1]


async def service_levels_kept(
    ctx: HubContext, locale: str, year: int, month: int | None
) -> tuple[Hashable, ServiceLevelsRead]:
    """The report of a year, or one of its months, in ``locale``: every current service of the
    catalog; with what tells its figures apart (the same while they are), for what is made of it.
    Made once per language while the figures stand."""
    services = current_services(ctx.catalog)
    report = await _report(*period(year, month), services)
    read = report.reads.get(locale)
    if read is None:

        def level_read(level: ServiceLevel) -> ServiceLevelRead:
            spec = ctx.catalog.latest(level.service_id)
            return ServiceLevelRead(
                title=gettext(locale, spec.title) if spec else level.service_id,
                department=department(ctx.catalog, spec.owner, locale).name if spec else "",
                **dataclasses.asdict(level),
            )

        levels = [level_read(x) for x in report.levels]
        read = report.reads[locale] = ServiceLevelsRead(
            year=year, month=month, min_published=MIN_PUBLISHED, services=levels
        )
    return (services, report.fingerprint), read


async def service_levels_read(ctx: HubContext, locale: str, year: int, month: int | None) -> ServiceLevelsRead:
    """The report of a year, or one of its months, in ``locale``: every current service of the catalog."""
    return (await service_levels_kept(ctx, locale, year, month))[1]
