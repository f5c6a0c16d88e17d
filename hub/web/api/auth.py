"""Signing in for the API: exchange a username and password for a bearer token."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Request
from litestar.di import Provide

from hub.accounts import Principal
from hub.i18n import N_
from hub.signin import SignInLocked, close_session, open_session
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem
from hub.web.routes import get, post, put
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
        try:
            session = await open_session(actor_of(request), ctx.settings, data.username, data.password)
        except SignInLocked as locked:
            raise Problem(
                429,
                "sign-in-locked",
                N_("Too many failed sign-ins"),
                N_("Sign-in is locked after repeated failures. Try again in {minutes} minute(s)."),
                params={"minutes": -(-locked.retry_after // 60)},
                headers={"Retry-After": str(locked.retry_after)},
            ) from None
        if session is None:
            raise Problem(
                401,
                "bad-credentials",
                N_("Sign-in failed"),
                N_("The username or password is wrong."),
            )
        return TokenRead(
            token=session.token,
            token_type="Bearer",
            expires_at=session.expires_at,
            account=account_read(session.principal),
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
        await close_session(actor_of(request), bearer_token(request))
