"""API tokens for department systems: issued, listed and revoked by an administrator.

Each system acts as an account of its own (role ``system``), so its moves are attributed to it; the
token is shown once, when it is issued, and the hub keeps only its hash.
"""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from hub.accounts import API_SCOPES, new_api_token, sealed_name
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.records import load_json
from hub.db.tables import Account, ApiToken
from hub.db.transactions import writing
from hub.errors import invalid_field, not_found

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


async def issue_api_token(ctx: HubContext, actor: Actor, asked: ApiTokenCreate) -> ApiTokenIssued:
    """Issue a token for a department system (its account made on first issue), audited."""
    user = actor.user
    if not NAME.match(asked.name):
        raise invalid_field("name", "literal_error")
    if asked.department not in ctx.catalog.departments:
        raise invalid_field("department", "literal_error")
    if not asked.scopes or any(s not in API_SCOPES for s in asked.scopes):
        raise invalid_field("scopes", "literal_error")
    if not 1 <= asked.expires_in_days <= ctx.settings.api_token_max_days:
        raise invalid_field("expires_in_days", "less_than_equal", le=ctx.settings.api_token_max_days)
    token, digest = new_api_token()
    stamp = now()
    username = f"system.{asked.name}"[:64]
    async with writing():
        # Each system acts as its own account, so its moves are attributed to it.
        # Made if it is not there yet; two first tokens for one system at once make one account.
        await Account.insert(
            Account(
                username=username,
                full_name=sealed_name(asked.name),
                role="system",
                department=asked.department,
                password_hash="!",  # never matches: systems sign in with their token only
                locale="zh_CN",
                created_at=stamp,
            )
        ).on_conflict(target=Account.username, action="DO NOTHING")
        account = await Account.objects().where(Account.username == username).first()
        if account is None or account.role != "system":
            raise invalid_field("name", "literal_error")
        rows = await ApiToken.insert(
            ApiToken(
                name=asked.name,
                token_hash=digest,
                account=account.id,
                department=asked.department,
                scopes=msgspec.json.encode(sorted(set(asked.scopes))).decode(),
                created_by=user.id if user else None,
                created_at=stamp,
                expires_at=stamp + dt.timedelta(days=asked.expires_in_days),
            )
        ).returning(ApiToken.id)
        await record(
            actor,
            user,
            "api_token.created",
            "api_token",
            rows[0]["id"],
            name=asked.name,
            scopes=sorted(set(asked.scopes)),
        )
    row = await ApiToken.objects().where(ApiToken.id == rows[0]["id"]).first()
    assert row is not None, "the token was just stored"
    return ApiTokenIssued(**msgspec.structs.asdict(token_read(row)), token=token)


async def api_tokens() -> list[ApiTokenRead]:
    """The latest tokens: active, expired and revoked."""
    rows = await ApiToken.objects().order_by(ApiToken.id, ascending=False).limit(500)
    return [token_read(r) for r in rows]


async def revoke_api_token(actor: Actor, token_id: int) -> None:
    """Revoke a token at once (revoking it again changes nothing but is audited too)."""
    row = await ApiToken.objects().where(ApiToken.id == token_id).first()
    if row is None:
        raise not_found()
    async with writing():
        if row.revoked_at is None:
            await ApiToken.update({ApiToken.revoked_at: now()}).where(ApiToken.id == token_id)
        await record(actor, actor.user, "api_token.revoked", "api_token", token_id, name=row.name)
