"""Rendering pages: one Jinja mechanism (``hub.i18n.templates``) for every HTML page the hub serves,
with the layout's context (who is signed in, the language, the CSRF token) and strict headers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response

from hub.i18n import format_date, format_datetime, format_money, gettext, templates
from hub.web.pages.csrf import TOKEN_KEY
from hub.web.pages.session import current_user, page_locale

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

# No inline script or style anywhere: everything comes from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Vary": "HX-Request, Cookie, Accept-Language",
}


def here(request: Request) -> str:
    """Where to come back to (after switching the language): this page, or for a page that answers a
    form post, the page the form was on (a GET there would not work)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.headers.get("host") and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def csrf_token(request: Request) -> str:
    """The token the page's forms carry, bound to the browser's session (``hub.web.pages.csrf``)."""
    return request.scope.get(TOKEN_KEY) or ""


def render_page(request: Request, template: str, status: int = 200, **context: Any) -> Response[str]:
    """Render ``template`` in the page's language; the layout gets the user, CSRF token and helpers."""
    locale = page_locale(request)

    def money(value: Any) -> str:
        return format_money(Decimal(str(value)), locale) if value not in (None, "") else ""

    def date(value: dt.date | dt.datetime | None) -> str:
        return format_date(value, locale) if value else ""

    def datetime(value: dt.datetime | None) -> str:
        return format_datetime(value, locale) if value else ""

    html = (
        templates(str(TEMPLATES), locale)
        .get_template(template)
        .render(
            locale=locale,
            html_lang="zh-CN" if locale == "zh_CN" else "en",
            user=current_user(request),
            csrf_token=csrf_token(request),
            path=request.url.path,
            here=here(request),
            money=money,
            date=date,
            datetime=datetime,
            t=lambda message, **params: gettext(locale, message, **params),
            **context,
        )
    )
    return Response(html, status_code=status, media_type=MediaType.HTML, headers=PAGE_HEADERS)


def render_fragment(locale: str, template: str, **context: Any) -> str:
    """Render a part of a page that depends on the language alone (no visitor, no session), so that
    it can be kept and shown to everyone who reads in that language."""
    return (
        templates(str(TEMPLATES), locale)
        .get_template(template)
        .render(locale=locale, t=lambda message, **params: gettext(locale, message, **params), **context)
    )
