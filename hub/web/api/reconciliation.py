"""The ledger against the claims over HTTP: the comparison as it stands now, read without storing
it; the day's report stored on demand (as the daily schedule stores it); earlier days as stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request

from hub.accounts import OVERSIGHT_ROLES
from hub.payments import reconciliation
from hub.web.actors import actor_of
from hub.web.routes import get, post
from hub.web.security import requires_role


class ReconciliationController(Controller):
    path = "/api/reconciliation"
    tags = ["subsidies"]
    guards = [requires_role(*OVERSIGHT_ROLES)]

    @get("/", summary="Reconcile the ledger with the claims now (nothing is stored)")
    async def reconcile_now(self, request: Request) -> dict[str, Any]:
        return await reconciliation.compare_now(actor_of(request))

    @post(
        "/",
        guards=[requires_role("admin")],
        summary="Reconcile now and store the result as the day's report (replacing one stored before)",
        status_code=201,
    )
    async def store_now(self, request: Request) -> dict[str, Any]:
        return await reconciliation.store_now(actor_of(request))

    @get("/{day:date}", summary="A stored daily reconciliation report")
    async def stored(self, request: Request, day: dt.date) -> dict[str, Any]:
        return await reconciliation.stored_report(day)
