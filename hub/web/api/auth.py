"""Signing in for the API: exchange a username and password for a bearer token."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import Provide

from hub.accounts import Principal, issue_token, principal, revoke_token
from hub.audit import record
from hub.db.transactions import writing
from hub.i18n import N_
from hub.signin import sign_in
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem
from hub.web.security import STAFF_ROLES, bearer_token, requires_role
from hub.workbench import delegation


class TokenCreate(msgspec.Struct):
    username: str = msgspec.field()
    password: str = msgspec.field()


class AccountRead(msgspec.Struct):
    username: str
    full_name: str
    role: str
    department: str | None
    locale: str
    # For enterprise accounts: preparer or approver.
    enterprise_role: str | None = None


class DelegateUpdate(msgspec.Struct):
    delegate: str | None


class DelegateRead(msgspec.Struct):
    delegate: str | None


class TokenRead(msgspec.Struct):
    token: str
    token_type: str
    expires_at: dt.datetime
    account: AccountRead


def account_read(p: Principal) -> AccountRead:
    return AccountRead(
        username=p.username,
        full_name=p.full_name,
        role=p.role,
        department=p.department,
        locale=p.locale,
        enterprise_role=p.enterprise_role,
    )


class AuthController(Controller):
    path = "/api"
    tags = ["accounts"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post("/auth/token", summary="Sign in and get a bearer token")
    async def create_token(self, request: Request, data: TokenCreate, ctx: HubContext) -> TokenRead:
        if len(data.username) > 64 or len(data.password) > 256:
            raise Problem(
                401,
                "bad-credentials",
                N_("Sign-in failed"),
                N_("The username or password is wrong."),
            )
        address = request.client.host if request.client else ""
        result = await sign_in(data.username, data.password, address, ctx.settings)
        account = result.account
        if result.retry_after:
            await record(
                request, None, "auth.locked_out", "account", result.audit_id, **result.audit_detail, limit=result.locked
            )
            raise Problem(
                429,
                "sign-in-locked",
                N_("Too many failed sign-ins"),
                N_("Sign-in is locked after repeated failures. Try again in {minutes} minute(s)."),
                params={"minutes": -(-result.retry_after // 60)},
                headers={"Retry-After": str(result.retry_after)},
            )
        if account is None:
            await record(request, None, "auth.failed", "account", result.audit_id, **result.audit_detail)
            raise Problem(
                401,
                "bad-credentials",
                N_("Sign-in failed"),
                N_("The username or password is wrong."),
            )
        p = principal(account)
        async with writing():
            token, expires = await issue_token(account, ctx.settings.session_hours)
            await record(request, p, "auth.signed_in", "account", account.id)
        return TokenRead(
            token=token,
            token_type="Bearer",
            expires_at=expires,
            account=account_read(p),
        )

    @get("/me", summary="The signed-in account")
    async def me(self, request: Request) -> AccountRead:
        return account_read(request.user)

    @put(
        "/me/delegate",
        guards=[requires_role(*STAFF_ROLES)],
        summary="While I am away, tasks that would come to me go to this colleague (null: I am back)",
    )
    async def set_delegate(self, request: Request, data: DelegateUpdate) -> DelegateRead:
        await delegation.set_delegate(actor_of(request), data.delegate)
        return DelegateRead(delegate=data.delegate)

    @post("/auth/logout", status_code=204, summary="Revoke the current token")
    async def logout(self, request: Request) -> None:
        token = bearer_token(request)
        async with writing():
            if token:
                await revoke_token(token)
            await record(request, request.user, "auth.signed_out", "account", request.user.id)
