"""Rendering pages: one Jinja mechanism (``hub.i18n.templates``) for every HTML page the hub serves,
with the layout's context (who is signed in, the language, the CSRF token) and strict headers."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Template
from litestar import MediaType, Request, Response

from hub.i18n import format_date, format_datetime, format_money, gettext, templates
from hub.web.pages.csrf import TOKEN_KEY, masked
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


@cache
def asset(name: str) -> str:
    """The address of the static file ``name`` (under ``hub/web/static``), with the start of its
    content's hash: browsers keep static files for a year without asking again (``static_router``),
    and a changed file gets a new address. On a phone that is a round trip fewer per file and page."""
    digest = hashlib.blake2b((STATIC / name).read_bytes(), digest_size=6).hexdigest()
    return f"/static/{name}?v={digest}"


def csrf_token(request: Request) -> str:
    """The token the page's forms carry, bound to the browser's session and masked afresh for this
    page (``hub.web.pages.csrf``)."""
    token = request.scope.get(TOKEN_KEY) or ""
    return masked(token) if token else ""


def render_page(
    request: Request, template: str, status: int = 200, kept_blocks: Mapping[str, str] | None = None, **context: Any
) -> Response[str]:
    """Render ``template`` in the page's language; the layout gets the user, CSRF token and helpers.
    ``kept_blocks``: blocks of ``template`` already rendered (``render_block``), shown as they are."""
    locale = page_locale(request)

    def money(value: Any) -> str:
        return format_money(Decimal(str(value)), locale) if value not in (None, "") else ""

    def date(value: dt.date | dt.datetime | None) -> str:
        return format_date(value, locale) if value else ""

    def datetime(value: dt.datetime | None) -> str:
        return format_datetime(value, locale) if value else ""

    page = templates(str(TEMPLATES), locale).get_template(template)
    variables = dict(
        locale=locale,
        html_lang="zh-CN" if locale == "zh_CN" else "en",
        user=current_user(request),
        csrf_token=csrf_token(request),
        asset=asset,
        path=request.url.path,
        here=here(request),
        money=money,
        date=date,
        datetime=datetime,
        t=lambda message, **params: gettext(locale, message, **params),
        **context,
    )
    html = page.render(variables) if not kept_blocks else _render_with(page, variables, kept_blocks)
    return Response(html, status_code=status, media_type=MediaType.HTML, headers=PAGE_HEADERS)


def _render_with(page: Template, variables: dict[str, Any], kept_blocks: Mapping[str, str]) -> str:
    """``page`` rendered as ``Template.render`` does, with the given blocks' HTML in place of theirs."""
    context = page.new_context(variables)
    for name, html in kept_blocks.items():
        # Jinja renders a block by calling the first function of its list in the context's blocks
        # (the innermost template's), which yields the block's text.
        context.blocks[name] = [lambda _context, html=html: iter((html,))]
    try:
        return page.environment.concat(page.root_render_func(context))  # type: ignore[attr-defined]
    except Exception:
        return page.environment.handle_exception()


def render_block(locale: str, template: str, block: str, **context: Any) -> str:
    """One block of a page's template, rendered with ``context`` alone (no visitor, no session: the
    layout's per-visitor variables are not there), to be kept and passed to ``render_page`` as one
    of its ``kept_blocks`` for everyone who reads in that language."""
    page = templates(str(TEMPLATES), locale).get_template(template)
    variables = dict(locale=locale, t=lambda message, **params: gettext(locale, message, **params), **context)
    return page.environment.concat(page.blocks[block](page.new_context(variables)))  # type: ignore[attr-defined]


def render_fragment(locale: str, template: str, **context: Any) -> str:
    """Render a part of a page that depends on the language alone (no visitor, no session), so that
    it can be kept and shown to everyone who reads in that language."""
    return (
        templates(str(TEMPLATES), locale)
        .get_template(template)
        .render(locale=locale, t=lambda message, **params: gettext(locale, message, **params), **context)
    )
