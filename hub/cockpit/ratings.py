"""Ratings as the cockpit counts them: the one place that says which ratings count."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from hub.clock import BEIJING
from hub.db.tables import Rating


class RatingTotals(NamedTuple):
    ratings: int
    total: int  # the sum of the scores


async def counted_ratings(start: dt.date, end: dt.date, services: tuple[str, ...]) -> dict[str, RatingTotals]:
    """Ratings given on the Beijing days ``start`` to ``end`` of requests of ``services``, per service:
    a rating left out of the figures (an appeal against it upheld) is not counted."""
    if not services:
        return {}
    since = dt.datetime.combine(start, dt.time(), BEIJING)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), BEIJING)
    rows = await Rating.raw(
        "SELECT r.service_id AS service_id, COUNT(*) AS n, SUM(g.score) AS total FROM rating g "
        "JOIN service_request r ON r.id = g.request WHERE g.created_at >= {} AND g.created_at < {} "
        "AND NOT g.excluded AND r.service_id IN (" + ", ".join("{}" for _ in services) + ") GROUP BY r.service_id",
        since,
        until,
        *services,
    )
    return {row["service_id"]: RatingTotals(int(row["n"]), int(row["total"] or 0)) for row in rows}
