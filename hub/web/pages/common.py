"""What every page handler shares: who may see a page, and how errors show as pages."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.response import Redirect

from hub.accounts import Principal
from hub.errors import HubError
from hub.i18n import N_, SUPPORTED, gettext, negotiate
from hub.web.pages.render import render_page
from hub.web.pages.session import LANGUAGE_COOKIE, current_user, page_locale
from hub.web.problems import (
    EXCEPTION_HANDLERS,
    PAGE_LOCALE_KEY,
    Problem,
    field_message,
    handle_http_exception,
    handle_problem,
    handle_unexpected,
    headers_of,
    not_found,
    refused_input,
    status_of,
)

log = logging.getLogger("qinqing.pages")


class SignInRequired(Exception):
    """The page needs a signed-in account; the visitor is sent to the sign-in page and back."""


def require(request: Request, *roles: str) -> Principal:
    """The signed-in account, if it has one of ``roles`` (any role when none are given)."""
    user = current_user(request)
    if user is None:
        raise SignInRequired()
    if roles and user.role not in roles:
        raise Problem(403, "forbidden", N_("Not allowed"), N_("Your role does not allow this action."))
    return user


def form_errors(locale: str, problem: HubError) -> dict[str, str]:
    """A refused form's messages: each next to its field, or one for the form (``"form"``)."""
    if problem.errors:
        return {e.field: field_message(locale, e) for e in problem.errors}
    return {"form": gettext(locale, problem.detail or problem.title, **problem.params)}


def safe_next(target: str | None) -> str:
    """Only paths on this site (never //elsewhere or a full URL) are followed after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def to_sign_in(request: Request, _: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path=f"/signin?next={quote(target)}", status_code=303)


def problem_page(request: Request, problem: HubError) -> Response:
    locale = page_locale(request)
    page = render_page(
        request,
        "error.html",
        status=status_of(problem),
        title=gettext(locale, problem.title),
        detail=gettext(locale, problem.detail, **problem.params) if problem.detail else "",
    )
    if problem.retry_after:  # an outage or a limit: the browser (and a proxy) may say when to try again
        page.headers["Retry-After"] = str(problem.retry_after)
    return page


def http_error_page(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotFoundException):
        return problem_page(request, not_found())
    if isinstance(exc, PermissionDeniedException):
        return problem_page(
            request, Problem(403, "forbidden", N_("Not allowed"), N_("Your role does not allow this action."))
        )
    if exc.status_code == 405:
        return problem_page(request, Problem(405, "method-not-allowed", N_("Method not allowed")))
    if exc.status_code == 413:
        return problem_page(request, Problem(413, "too-large", N_("Request too large")))
    return problem_page(request, Problem(exc.status_code, "http-error", N_("Request failed")))


def unexpected_page(request: Request, exc: Exception) -> Response:
    refused = refused_input(exc)
    if refused is not None:
        return problem_page(request, refused)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_page(
        request,
        Problem(500, "internal", N_("Something went wrong"), N_("The error was logged. Please try again later.")),
    )


PAGE_EXCEPTION_HANDLERS = {
    SignInRequired: to_sign_in,
    HubError: problem_page,
    HTTPException: http_error_page,
    Exception: unexpected_page,
}


# What an API client is answered with, first: a client that accepts anything gets a problem document.
API_MEDIA_TYPES = ["application/problem+json", "application/json"]


def wants_page(request: Request) -> bool:
    """Whether the caller is a browser reading a page: its Accept prefers HTML, and the path is not
    the JSON API's (which answers problem documents whatever is asked)."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    return request.accept.best_match([*API_MEDIA_TYPES, "text/html"], default="") == "text/html" if accept else False


def settle_page_locale(request: Request) -> None:
    """An error answered before the page session saw the request (an unknown URL, a method the
    route does not take) still speaks the visitor's language: the language they chose (its cookie),
    else Accept-Language."""
    if request.scope.get(PAGE_LOCALE_KEY):
        return
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    locale = chosen if chosen in SUPPORTED else negotiate(request.headers.get("accept-language"))
    request.scope[PAGE_LOCALE_KEY] = locale  # type: ignore[typeddict-unknown-key]


def _edge_problem(request: Request, exc: HubError) -> Response:
    if wants_page(request):
        settle_page_locale(request)
        page = problem_page(request, exc)
        page.headers.update({k: v for k, v in headers_of(exc).items() if k.lower() != "www-authenticate"})
        return page
    return handle_problem(request, exc)


def _edge_http_error(request: Request, exc: HTTPException) -> Response:
    if wants_page(request):
        settle_page_locale(request)
        page = http_error_page(request, exc)
        if exc.status_code == 405 and exc.headers:  # which methods the address does take
            page.headers.update({k: v for k, v in exc.headers.items() if k.lower() == "allow"})
        return page
    return handle_http_exception(request, exc)


def _edge_unexpected(request: Request, exc: Exception) -> Response:
    if wants_page(request):
        settle_page_locale(request)
        return unexpected_page(request, exc)
    return handle_unexpected(request, exc)


# The app's own answers to errors outside the pages' routes (an unknown URL, a method not taken, the
# API): an HTML page in the visitor's language for a browser, a problem document for everyone else.
EDGE_EXCEPTION_HANDLERS = {
    **EXCEPTION_HANDLERS,
    HubError: _edge_problem,
    HTTPException: _edge_http_error,
    Exception: _edge_unexpected,
}
