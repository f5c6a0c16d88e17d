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

from hub.accounts import Principal, principal_for_token
from hub.i18n import SUPPORTED, negotiate
from hub.settings import Settings
from hub.signin import SignInLocked, close_session, open_session
from hub.web.actors import actor_of
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
    try:
        session = await open_session(actor_of(request), settings, username, password, channel="page")
    except SignInLocked as locked:
        raise LockedOut(locked.retry_after) from None
    return (session.principal, session.token) if session else None


async def sign_out(request: Request) -> None:
    await close_session(actor_of(request), request.cookies.get(SESSION_COOKIE), channel="page")


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
