"""Signing in and out of the pages, and choosing the language."""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Redirect

from hub.accounts import set_locale
from hub.i18n import N_, SUPPORTED, gettext
from hub.web.context import HubContext
from hub.web.pages.common import safe_next
from hub.web.pages.csrf import visitor_cookie
from hub.web.pages.messages import MESSAGES, account_page, save_choices
from hub.web.pages.render import render_page
from hub.web.pages.session import (
    LANGUAGE_COOKIE,
    LockedOut,
    current_user,
    language_cookie,
    page_locale,
    session_cookie,
    sign_in,
    sign_out,
)
from hub.web.routes import get, post

BAD_CREDENTIALS = N_("The username or password is wrong.")
HOME_BY_ROLE = {"clerk": "/workbench", "supervisor": "/workbench", "admin": "/admin", "auditor": "/admin"}


@get("/signin", name="signin")
async def signin_page(request: Request, next: str = "/") -> Response:
    return render_page(request, "signin.html", next=safe_next(next), username="", error="")


@post("/signin", name="signin-post")
async def signin_post(request: Request, ctx: HubContext) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    target = safe_next(str(form.get("next", "/")))
    try:
        signed = await sign_in(request, ctx.settings, username, str(form.get("password", "")))
    except LockedOut as locked:
        error = gettext(
            page_locale(request),
            N_("Sign-in is locked after repeated failures. Try again in {minutes} minute(s)."),
            minutes=-(-locked.retry_after // 60),
        )
        return render_page(request, "signin.html", status=429, next=target, username=username[:64], error=error)
    if signed is None:
        error = gettext(page_locale(request), BAD_CREDENTIALS)
        return render_page(request, "signin.html", status=401, next=target, username=username[:64], error=error)
    user, token = signed
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in SUPPORTED and chosen != user.locale:
        # A language chosen before signing in becomes the account's (remembered on every device).
        await set_locale(user.id, chosen)
    if target == "/":
        target = HOME_BY_ROLE.get(user.role, "/")
    return Redirect(path=target, status_code=303, cookies=[session_cookie(ctx.settings, token)])


@post("/signout", name="signout")
async def signout(request: Request, ctx: HubContext) -> Response:
    await sign_out(request)
    # The next visitor of this browser starts afresh: forms of the ended session are refused.
    return Redirect(
        path="/", status_code=303, cookies=[session_cookie(ctx.settings, None), visitor_cookie(ctx.settings)]
    )


@post("/language", name="language")
async def language(request: Request, ctx: HubContext) -> Response:
    """Switch the language: remembered on the account when signed in, in a cookie otherwise."""
    form = await request.form()
    locale = str(form.get("locale", ""))
    target = safe_next(str(form.get("next", "/")))
    if locale not in SUPPORTED:
        return Redirect(path=target, status_code=303)
    user = current_user(request)
    if user is not None:
        await set_locale(user.id, locale)
    return Redirect(path=target, status_code=303, cookies=[language_cookie(ctx.settings, locale)])


@get("/account", name="account")
async def account(request: Request) -> Response:
    """The account's settings: how and in which language messages reach the person."""
    return await account_page(request)


@post("/account/messages", name="account-messages")
async def account_messages(request: Request) -> Response:
    return await save_choices(request)


ACCOUNT = [signin_page, signin_post, signout, language, account, account_messages, *MESSAGES]
