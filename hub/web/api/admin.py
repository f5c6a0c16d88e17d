"""Administration: API tokens for department systems, and lifting a sign-in lockout."""

from __future__ import annotations

import datetime as dt
import re

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import Provide

from hub.accounts import API_SCOPES, Principal, new_api_token, sealed_name
from hub.audit import record
from hub.clock import now
from hub.db.records import load_json
from hub.db.tables import Account, ApiToken
from hub.db.transactions import writing
from hub.signin import unlock
from hub.web.context import HubContext, provide_context
from hub.web.problems import invalid_field, not_found
from hub.web.security import requires_role

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


class ApiTokenCreate(msgspec.Struct):
    name: str  # e.g. "civil-affairs-case-system": letters, digits, . _ -
    department: str
    scopes: list[str]
    expires_in_days: int = 90


class ApiTokenRead(msgspec.Struct):
    id: int
    name: str
    department: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiTokenIssued(ApiTokenRead):
    """The token itself is shown only here, once; the hub keeps only its hash."""

    token: str


class UnlockRead(msgspec.Struct):
    username: str
    was_locked: bool


def token_read(row: ApiToken) -> ApiTokenRead:
    return ApiTokenRead(
        id=row.id,
        name=row.name,
        department=row.department,
        scopes=load_json(row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class AdminController(Controller):
    path = "/api/admin"
    tags = ["administration"]
    guards = [requires_role("admin")]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post("/api-tokens", summary="Issue an API token for a department system (shown once)")
    async def create_token(self, request: Request, ctx: HubContext, data: ApiTokenCreate) -> ApiTokenIssued:
        user: Principal = request.user
        if not NAME.match(data.name):
            raise invalid_field("name", "literal_error")
        if data.department not in ctx.catalog.departments:
            raise invalid_field("department", "literal_error")
        if not data.scopes or any(s not in API_SCOPES for s in data.scopes):
            raise invalid_field("scopes", "literal_error")
        if not 1 <= data.expires_in_days <= ctx.settings.api_token_max_days:
            raise invalid_field("expires_in_days", "less_than_equal", le=ctx.settings.api_token_max_days)
        token, digest = new_api_token()
        stamp = now()
        username = f"system.{data.name}"[:64]
        async with writing():
            # Each system acts as its own account, so its moves are attributed to it.
            account = await Account.objects().where(Account.username == username).first()
            if account is None:
                account = Account(
                    username=username,
                    full_name=sealed_name(data.name),
                    role="system",
                    department=data.department,
                    password_hash="!",  # never matches: systems sign in with their token only
                    locale="zh_CN",
                    created_at=stamp,
                )
                await account.save()
            elif account.role != "system":
                raise invalid_field("name", "literal_error")
            rows = await ApiToken.insert(
                ApiToken(
                    name=data.name,
                    token_hash=digest,
                    account=account.id,
                    department=data.department,
                    scopes=msgspec.json.encode(sorted(set(data.scopes))).decode(),
                    created_by=user.id,
                    created_at=stamp,
                    expires_at=stamp + dt.timedelta(days=data.expires_in_days),
                )
            ).returning(ApiToken.id)
            await record(
                request,
                user,
                "api_token.created",
                "api_token",
                rows[0]["id"],
                name=data.name,
                scopes=sorted(set(data.scopes)),
            )
        row = await ApiToken.objects().where(ApiToken.id == rows[0]["id"]).first()
        return ApiTokenIssued(**msgspec.structs.asdict(token_read(row)), token=token)

    @get("/api-tokens", summary="API tokens: active, expired and revoked")
    async def list_tokens(self) -> list[ApiTokenRead]:
        rows = await ApiToken.objects().order_by(ApiToken.id, ascending=False).limit(500)
        return [token_read(r) for r in rows]

    @delete("/api-tokens/{token_id:int}", status_code=204, summary="Revoke an API token at once")
    async def revoke_token(self, request: Request, token_id: int) -> None:
        row = await ApiToken.objects().where(ApiToken.id == token_id).first()
        if row is None:
            raise not_found()
        async with writing():
            if row.revoked_at is None:
                await ApiToken.update({ApiToken.revoked_at: now()}).where(ApiToken.id == token_id)
            await record(request, request.user, "api_token.revoked", "api_token", token_id, name=row.name)

    @post("/sign-in-locks/{username:str}/release", status_code=200, summary="Lift a username's sign-in lockout")
    async def release_lock(self, request: Request, username: str) -> UnlockRead:
        async with writing():
            was_locked = await unlock(username)
            await record(request, request.user, "auth.unlocked", "account", username[:64])
        return UnlockRead(username=username, was_locked=was_locked)
