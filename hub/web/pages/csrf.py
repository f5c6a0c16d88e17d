"""Cross-site request forgery protection for pages: every form's token is bound to the session.

A page's token is an HMAC, under a secret (``QINQING_CSRF_SECRET``, else one kept under var/), of
the session the browser holds: its session cookie when signed in, else a random visitor cookie
(``qinqing_csrf``) handed out with the first page. A site on another port of this host is the same site: the browser sends it this host's
cookies, and its server may set them. It can plant a cookie, even a genuine pair of cookie and token
fetched from the hub, but it cannot compute the token of the victim's session. Signing in starts a
new session, so a new token; signing out also replaces the visitor cookie.

On top of the token, a form must come from the hub's own pages: a browser's ``Sec-Fetch-Site``
must say ``same-origin`` (or ``none``: the person's own doing, not a page's), and ``Origin``, when
sent, must be the hub's own (``QINQING_PUBLIC_URL`` when set, else the address the request came to).
Older clients that send neither are judged by the token alone.

A page carries its token masked (``masked``): XORed with a random pad drawn for that page, the pad
in front. The session's token is the same for every page, and pages go compressed over TLS (the load
balancer gzips them): a secret repeated byte for byte in compressed pages that also echo what
someone else can make the browser send (a search) can be guessed from their sizes (BREACH). Masked,
no two pages hold the same bytes.

The JSON API is not concerned: it reads bearer tokens only, never a cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hub.i18n import N_
from hub.settings import Settings
from hub.web.pages.session import NOT_PAGES, SESSION_COOKIE, secure_cookies
from hub.web.problems import Problem

NOT_A_PAGE = re.compile("|".join(NOT_PAGES))

log = logging.getLogger("qinqing.pages")

VISITOR_COOKIE = "qinqing_csrf"
FORM_FIELD = "_csrf_token"
HEADER = "x-csrftoken"
# Where the page's token waits for the templates (``render.csrf_token``).
TOKEN_KEY = "qinqing.csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests the hub's own pages (or the person, typing) make.
OWN_FETCHES = frozenset({"same-origin", "none"})
# The sign-in form and the language switch act for the visitor, not on a session's data: sent from a
# page opened before signing in (another tab), their visitor-bound token is still accepted.
VISITOR_FORMS = frozenset({"/signin", "/language"})
MAX_COOKIE_LENGTH = 128
TOKEN_BYTES = 32  # a SHA-256 HMAC
DEFAULT_PORTS = {"http": 80, "https": 443}


def csrf_secret(settings: Settings) -> str:
    """``QINQING_CSRF_SECRET`` when set (the same on every web machine), else a secret kept under
    var/, so forms opened before a restart still submit after it.

    The web processes of one machine start together and share the file: the first to write it wins,
    at once and whole (written aside, then linked into place), and every process reads that one. Each
    writing its own would give the processes different secrets, and a form opened from one would be
    refused by the next."""
    if settings.csrf_secret:
        return settings.csrf_secret.strip()
    path = Path(settings.var_path) / "csrf.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".csrf.secret.{os.getpid()}.{secrets.token_hex(4)}")
        aside.write_text(secrets.token_hex(32))
        aside.chmod(0o600)
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
        finally:
            aside.unlink()
    return path.read_text().strip()


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as browsers send it in ``Origin`` (default ports left out)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return ""
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS.get(scheme) else "")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return b""


def _xor(one: bytes, other: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(one, other, strict=True))


def masked(token: str) -> str:
    """``token`` as one page carries it: a fresh random pad, then the token XORed with it."""
    raw = _raw(token)
    pad = secrets.token_bytes(len(raw))
    return _b64(pad + _xor(pad, raw))


def unmasked(sent: str) -> str:
    """The token a form sent, its pad taken off. A token sent as it is (from a page opened before
    pages masked it) is taken as it is; anything else comes out as no token."""
    raw = _raw(sent)
    if len(raw) == 2 * TOKEN_BYTES:
        return _b64(_xor(raw[:TOKEN_BYTES], raw[TOKEN_BYTES:]))
    return sent if len(raw) == TOKEN_BYTES else ""


def visitor_cookie(settings: Settings, value: str | None = None) -> Cookie:
    """The visitor cookie the sign-in form's token is bound to; a new random value by default."""
    return Cookie(
        key=VISITOR_COOKIE,
        value=value or secrets.token_urlsafe(32),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def refused() -> Problem:
    """The 403 a refused form gets (a page, through the pages' error handling)."""
    return Problem(
        403,
        "form-refused",
        N_("This form cannot be accepted"),
        N_(
            "It was not sent from this site's own page, or the page was opened before you signed in or out. "
            "Go back, reload the page and try again."
        ),
    )


class PageCsrf(ASGIMiddleware):
    """Checks every page form (unsafe method) and gives pages the token of their session."""

    scopes = (ScopeType.HTTP,)

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        # Matched on the request's path: an exclude pattern is matched against the route's own path
        # too, which warns on every API call and would stop excluding them in Litestar 3.
        return NOT_A_PAGE.match(scope["path"]) is not None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = csrf_secret(settings).encode()
        self.public_origin = origin_of(settings.public_url) if settings.public_url else ""

    def token(self, kind: str, value: str) -> str:
        """The token of a session (``kind`` "session") or of a visitor cookie ("visitor")."""
        return _b64(hmac.new(self.secret, f"{kind}\0{value}".encode(), hashlib.sha256).digest())

    def own_origin(self, scope: Scope) -> str:
        """The hub's public origin when configured, else the one this request was addressed to."""
        if self.public_origin:
            return self.public_origin
        host = next((bytes(v).decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        return origin_of(f"{scope.get('scheme', 'http')}://{host}") if host else ""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope=scope, receive=receive)
        session = request.cookies.get(SESSION_COOKIE, "")
        visitor = request.cookies.get(VISITOR_COOKIE, "")
        if len(visitor) > MAX_COOKIE_LENGTH:
            visitor = ""
        issued = ""
        if not visitor and request.method in SAFE_METHODS:
            visitor = issued = secrets.token_urlsafe(32)
        if session:
            expected = self.token("session", session)
        else:
            expected = self.token("visitor", visitor) if visitor else ""
        scope[TOKEN_KEY] = expected  # type: ignore[literal-required]

        if request.method in SAFE_METHODS:
            await next_app(scope, receive, self.issuing(send, issued) if issued else send)
            return

        why = self.foreign(request, scope)
        if not why:
            sent = unmasked(await self.sent_token(request))
            accepted = [expected] if expected else []
            if session and visitor and scope["path"] in VISITOR_FORMS:
                accepted.append(self.token("visitor", visitor))
            if not sent or not any(hmac.compare_digest(sent.encode(), t.encode()) for t in accepted):
                why = "token"
        if why:
            log.info("form refused (%s) on %s %s", why, request.method, scope["path"])
            raise refused()
        await next_app(scope, receive, send)

    def foreign(self, request: Request[Any, Any, Any], scope: Scope) -> str:
        """Why the browser says this request comes from another site or origin ("" when it does not)."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.strip().lower() not in OWN_FETCHES:
            return f"sec-fetch-site {fetch_site[:20]!r}"
        origin = request.headers.get("origin")
        if origin is not None:
            # "null" (a sandboxed or privacy-sensitive context) is never the hub's own origin.
            sent, own = origin_of(origin.strip()), self.own_origin(scope)
            if not sent or sent != own:
                return f"origin {origin[:80]!r}"
        return ""

    @staticmethod
    async def sent_token(request: Request[Any, Any, Any]) -> str:
        """The token sent in the ``X-CSRFToken`` header, else in the form's ``_csrf_token`` field."""
        sent = request.headers.get(HEADER)
        if not sent:
            content_type, _ = request.content_type
            if content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
                value = (await request.form()).get(FORM_FIELD)
                sent = value if isinstance(value, str) else ""
        return sent or ""

    def issuing(self, send: Send, value: str) -> Send:
        """``send``, handing out the new visitor cookie with the response."""
        header = visitor_cookie(self.settings, value).to_header(header="")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableScopeHeaders.from_message(message).add("set-cookie", header)
            await send(message)

        return send_with_cookie
