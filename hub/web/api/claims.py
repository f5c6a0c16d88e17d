"""One claim over HTTP: read it, and the approver's submission of what a preparer prepared."""

from __future__ import annotations

from litestar import Controller, Request, Response
from litestar.di import Provide

from hub.actor import Actor
from hub.db.tables import Claim
from hub.subsidies.claiming import not_prepared, pass_on, submit_prepared_claim
from hub.subsidies.oversight import view_claim
from hub.subsidies.presenter import ClaimRead, claim_read
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.routes import get, post
from hub.web.security import requires_role


async def passed_on(ctx: HubContext, claim: Claim, mode: str, actor: Actor) -> Response[ClaimRead]:
    """Pass the claim on to its workflow and answer with it: 201 once it has its answer (the money,
    a refusal, or filed for review), 202 while it is still under way."""
    claim, answered = await pass_on(ctx, claim, mode)
    return Response(await claim_read(claim, actor.locale, actor.id), status_code=201 if answered else 202)


class ClaimController(Controller):
    path = "/api/claims"
    tags = ["subsidies"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/{ref:str}", summary="One claim")
    async def get_claim(self, request: Request, ctx: HubContext, ref: str) -> ClaimRead:
        return await view_claim(actor_of(request), ref, ctx.catalog)

    @post(
        "/{ref:str}/submission",
        guards=[requires_role("enterprise")],
        summary="Submit a claim a preparer of my enterprise prepared (the enterprise's approver)",
        status_code=201,
    )
    async def submit_claim(self, request: Request, ctx: HubContext, ref: str) -> Response[ClaimRead]:
        actor = actor_of(request)
        submitted, mode = await submit_prepared_claim(actor, ref)
        if submitted is None:
            raise not_prepared()
        return await passed_on(ctx, submitted, mode, actor)
