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

import msgspec
from litestar import Controller, Response, get
from litestar.di import Provide
from temporalio.client import Client

from hub.web.context import HubContext, provide_context


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
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="Database and Temporal connectivity")
    async def health(self, ctx: HubContext) -> Response[HealthRead]:
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
        return Response(body, status_code=200 if serving else 503)
