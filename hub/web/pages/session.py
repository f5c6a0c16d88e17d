"""Who is looking at a page: a cookie session, the page language, and signing in and out.

A page session is an ordinary hub session (``ApiSession``, stored only as a hash) whose token travels
in an HttpOnly, SameSite=Lax cookie instead of an Authorization header; signing out revokes it. The
JSON API never reads the cookie, so cookie-authenticated calls to it are impossible and CSRF
protection applies to pages only.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from hub.accounts import Principal, issue_token, principal, principal_for_token, revoke_token
from hub.audit import record
from hub.db.transactions import writing
from hub.i18n import SUPPORTED, negotiate
from hub.settings import Settings
from hub.signin import sign_in as check_sign_in
from hub.web.problems import PAGE_LOCALE_KEY

SESSION_COOKIE = "qinqing_session"
LANGUAGE_COOKIE = "qinqing_lang"
# Paths the page session does not apply to: the JSON API (bearer tokens), its schema, static files.
NOT_PAGES = [r"^/api/", r"^/schema", r"^/health$", r"^/static/"]


class PageSessionAuthentication(AbstractAuthenticationMiddleware):
    """Reads the session cookie (anonymous visitors are welcome: pages decide what needs signing in)
    and settles the page language: the account's choice, else the visitor's, else Accept-Language."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE)
        user = await principal_for_token(token) if token and len(token) < 100 else None
        chosen = connection.cookies.get(LANGUAGE_COOKIE)
        if user is not None:
            locale = user.locale if user.locale in SUPPORTED else negotiate(None)
        elif chosen in SUPPORTED:
            locale = chosen
        else:
            locale = negotiate(connection.headers.get("accept-language"))
        connection.scope[PAGE_LOCALE_KEY] = locale
        return AuthenticationResult(user=user, auth=token if user else None)


def current_user(request: Request) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def page_locale(request: Request) -> str:
    return request.scope.get(PAGE_LOCALE_KEY) or negotiate(request.headers.get("accept-language"))


class LockedOut(Exception):
    """Too many failed sign-ins: locked for ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


async def sign_in(request: Request, settings: Settings, username: str, password: str) -> tuple[Principal, str] | None:
    """A page sign-in: the same check, lockout and rate limit as ``POST /api/auth/token``
    (``hub.signin``). Returns the principal and a new session token; raises ``LockedOut``."""
    if not username or len(username) > 64 or len(password) > 256:
        return None
    address = request.client.host if request.client else ""
    result = await check_sign_in(username, password, address, settings)
    if result.retry_after:
        await record(
            request,
            None,
            "auth.locked_out",
            "account",
            result.audit_id,
            **result.audit_detail,
            limit=result.locked,
            channel="page",
        )
        raise LockedOut(result.retry_after)
    account = result.account
    if account is None:
        await record(request, None, "auth.failed", "account", result.audit_id, **result.audit_detail, channel="page")
        return None
    who = principal(account)
    async with writing():
        token, _ = await issue_token(account, settings.session_hours)
        await record(request, who, "auth.signed_in", "account", account.id, channel="page")
    return who, token


async def sign_out(request: Request) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    user = current_user(request)
    async with writing():
        if token:
            await revoke_token(token)
        if user is not None:
            await record(request, user, "auth.signed_out", "account", user.id, channel="page")


def secure_cookies(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def session_cookie(settings: Settings, token: str | None) -> Cookie:
    """The session cookie; ``None`` clears it."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token or "",
        max_age=settings.session_hours * 3600 if token else 0,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def language_cookie(settings: Settings, locale: str) -> Cookie:
    return Cookie(
        key=LANGUAGE_COOKIE,
        value=locale,
        max_age=365 * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )
