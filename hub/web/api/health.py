"""Liveness and readiness: can the hub reach its database and Temporal? And does it know the
working-day calendar of the years it counts time limits in?

A load balancer reads the status code: 503 only when the hub cannot serve (no database or no
Temporal). A missing calendar makes the hub "degraded" with 200: it still serves every request
correctly except that limits running into that year are provisional; taking it out of rotation
would help nobody, but a monitor reading the body sees the check fail and which years are missing."""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

import msgspec
from litestar import Controller, Request, Response
from temporalio.client import Client

from hub.web.context import HubContext
from hub.web.routes import get


class Check(msgspec.Struct):
    ok: bool
    target: str


class CalendarCheck(msgspec.Struct):
    """``missing``: this year if unknown, and from 1 November next year if unknown (Beijing dates)."""

    ok: bool
    missing: list[int]


class HealthRead(msgspec.Struct):
    status: str
    database: Check
    temporal: Check
    calendar: CalendarCheck


# A load balancer asks every second or so, from several places: Temporal's answer is kept this long
# (its own health check is a network round trip to the cluster).
TEMPORAL_CHECK_SECONDS = 1.0
_temporal_checks: weakref.WeakKeyDictionary[Client, tuple[float, bool]] = weakref.WeakKeyDictionary()
# The whole answer is kept as long, encoded: a probe every second from each of several balancers
# (and a monitor) asks far more often than a database or Temporal goes away. An outage still shows
# within this long: the answer is made afresh, querying the database, once it has passed.
HEALTH_SECONDS = 1.0
KEPT_KEY = "health answer"  # in the app's state: (when, JSON, status code)


async def temporal_reachable(client: Client) -> bool:
    """Whether Temporal answers its health check, as found at most TEMPORAL_CHECK_SECONDS ago."""
    checked = _temporal_checks.get(client)
    if checked is not None and time.monotonic() - checked[0] < TEMPORAL_CHECK_SECONDS:
        return checked[1]
    try:
        ok = await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception:  # noqa: BLE001 - unreachable, timed out or refused: all mean "not ok"
        ok = False
    _temporal_checks[client] = (time.monotonic(), ok)
    return ok


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/", summary="Database and Temporal connectivity")
    async def health(self, request: Request) -> Response[HealthRead]:
        # The context is read from the app's state, not injected: resolving a dependency costs more
        # than handing over the kept answer (a load balancer's probe is the most frequent request).
        state = request.app.state
        kept: tuple[float, bytes, int] | None = state.get(KEPT_KEY)
        if kept is None or time.monotonic() - kept[0] >= HEALTH_SECONDS:
            body, status = await _checked(state.hub)
            kept = state[KEPT_KEY] = (time.monotonic(), body, status)
        answer: Response[Any] = Response(content=kept[1], status_code=kept[2], media_type="application/json")
        return answer


async def _checked(ctx: HubContext) -> tuple[bytes, int]:
    """The health answer as found now: its JSON and its status code."""
    temporal_ok = await temporal_reachable(ctx.temporal) if ctx.temporal is not None else False
    # Reading which calendars are published is a query: answered, the database is reachable.
    try:
        database_ok, missing = True, await ctx.calendars.missing()
    except Exception:  # noqa: BLE001 - unreachable, refused or timed out: all mean "not ok"
        database_ok, missing = False, ctx.calendars.missing_as_last_read()
    settings = ctx.settings
    serving = database_ok and temporal_ok
    body = HealthRead(
        status="ok" if serving and not missing else "degraded",
        database=Check(
            ok=database_ok,
            target="postgresql" if settings.uses_postgres else "sqlite",
        ),
        temporal=Check(ok=temporal_ok, target=settings.temporal_target),
        calendar=CalendarCheck(ok=not missing, missing=missing),
    )
    return msgspec.json.encode(body), 200 if serving else 503
