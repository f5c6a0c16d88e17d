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

import dataclasses
import datetime as dt
import statistics
import time
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
from piccolo.query.functions.aggregate import Count, Max

from hub.catalog.presenting import department
from hub.clock import BEIJING
from hub.db.tables import ServiceRequest
from hub.feedback import counted_scores, ratings_version
from hub.i18n import gettext
from hub.open_data.suppression import TOTAL, CountTable, PublishedTable, suppress

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


# The report is public and needs no sign-in, and a year of a busy district is many rows to read: a
# report is kept until a request of its period or a rating changes, which two cheap queries tell.
# They are asked at most once every FRESH_SECONDS for a period (the open-data page is public, and
# may be asked for many times a second): a change shows within that long.
FRESH_SECONDS = 1.0


@dataclass
class _Report:
    fingerprint: tuple
    levels: list[ServiceLevel]
    outcomes: PublishedTable
    checked: float  # time.monotonic() of the last look at the fingerprint
    # The report as read in each language, made on first use.
    reads: dict[str, ServiceLevelsRead] = dataclasses.field(default_factory=dict)


_reports: dict[tuple, _Report] = {}


async def _report(start: dt.datetime, end: dt.datetime, services: tuple[str, ...]) -> _Report:
    """The figures of requests filed in [start, end), counted again only when something changed."""
    key = (start, end, services)
    kept = _reports.get(key)
    if kept is not None and time.monotonic() - kept.checked < FRESH_SECONDS:
        return kept
    checked = time.monotonic()
    in_period = (ServiceRequest.created_at >= start) & (ServiceRequest.created_at < end)
    changed = await ServiceRequest.select(Count(alias="n"), Max(ServiceRequest.updated_at, alias="last")).where(
        in_period
    )
    fingerprint = (changed[0]["n"], changed[0]["last"], await ratings_version())
    kept = _reports.get(key)  # another request may have counted meanwhile
    if kept is not None and kept.fingerprint == fingerprint:
        kept.checked = checked
        return kept
    kept = _reports[key] = _Report(fingerprint, *await _count(in_period, start, end, services), checked=checked)
    return kept


async def count_service_levels(
    start: dt.datetime, end: dt.datetime, services: tuple[str, ...] = ()
) -> list[ServiceLevel]:
    """The figures of requests filed in [start, end). Requests only prepared (not yet submitted) and
    the applicants themselves are not part of it: only service, state, timing and scores are read."""
    return (await _report(start, end, services)).levels


async def count_outcomes(start: dt.datetime, end: dt.datetime, services: tuple[str, ...] = ()) -> PublishedTable:
    """The outcome table of requests filed in [start, end), as published (small counts withheld)."""
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


async def _count(
    in_period, start: dt.datetime, end: dt.datetime, services: tuple[str, ...]
) -> tuple[list[ServiceLevel], PublishedTable]:
    by_outcome: dict[tuple[str, str], int] = defaultdict(int)
    for row in (
        await ServiceRequest.select(ServiceRequest.service_id, ServiceRequest.state, Count())
        .where(in_period & (ServiceRequest.state != "prepared"))
        .group_by(ServiceRequest.service_id, ServiceRequest.state)
    ):
        by_outcome[(row["service_id"], outcome_of(row["state"]))] += row["count"]
    filed: dict[str, int] = defaultdict(int)
    for (service_id, _), count in by_outcome.items():
        filed[service_id] += count
    decided = [
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
    scores = await counted_scores(start, end)
    levels = service_levels(dict(filed), decided, scores, services)
    outcomes = suppress(CountTable(tuple(level.service_id for level in levels), OUTCOMES, dict(by_outcome)))
    late: dict[str, int] = defaultdict(int)
    for one in decided:
        late[one.service_id] += not one.on_time
    return withhold_with_table(levels, outcomes, late), outcomes


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


def _current_services(catalog: Catalog) -> tuple[str, ...]:
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
    services = _current_services(ctx.catalog)
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
