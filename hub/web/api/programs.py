"""Subsidy programs over HTTP: published programs as open data, publishing and closing them
(administrators), what those who oversee a program see of it, and claiming one (enterprises).

The rules are the subsidies domain's (``hub/subsidies``); this module parses, calls it and answers.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub.db import MAX_ID
from hub.subsidies import oversight, programs
from hub.subsidies.claiming import file_claim
from hub.subsidies.presenter import ClaimRead, MatchesRead, ProgramRead, claim_read, program_read, published_programs
from hub.web.actors import actor_of
from hub.web.api.claims import passed_on
from hub.web.context import HubContext, provide_context
from hub.web.problems import request_locale
from hub.web.routes import get, post
from hub.web.security import requires_role


class ClaimCreate(msgspec.Struct):
    # Only programs in apply mode have a form; the others need nothing but the claim itself.
    answers: dict[str, Any] = {}


class OpenProgramController(Controller):
    """Published programs and their budgets: open data, no sign-in."""

    path = "/api/open/programs"
    tags = ["open data"]

    @get("/", summary="Published subsidy programs with their budgets")
    async def list_programs(self, request: Request) -> list[ProgramRead]:
        return await published_programs(request_locale(request))

    @get("/{code:str}", summary="One program: conditions, amount, budget")
    async def get_program(self, request: Request, code: str) -> ProgramRead:
        return program_read(await programs.load_program(code), request_locale(request))


class ProgramController(Controller):
    path = "/api/programs"
    tags = ["subsidies"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post("/", guards=[requires_role("admin")], summary="Publish a program", status_code=201)
    async def publish_program(self, request: Request, ctx: HubContext, data: dict[str, Any]) -> ProgramRead:
        actor = actor_of(request)
        return program_read(await programs.publish_program(actor, data, ctx), actor.locale)

    @post("/{code:str}/closure", guards=[requires_role("admin")], summary="Close a program to new claims")
    async def close_program(self, request: Request, code: str) -> ProgramRead:
        actor = actor_of(request)
        return program_read(await programs.close_program(actor, code), actor.locale)

    @get(
        "/{code:str}/matches",
        summary="Enterprises evaluated against the program",
        description="``matching`` says how far the program's matching run has got (running, finished, "
        "not-started, or unknown when Temporal does not answer), with an estimate of the time left.",
    )
    async def matches(
        self,
        request: Request,
        ctx: HubContext,
        code: str,
        eligible: bool | None = None,
        near: bool | None = None,
        limit: int = Parameter(default=50, ge=1, le=500),
        offset: int = Parameter(default=0, ge=0, le=MAX_ID),
    ) -> MatchesRead:
        return await oversight.program_matches(
            actor_of(request), code, ctx.catalog, eligible, near, limit, offset, client=ctx.temporal
        )

    @get("/{code:str}/claims", summary="Claims on the program")
    async def program_claims(
        self,
        request: Request,
        ctx: HubContext,
        code: str,
        claim_state: str | None = Parameter(query="state", default=None),
        limit: int = Parameter(default=100, ge=1, le=500),
    ) -> list[ClaimRead]:
        return await oversight.program_claims(actor_of(request), code, ctx.catalog, claim_state, limit)

    @post(
        "/{code:str}/claims",
        guards=[requires_role("enterprise")],
        summary="Claim the program's subsidy (or confirm an offer)",
        description="Instant and apply-free claims answer once paid (201), or while still under way (202).",
        status_code=201,
    )
    async def claim(self, request: Request, ctx: HubContext, code: str, data: ClaimCreate) -> Response[ClaimRead]:
        actor = actor_of(request)
        claim, mode = await file_claim(actor, ctx, code, data.answers)
        if mode == "prepared":
            return Response(await claim_read(claim, actor.locale, actor.id), status_code=201)
        return await passed_on(ctx, claim, mode, actor)
