"""Administration: API tokens for department systems, and lifting a sign-in lockout."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request
from litestar.di import Provide

from hub import signin
from hub.api_tokens import (
    ApiTokenCreate,
    ApiTokenIssued,
    ApiTokenRead,
    api_tokens,
    issue_api_token,
    revoke_api_token,
)
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.routes import delete, get, post
from hub.web.security import requires_role


class UnlockRead(msgspec.Struct):
    username: str
    was_locked: bool


class AdminController(Controller):
    path = "/api/admin"
    tags = ["administration"]
    guards = [requires_role("admin")]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post("/api-tokens", summary="Issue an API token for a department system (shown once)")
    async def create_token(self, request: Request, ctx: HubContext, data: ApiTokenCreate) -> ApiTokenIssued:
        return await issue_api_token(ctx, actor_of(request), data)

    @get("/api-tokens", summary="API tokens: active, expired and revoked")
    async def list_tokens(self) -> list[ApiTokenRead]:
        return await api_tokens()

    @delete("/api-tokens/{token_id:int}", status_code=204, summary="Revoke an API token at once")
    async def revoke_token(self, request: Request, token_id: int) -> None:
        await revoke_api_token(actor_of(request), token_id)

    @post("/sign-in-locks/{username:str}/release", status_code=200, summary="Lift a username's sign-in lockout")
    async def release_lock(self, request: Request, username: str) -> UnlockRead:
        return UnlockRead(username=username, was_locked=await signin.release_lock(actor_of(request), username))
