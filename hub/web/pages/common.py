"""What every page handler shares: who may see a page, and how errors show as pages."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.response import Redirect

from hub.accounts import Principal
from hub.errors import HubError
from hub.i18n import N_, gettext
from hub.web.pages.render import render_page
from hub.web.pages.session import current_user, page_locale
from hub.web.problems import Problem, not_found, refused_input, status_of

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
