"""The cockpit's figures, read from the daily tallies (``hub.db.tallies``) and a few small tables.

Every figure covers the Beijing days ``filters.start`` to ``filters.end`` (both included), except
what stands at a moment: requests in progress, a department's backlog and its overdue tasks are as
they stood at the end of ``filters.end`` (and of each point, for the series). The series (``days``,
``trend``) have a point a day, or, for periods of ``MONTHLY_POINTS_AFTER`` days or more, a point a
month: ``day`` is then the month's first day, its counts the month's (within the period) and what
stands as it stood at the month's end (the period's end for the last).

Time to decision is in hours, read from buckets (to the hour within the first day, to the day after
it), as the bucket's lower bound: "median 72" means the middle request was decided after 3 to 4
days. Percentiles take the nearest rank: the smallest value with at least that share of requests at
or below it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from hub.cockpit.ratings import RatingTotals, counted_ratings
from hub.cockpit.scope import Filters, Scope
from hub.db import tallies as t
from hub.db.tables import BenefitPayment, CockpitTally, Program

__all__ = [
    "BacklogDay",
    "Cockpit",
    "DayFigures",
    "DepartmentFigures",
    "PaidFigures",
    "ServiceFigures",
    "StepFigures",
    "Totals",
    "percentile",
    "read_figures",
]


class DayFigures(msgspec.Struct, frozen=True):
    """One day: requests received and decided that day, and in progress at its end."""

    day: dt.date
    received: int
    decided: int
    in_progress: int


class ServiceFigures(msgspec.Struct, frozen=True):
    """One service over the period (in progress: at the period's end)."""

    service_id: str
    title: str
    department: str  # the owning department's code
    department_name: str
    received: int
    in_progress: int
    decided: int
    approved: int
    # Shares of the requests decided in the period; None when none was decided.
    approval_percent: float | None
    within_limit_percent: float | None
    median_hours: int | None
    p90_hours: int | None
    ratings: int
    average_rating: float | None


class StepFigures(msgspec.Struct, frozen=True):
    """One step (a stage, in one department) of a service: its decisions in the period and how long
    they took from the task's opening."""

    service_id: str
    service_title: str
    step: str  # the stage's id
    department: str
    department_name: str
    decided: int
    median_hours: int | None
    p90_hours: int | None
    step_title: str = ""  # the stage's name in the reader's language


class BacklogDay(msgspec.Struct, frozen=True):
    """A department's open tasks at the end of a day, and how many of them were overdue."""

    day: dt.date
    backlog: int
    overdue: int


class DepartmentFigures(msgspec.Struct, frozen=True):
    """A department's tasks: opened and decided in the period, open and overdue at its end, and the
    trend of both over the period's days."""

    department: str
    name: str
    opened: int
    decided: int
    backlog: int
    overdue: int
    trend: list[BacklogDay]


class PaidFigures(msgspec.Struct, frozen=True):
    """Money paid in the period against a budget: a subsidy program (budget: the program's whole
    budget) or a benefit service (no budget held in the hub: None). Amounts in CNY, as strings."""

    kind: Literal["subsidy", "benefit"]
    code: str  # the program's code, or the benefit's service id
    title: str
    department: str
    budget: str | None
    paid: str
    paid_percent: float | None


class Totals(msgspec.Struct, frozen=True):
    """The period's headline figures over everything the filters and the reader's role select."""

    received: int
    in_progress: int
    decided: int
    approved: int
    approval_percent: float | None
    within_limit_percent: float | None
    median_hours: int | None
    p90_hours: int | None
    backlog: int
    overdue: int
    ratings: int
    average_rating: float | None


class Cockpit(msgspec.Struct, frozen=True):
    """Everything the cockpit shows for one set of filters."""

    start: dt.date
    end: dt.date
    department: str | None
    service_id: str | None
    totals: Totals
    days: list[DayFigures]
    services: list[ServiceFigures]
    steps: list[StepFigures]
    departments: list[DepartmentFigures]
    paid: list[PaidFigures]
    # What a point of the series (``days``, each department's ``trend``) stands for.
    points: Literal["day", "month"] = "day"


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile of a histogram {value: count}; None when it is empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)  # pragma: no cover - the ranks add up to the total


def _ranks(row: dict[str, Any]) -> tuple[int, int | None, int | None]:
    """A row of ``_percentiles`` as (count, median, 90th percentile)."""
    median, p90 = row["p50"], row["p90"]
    return int(row["total"] or 0), None if median is None else int(median), None if p90 is None else int(p90)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _in(column: str, values: Iterable[str]) -> tuple[str, list[str]]:
    values = list(values)
    return f"{column} IN (" + ", ".join("{}" for _ in values) + ")", values


EPOCH = dt.date(2000, 1, 1)


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _split(start: dt.date, end: dt.date) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date, dt.date] | None]:
    """[start, end] as the days read one by one (at its edges) and the whole months between them
    (read a row a month): (day ranges, (first month, last month) or None)."""
    first = start if start.day == 1 else _month_after(start)
    after_last = (
        _month_after(end).replace(day=1) if _month_after(end) - dt.timedelta(days=1) == end else end.replace(day=1)
    )
    if first >= after_last:
        return [(start, end)], None
    last = (after_last - dt.timedelta(days=1)).replace(day=1)
    days = [(a, b) for a, b in ((start, first - dt.timedelta(days=1)), (after_last, end)) if a <= b]
    return days, (first, last)


def _where(
    measures: tuple[str, ...],
    day_ranges: list[tuple[dt.date, dt.date]],
    months: tuple[dt.date, dt.date] | None,
    services: tuple[str, ...] | None,
    department: str | None,
) -> tuple[str, list[Any]] | None:
    """A subquery ``tally`` of the daily tallies of ``measures`` on ``day_ranges`` and the monthly
    ones of ``months`` (first months' days, both included); None when it selects nothing. Each span
    is its own range of the index ``cockpit_tally_read`` (measure, day, then every column read), put
    together with UNION ALL: a condition joined with OR would be read from the table instead."""
    spans: list[tuple[list[str], dt.date, dt.date]] = [(list(measures), a, b) for a, b in day_ranges]
    if months is not None:
        spans.append(([t.monthly(m) for m in measures], *months))
    if not spans:
        return None
    common = ""
    common_args: list[Any] = []
    if services is not None:
        service_in, common_args = _in("service_id", services or ("",))
        common += f" AND {service_in}"
    if department is not None:
        common += " AND department = {}"
        common_args.append(department)
    args: list[Any] = []
    selects = []
    for names, a, b in spans:
        where, values = _in("measure", names)
        selects.append(
            "SELECT measure, day, service_id, department, step, bucket, n FROM cockpit_tally "
            f"WHERE {where} AND day BETWEEN {{}} AND {{}}{common}"
        )
        args += [*values, a, b, *common_args]
    return "(" + " UNION ALL ".join(selects) + ") AS tally", args


async def _sum_in(
    measures: tuple[str, ...],
    group: str,
    day_ranges: list[tuple[dt.date, dt.date]],
    months: tuple[dt.date, dt.date] | None,
    services: tuple[str, ...] | None,
    department: str | None,
) -> list[dict[str, Any]]:
    """SUM(n) of ``measures`` grouped by ``measure`` and ``group``: the daily tallies of
    ``day_ranges`` and the monthly ones of ``months`` (first months' days, both included)."""
    selected = _where(measures, day_ranges, months, services, department)
    if selected is None:
        return []
    source, args = selected
    rows = await CockpitTally.raw(
        f"SELECT measure, {group}, SUM(n) AS n FROM {source} GROUP BY measure, {group}",
        *args,
    )
    for row in rows:
        row["measure"] = row["measure"].removeprefix(t.MONTHLY)
    return rows


async def _percentiles(
    measure: str,
    keys: tuple[str, ...],
    *,
    start: dt.date,
    end: dt.date,
    services: tuple[str, ...] | None,
    department: str | None = None,
    overall: bool = False,
) -> list[dict[str, Any]]:
    """The median and 90th percentile (``percentile``: nearest rank) of the histogram of ``measure``
    (its buckets) over [start, end], per ``keys`` (one row over everything when there are none):
    rows of the keys, ``total`` (the count) and ``p50``, ``p90`` (None when the count is 0). Added
    up in the database, which returns a row per histogram rather than a row per bucket. ``overall``:
    also a row (its keys None) for the histogram of everything selected."""
    day_ranges, months = _split(start, end)
    selected = _where((measure,), day_ranges, months, services, department)
    if selected is None:
        return []
    source, args = selected
    columns = "".join(f"{key}, " for key in keys)
    nulls = "".join(f"NULL AS {key}, " for key in keys)
    partition = f"PARTITION BY {', '.join(keys)} " if keys else ""
    grouped = f" GROUP BY {', '.join(keys)}" if keys else ""
    # seen >= ceil(share * total) is share * total <= seen for whole numbers: 2 seen >= total for
    # the median, 10 seen >= 9 total for the 90th percentile.
    ranks = (
        "MAX(total) AS total, MIN(CASE WHEN total > 0 AND 2 * seen >= total THEN bucket END) AS p50, "
        "MIN(CASE WHEN total > 0 AND 10 * seen >= 9 * total THEN bucket END) AS p90"
    )
    sql = (
        f"WITH buckets AS (SELECT {columns}bucket, SUM(n) AS n FROM {source} "
        f"GROUP BY {columns}bucket), "
        f"ranked AS (SELECT {columns}bucket, SUM(n) OVER ({partition}ORDER BY bucket) AS seen, "
        f"SUM(n) OVER ({partition.strip()}) AS total FROM buckets) "
        f"SELECT {columns}{ranks} FROM ranked{grouped}"
    )
    if overall and keys:
        # The histogram of everything selected, from the same buckets: a row whose keys are NULL.
        sql += (
            " UNION ALL SELECT " + nulls + ranks + " FROM (SELECT bucket, SUM(n) OVER (ORDER BY bucket) AS seen, "
            "SUM(n) OVER () AS total FROM (SELECT bucket, SUM(n) AS n FROM buckets GROUP BY bucket) AS whole) "
            "AS whole_ranked"
        )
    return await CockpitTally.raw(sql, *args)


async def _sum(
    measures: tuple[str, ...],
    group: str,
    *,
    start: dt.date | None,
    end: dt.date,
    services: tuple[str, ...] | None,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """SUM(n) of ``measures`` grouped by ``measure`` and ``group`` (columns, not the day), days in
    [start, end] (from the first tally when ``start`` is None); ``services`` None: every service.
    Whole months are read from the monthly tallies."""
    day_ranges, months = _split(start or EPOCH, end)
    return await _sum_in(measures, group, day_ranges, months, services, department)


# A longer period is drawn a point a month (its last point the period's end), not a point a day.
MONTHLY_POINTS_AFTER = 92


def _monthly_points(start: dt.date, end: dt.date) -> bool:
    return (end - start).days >= MONTHLY_POINTS_AFTER


def _points(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days (or the first days of the months) the series have a point for."""
    points = []
    day = start.replace(day=1) if _monthly_points(start, end) else start
    while day <= end:
        points.append(day)
        day = _month_after(day) if _monthly_points(start, end) else day + dt.timedelta(days=1)
    return points


async def _by_point(
    measures: tuple[str, ...],
    extra: str,
    start: dt.date,
    end: dt.date,
    services: tuple[str, ...] | None,
    department: str | None = None,
) -> list[tuple[dt.date, dict[str, Any]]]:
    """Sums of ``measures`` per point of the series (and per ``extra`` columns), within [start, end]."""
    group = "day" + (", " + extra if extra else "")
    if not _monthly_points(start, end):
        rows = await _sum_in(measures, group, [(start, end)], None, services, department)
        return [(_day(row["day"]), row) for row in rows]
    day_ranges, months = _split(start, end)
    rows = await _sum_in(measures, group, day_ranges, None, services, department)
    rows += await _sum_in(measures, group, [], months, services, department)
    return [(_day(row["day"]).replace(day=1), row) for row in rows]


async def read_figures(scope: Scope, filters: Filters) -> Cockpit:
    """The cockpit for ``filters`` within what ``scope`` lets its reader see (built by ``hub.cockpit``
    from the actor; names in ``scope``'s language)."""
    # Every service: no list to match (the sums read fewer index entries).
    services: tuple[str, ...] | None = None if scope.every_service else scope.services
    start, end = filters.start, filters.end
    # The sums are independent of one another: asked at once (on PostgreSQL, on several connections).
    (
        counted,
        until_end,
        until_start,
        by_point,
        hour_rows,
        step_rows,
        ratings,
        departments,
        paid,
    ) = await asyncio.gather(
        _sum(
            (t.RECEIVED, t.DECIDED, t.APPROVED, t.WITHIN_LIMIT), "service_id", start=start, end=end, services=services
        ),
        _sum((t.RECEIVED, t.CLOSED), "service_id", start=None, end=end, services=services),
        _sum((t.RECEIVED, t.CLOSED), "service_id", start=None, end=start - dt.timedelta(days=1), services=services),
        _by_point((t.RECEIVED, t.CLOSED, t.DECIDED), "", start, end, services),
        _percentiles(t.HOURS, ("service_id",), start=start, end=end, services=services, overall=True),
        _percentiles(
            t.TASK_HOURS,
            ("service_id", "department", "step"),
            start=start,
            end=end,
            services=services,
            department=scope.task_department,
        ),
        counted_ratings(start, end, scope.services),
        _departments(scope, filters),
        _paid(scope, filters),
    )
    per_service: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counted:
        per_service[row["service_id"]][row["measure"]] += int(row["n"])
    # In progress at the end: everything received up to then, less everything closed.
    for row in until_end:
        sign = 1 if row["measure"] == t.RECEIVED else -1
        per_service[row["service_id"]]["in_progress"] += sign * int(row["n"])
    before: dict[str, int] = defaultdict(int)
    for row in until_start:
        before[row["measure"]] += int(row["n"])
    per_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for point, row in by_point:
        per_day[point][row["measure"]] += int(row["n"])
    hours = {row["service_id"]: _ranks(row) for row in hour_rows}
    overall = hours.pop(None, (0, None, None))  # type: ignore[call-overload]

    days = []
    in_progress = before[t.RECEIVED] - before[t.CLOSED]
    for day in _points(start, end):
        counts = per_day.get(day, {})
        in_progress += counts.get(t.RECEIVED, 0) - counts.get(t.CLOSED, 0)
        days.append(
            DayFigures(
                day=day, received=counts.get(t.RECEIVED, 0), decided=counts.get(t.DECIDED, 0), in_progress=in_progress
            )
        )

    service_rows = []
    for service_id in scope.services:
        counts = per_service.get(service_id, {})
        _, median_hours, p90_hours = hours.get(service_id, (0, None, None))
        rated = ratings.get(service_id, RatingTotals(0, 0))
        decided = counts.get(t.DECIDED, 0)
        service_rows.append(
            ServiceFigures(
                service_id=service_id,
                title=scope.service_titles[service_id],
                department=scope.owners[service_id],
                department_name=scope.department_names.get(scope.owners[service_id], scope.owners[service_id]),
                received=counts.get(t.RECEIVED, 0),
                in_progress=counts.get("in_progress", 0),
                decided=decided,
                approved=counts.get(t.APPROVED, 0),
                approval_percent=_percent(counts.get(t.APPROVED, 0), decided),
                within_limit_percent=_percent(counts.get(t.WITHIN_LIMIT, 0), decided),
                median_hours=median_hours,
                p90_hours=p90_hours,
                ratings=rated.ratings,
                average_rating=round(rated.total / rated.ratings, 2) if rated.ratings else None,
            )
        )

    steps = [
        StepFigures(
            service_id=service_id,
            service_title=scope.service_titles.get(service_id, service_id),
            step=step,
            step_title=scope.step_titles.get((service_id, step), step),
            department=department,
            department_name=scope.department_names.get(department, department),
            decided=decided,
            median_hours=median_hours,
            p90_hours=p90_hours,
        )
        for (service_id, department, step), (decided, median_hours, p90_hours) in sorted(
            ((row["service_id"], row["department"], row["step"]), _ranks(row)) for row in step_rows
        )
    ]

    received = sum(s.received for s in service_rows)
    decided = sum(s.decided for s in service_rows)
    approved = sum(s.approved for s in service_rows)
    within = sum(per_service.get(s, {}).get(t.WITHIN_LIMIT, 0) for s in scope.services)
    rated_count = sum(r.ratings for r in ratings.values())
    rated_total = sum(r.total for r in ratings.values())
    totals = Totals(
        received=received,
        in_progress=sum(s.in_progress for s in service_rows),
        decided=decided,
        approved=approved,
        approval_percent=_percent(approved, decided),
        within_limit_percent=_percent(within, decided),
        median_hours=overall[1],
        p90_hours=overall[2],
        backlog=sum(d.backlog for d in departments),
        overdue=sum(d.overdue for d in departments),
        ratings=rated_count,
        average_rating=round(rated_total / rated_count, 2) if rated_count else None,
    )
    return Cockpit(
        start=start,
        end=end,
        department=filters.department,
        service_id=filters.service_id,
        totals=totals,
        days=days,
        services=service_rows,
        steps=steps,
        departments=departments,
        paid=paid,
        points="month" if _monthly_points(start, end) else "day",
    )


TASK_FLOW = (t.OPENED, t.TASK_CLOSED, t.OVERDUE_IN, t.OVERDUE_OUT)


async def _departments(scope: Scope, filters: Filters) -> list[DepartmentFigures]:
    """Each department's tasks over the period, with the open and overdue ones at each day's end."""
    start, end = filters.start, filters.end
    services: tuple[str, ...] | None = None if scope.every_service else scope.services
    base: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in await _sum(
        TASK_FLOW,
        "department",
        start=None,
        end=start - dt.timedelta(days=1),
        services=services,
        department=scope.task_department,
    ):
        base[row["department"]][row["measure"]] += int(row["n"])
    flows: dict[str, dict[dt.date, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for point, row in await _by_point(
        (*TASK_FLOW, t.TASK_DECIDED), "department", start, end, services, scope.task_department
    ):
        flows[row["department"]][point][row["measure"]] += int(row["n"])
    result = []
    for department in sorted(set(base) | set(flows)):
        if scope.task_department is not None and department != scope.task_department:
            continue
        backlog = base[department][t.OPENED] - base[department][t.TASK_CLOSED]
        overdue = base[department][t.OVERDUE_IN] - base[department][t.OVERDUE_OUT]
        trend = []
        opened = decided = 0
        for day in _points(start, end):
            counts = flows[department].get(day, {})
            backlog += counts.get(t.OPENED, 0) - counts.get(t.TASK_CLOSED, 0)
            overdue += counts.get(t.OVERDUE_IN, 0) - counts.get(t.OVERDUE_OUT, 0)
            opened += counts.get(t.OPENED, 0)
            decided += counts.get(t.TASK_DECIDED, 0)
            trend.append(BacklogDay(day=day, backlog=backlog, overdue=overdue))
        result.append(
            DepartmentFigures(
                department=department,
                name=scope.department_names.get(department, department),
                opened=opened,
                decided=decided,
                backlog=backlog,
                overdue=overdue,
                trend=trend,
            )
        )
    return result


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


async def _paid(scope: Scope, filters: Filters) -> list[PaidFigures]:
    """Subsidy programs (paid so far against the budget) and benefits paid for the period's months."""
    rows: list[PaidFigures] = []
    wanted = set(scope.services)
    for program in await Program.select(
        Program.code, Program.service_id, Program.spec, Program.budget_cents, Program.paid_cents
    ).order_by(Program.code):
        if program["service_id"] not in wanted:
            continue
        budget, paid = int(program["budget_cents"]), int(program["paid_cents"])
        rows.append(
            PaidFigures(
                kind="subsidy",
                code=program["code"],
                title=scope.program_title(program["spec"]),
                department=scope.owners.get(program["service_id"], ""),
                budget=_money(budget),
                paid=_money(paid),
                paid_percent=_percent(paid, budget),
            )
        )
    first, last = filters.start.strftime("%Y-%m"), filters.end.strftime("%Y-%m")
    for row in await BenefitPayment.raw(
        "SELECT service_id, SUM(amount_cents) AS paid FROM benefit_payment WHERE state = 'paid' "
        "AND period >= {} AND period <= {} GROUP BY service_id ORDER BY service_id",
        first,
        last,
    ):
        if row["service_id"] not in wanted:
            continue
        rows.append(
            PaidFigures(
                kind="benefit",
                code=row["service_id"],
                title=scope.service_titles.get(row["service_id"], row["service_id"]),
                department=scope.owners.get(row["service_id"], ""),
                budget=None,
                paid=_money(int(row["paid"] or 0)),
                paid_percent=None,
            )
        )
    return rows
