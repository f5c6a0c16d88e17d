"""Ratings as the cockpit counts them: the one place that says which ratings count.

The ratings of days that have ended are added up once per process and kept, keyed on a fingerprint
the database gives of every rating given before today (how many, their ids, requests and scores,
and which are left out): a rating given, left out or removed in any process changes it, and the sums are read
again. Today's ratings are always read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, NamedTuple

from hub.clock import BEIJING, today
from hub.db.tables import Rating


class RatingTotals(NamedTuple):
    ratings: int
    total: int  # the sum of the scores


# (start, end, services, fingerprint) -> totals of ended days; a few periods are asked for at once.
_ENDED: dict[tuple[Any, ...], dict[str, RatingTotals]] = {}
_KEPT = 64


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), BEIJING)


async def _read(start: dt.date, end: dt.date, services: tuple[str, ...]) -> dict[str, RatingTotals]:
    rows = await Rating.raw(
        "SELECT r.service_id AS service_id, COUNT(*) AS n, SUM(g.score) AS total FROM rating g "
        "JOIN service_request r ON r.id = g.request WHERE g.created_at >= {} AND g.created_at < {} "
        "AND NOT g.excluded AND r.service_id IN (" + ", ".join("{}" for _ in services) + ") GROUP BY r.service_id",
        _moment(start),
        _moment(end + dt.timedelta(days=1)),
        *services,
    )
    return {row["service_id"]: RatingTotals(int(row["n"]), int(row["total"] or 0)) for row in rows}


async def _fingerprint(before: dt.date) -> tuple[int, ...]:
    """What the database holds of the ratings given before the day ``before``, in a few numbers that
    any rating given, left out or removed changes (ids only grow, and a rating is only ever left out)."""
    rows = await Rating.raw(
        "SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(score) AS scores, SUM(request) AS requests, "
        "SUM(request * score) AS weighted, "
        "SUM(CASE WHEN excluded THEN 1 ELSE 0 END) AS left_out, "
        "SUM(CASE WHEN excluded THEN id ELSE 0 END) AS left_out_ids FROM rating WHERE created_at < {}",
        _moment(before),
    )
    row = rows[0]
    return tuple(
        int(row[key] or 0) for key in ("n", "ids", "scores", "requests", "weighted", "left_out", "left_out_ids")
    )


async def _ended(start: dt.date, end: dt.date, services: tuple[str, ...], before: dt.date) -> dict[str, RatingTotals]:
    key = (start, end, services, before, await _fingerprint(before))
    kept = _ENDED.get(key)
    if kept is None:
        kept = await _read(start, end, services)
        if len(_ENDED) >= _KEPT:
            _ENDED.clear()
        _ENDED[key] = kept
    return kept


async def counted_ratings(start: dt.date, end: dt.date, services: tuple[str, ...]) -> dict[str, RatingTotals]:
    """Ratings given on the Beijing days ``start`` to ``end`` of requests of ``services``, per service:
    a rating left out of the figures (an appeal against it upheld) is not counted."""
    if not services:
        return {}
    now = today()
    if start >= now:
        return await _read(start, end, services)
    if end < now:
        return await _ended(start, end, services, now)
    ended, current = await asyncio.gather(
        _ended(start, now - dt.timedelta(days=1), services, now), _read(now, end, services)
    )
    counted = dict(ended)
    for service, (ratings, total) in current.items():
        before = counted.get(service, RatingTotals(0, 0))
        counted[service] = RatingTotals(before.ratings + ratings, before.total + total)
    return counted
