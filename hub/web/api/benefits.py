"""Benefits over HTTP: a beneficiary's entitlements and payments; a benefit's register, its cycles
and running one; a department suspending or resuming an entitlement.

The rules are the benefits domain's (``hub/benefits``); this module parses, calls it and answers.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request
from litestar.di import Provide
from litestar.params import Parameter

from hub.benefits import changes, cycles, offers, views
from hub.db import MAX_ID
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.routes import get, post
from hub.web.security import ALL_ROLES, STAFF_ROLES, requires_role


class CycleCreate(msgspec.Struct):
    # The month to pay, "2026-12"; a cycle runs from the benefit's payment day of that month.
    period: str


class EntitlementChangeCreate(msgspec.Struct):
    # "suspend", "resume" or "end" (the beneficiary no longer qualifies)
    move: str
    # Told to the beneficiary; required.
    reason: str


class BenefitController(Controller):
    path = "/api/benefits"
    tags = ["benefits"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}
    guards = [requires_role(*ALL_ROLES)]

    @get("/mine", summary="My entitlements, with every payment and change")
    async def mine(self, request: Request) -> list[views.EntitlementRead]:
        return await views.my_entitlements(actor_of(request))

    @get(
        "/offers",
        guards=[requires_role("citizen")],
        summary="The benefits I may apply for: those I can apply for now first, the rest with why not",
    )
    async def offered(self, request: Request, ctx: HubContext) -> list[offers.OfferRead]:
        return await offers.offers(actor_of(request), ctx.catalog)

    @get("/entitlements/{entitlement_id:int}", summary="One entitlement (its beneficiary, or the paying department)")
    async def one(self, request: Request, ctx: HubContext, entitlement_id: int) -> views.EntitlementRead:
        return await views.entitlement(actor_of(request), ctx.catalog, entitlement_id)

    @post(
        "/entitlements/{entitlement_id:int}/changes",
        guards=[requires_role(*STAFF_ROLES)],
        summary="Suspend, resume or end an entitlement, with a reason (large ones wait for a second clerk)",
        status_code=201,
    )
    async def change(
        self, request: Request, ctx: HubContext, entitlement_id: int, data: EntitlementChangeCreate
    ) -> changes.ChangeMade:
        return await changes.change_entitlement(
            actor_of(request), ctx.catalog, entitlement_id, data.move, data.reason, ctx.temporal
        )

    @post(
        "/changes/{change_id:int}/confirmation",
        guards=[requires_role(*STAFF_ROLES)],
        summary="Confirm a change another clerk proposed",
        status_code=200,
    )
    async def confirm(self, request: Request, ctx: HubContext, change_id: int) -> changes.ChangeMade:
        return await changes.confirm_change(actor_of(request), ctx.catalog, change_id, ctx.temporal)

    @get("/{service_id:str}/register", summary="A benefit's register: entitlements by state, a page at a time")
    async def register(
        self,
        request: Request,
        ctx: HubContext,
        service_id: str,
        entitlement_state: str | None = Parameter(query="state", default=None),
        after: int = Parameter(default=0, ge=0, le=MAX_ID),
        limit: int = Parameter(default=50, ge=1, le=200),
    ) -> views.RegisterPage:
        return await views.register(actor_of(request), ctx.catalog, service_id, entitlement_state, after, limit)

    @get("/{service_id:str}/cycles", summary="A benefit's payment cycles, newest first")
    async def list_cycles(self, request: Request, ctx: HubContext, service_id: str) -> list[views.CycleRead]:
        return await views.cycles(actor_of(request), ctx.catalog, service_id)

    @post(
        "/{service_id:str}/cycles",
        summary="Run (or re-run) the payment cycle of a period: a re-run pays only what is missing",
        status_code=202,
    )
    async def run_cycle(
        self, request: Request, ctx: HubContext, service_id: str, data: CycleCreate
    ) -> cycles.CycleStarted:
        return await cycles.start_cycle(ctx, actor_of(request), service_id, data.period)
