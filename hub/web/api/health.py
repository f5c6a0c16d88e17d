"""Liveness and readiness: can the hub reach its database and Temporal?"""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, Response, get
from litestar.di import Provide

from hub.db.lifecycle import ping
from hub.web.context import HubContext, provide_context


class Check(msgspec.Struct):
    ok: bool
    target: str


class HealthRead(msgspec.Struct):
    status: str
    database: Check
    temporal: Check


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="Database and Temporal connectivity")
    async def health(self, ctx: HubContext) -> Response[HealthRead]:
        database_ok = await ping()
        temporal_ok = False
        if ctx.temporal is not None:
            try:
                temporal_ok = await asyncio.wait_for(ctx.temporal.service_client.check_health(), timeout=3)
            except Exception:  # noqa: BLE001 - unreachable, timed out or refused: all mean "not ok"
                temporal_ok = False
        settings = ctx.settings
        body = HealthRead(
            status="ok" if database_ok and temporal_ok else "degraded",
            database=Check(
                ok=database_ok,
                target="postgresql" if settings.uses_postgres else "sqlite",
            ),
            temporal=Check(ok=temporal_ok, target=settings.temporal_target),
        )
        return Response(body, status_code=200 if body.status == "ok" else 503)
