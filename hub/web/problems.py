"""Errors at the HTTP boundary as RFC 9457 problem documents, in the caller's language.

Each problem has a stable ``type`` (a relative URI under ``/problems/``), a translated ``title``
and ``detail``, and for validation a list of per-field ``errors`` with stable codes.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import sqlite3
from types import TracebackType
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from temporalio.service import RPCError, RPCStatusCode

from forms.validation import FieldError
from hub.errors import (
    HubError,
    busy,
    invalid_field,
    invalid_form,
    malformed,
    not_found,
    service_unavailable,
    unavailable,
)
from hub.i18n import N_, format_date, gettext, negotiate, supported

__all__ = ["busy", "invalid_field", "invalid_form", "malformed", "not_found", "service_unavailable", "unavailable"]

log = logging.getLogger("qinqing.web")
MEDIA_TYPE = "application/problem+json"
PAGE_LOCALE_KEY = "qinqing.locale"


class FieldProblem(msgspec.Struct):
    field: str
    code: str
    message: str


class ProblemDocument(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[FieldProblem] = []
    rules: list[dict[str, Any]] = []
    # The reference of what already exists (e.g. the request already open for this service).
    existing: str = ""


# The one place where a domain error's kind becomes an HTTP status (API and pages alike).
KIND_STATUS: dict[str, int] = {
    "malformed": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "gone": 410,
    "too_large": 413,
    "invalid": 422,
    "too_many": 429,
    "internal": 500,
    "unavailable": 503,
}
STATUS_KIND = {status: kind for kind, status in KIND_STATUS.items()}


class Problem(HubError):
    """An error the web edge itself raises, given by its HTTP status (a domain raises ``HubError``).
    ``title``/``detail`` are message ids."""

    def __init__(
        self,
        status: int,
        type_: str,
        title: str,
        detail: str = "",
        *,
        params: dict[str, Any] | None = None,
        errors: list[FieldError] | None = None,
        rules: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(
            STATUS_KIND.get(status, "internal"), type_, title, detail, params=params, errors=errors, rules=rules
        )
        self.status = status
        self.headers = headers or {}


def status_of(error: HubError) -> int:
    """The HTTP status a domain error is answered with."""
    return error.status if isinstance(error, Problem) else KIND_STATUS[error.kind]


def headers_of(error: HubError) -> dict[str, str]:
    headers = dict(error.headers) if isinstance(error, Problem) else {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return headers


# Messages for the validation codes that forms/validation.py and pydantic produce.
FIELD_MESSAGES: dict[str, str] = {
    # The governance report's period.
    "unknown_period_kind": N_("Choose month, quarter or year."),
    "period_number": N_("Enter a whole number from {low} to {high}."),
    "period_not_ended": N_("This period has not ended yet (its last day is {last}): a report covers an ended period."),
    "missing": N_("This field is required."),
    "extra_forbidden": N_("This field is not part of the form."),
    "not_applicable": N_("This field does not apply, given your other answers."),
    "commitment_barred": N_("You broke a commitment on {date}; upload the proof instead."),
    # A credential given in place of a proof (hub.requests.materials).
    "credential_reference": N_("Give the id of an uploaded file, or of a credential you hold."),
    "credential_not_held": N_("This credential is not one of yours; upload the document instead."),
    "credential_wrong_type": N_("This credential is not the document asked for here."),
    "credential_revoked": N_(
        "This credential was revoked by its issuer and no longer stands in for the document; upload the document instead."
    ),
    "credential_suspended": N_(
        "This credential is on hold while its issuer has suspended what it grants; upload the document instead."
    ),
    "credential_expired": N_(
        "This credential has expired and no longer stands in for the document; upload the document instead."
    ),
    "credential_superseded": N_(
        "This credential was replaced by a newer one; use the newer one or upload the document."
    ),
    "credential_required": N_("Only the credential the government issued is accepted here; apply for it first."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("Use at most {max_length} characters."),
    "string_type": N_("Enter text."),
    "greater_than_equal": N_("Enter a value of at least {ge}."),
    "less_than_equal": N_("Enter a value of at most {le}."),
    "decimal_parsing": N_("Enter a number."),
    "decimal_type": N_("Enter a number."),
    "decimal_max_digits": N_("The number is too long."),
    "money_precision": N_("Enter an amount with at most two decimal places."),
    "bool_type": N_("Answer yes or no (true or false)."),
    "bool_parsing": N_("Answer yes or no (true or false)."),
    "literal_error": N_("Choose one of the listed options."),
    "list_type": N_("Choose one or more of the listed options."),
    "too_long": N_("Choose fewer options."),
    "too_short": N_("Choose at least one option."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_out_of_range": N_("Enter a date between {earliest} and {latest}."),
    "date_does_not_exist": N_("{day} is not a date that exists: check the month and the day."),
    "invalid_period": N_("Enter a month as YYYY-MM, for example 2026-12."),
    "required": N_("This field is required."),
    "invalid_choice": N_("Choose one of the listed options."),
    "control_characters": N_(
        "This text contains an invisible control character ({character}), such as a text direction mark: "
        "delete it and type the text again."
    ),
    "resident_id_format": N_("A resident identity number is 17 digits followed by a digit or X."),
    "resident_id_checksum": N_(
        "This resident identity number is not valid: check the digits (the last one does not match)."
    ),
    "resident_id_birth_date": N_("The birth date in this resident identity number is not valid."),
    "resident_id_region": N_("The region code at the start of this resident identity number is unknown."),
    "uscc_invalid": N_("This unified social credit code is not valid."),
    "phone_invalid": N_("Enter a mainland mobile number (11 digits) or a landline with area code."),
    "email_invalid": N_("Enter an email address such as name@example.cn."),
    "bank_account_invalid": N_("A bank account number is 8 to 32 digits."),
    "prefilled_mismatch": N_("This value comes from your verified profile and cannot be changed here."),
    "too_many_fields": N_("The form has too many fields."),
    "not_requested": N_("This was not asked for: only the information the department named can be supplied."),
    "nothing_named": N_("Tick at least one field the applicant should supply."),
    "not_supplementable": N_("This comes from government records: the applicant cannot supply it again."),
    "rating_range": N_("Choose a rating from 1 to 5."),
    "contact_required": N_("Record when and how you contacted the applicant, and what was said, before answering."),
    "contact_time": N_("Enter when the contact took place: not in the future, nor before the case was opened."),
    "clerk_unknown": N_("No clerk by this name: enter their name or staff sign-in name as shown to you."),
    "delegate_away": N_("This colleague is away too: choose one who is in."),
    "clerk_ambiguous": N_("More than one member of staff has this name: enter their staff sign-in name."),
    "invalid": N_("This value has the wrong type or format."),
    "credential_unreadable": N_(
        "This is not a credential: give its JWT (three parts separated by dots) or an SD-JWT presentation "
        "(parts separated by ~)."
    ),
    "file_reference": N_("Upload the file first and send the id you received."),
    "file_unknown": N_("This upload does not exist or is not yours."),
    "file_type": N_("This file type is not accepted here. Accepted: {accepted}."),
    "file_too_large": N_("This file is too large for this field (at most {max_kb} KB)."),
    "group_too_short": N_("Add at least {min_length} item(s)."),
    "group_too_long": N_("Add at most {max_length} item(s)."),
    "calendar_year_mismatch": N_("This is the calendar of {year}, but it is given as the calendar of {expected}."),
    "calendar_no_holidays": N_("List the year's public holidays."),
    "calendar_outside_year": N_("{day} is not in {year}."),
    "calendar_off_and_working": N_("{day} is listed both as a day off and as a working day."),
    "calendar_listed_twice": N_("{day} is listed twice."),
    "calendar_days_format": N_(
        "Enter dates as YYYY-MM-DD, a run of days as YYYY-MM-DD..YYYY-MM-DD, separated by commas."
    ),
}
FALLBACK_FIELD_MESSAGE = N_("This value is not valid.")


# Values of a message that are dates a reader reads (kept ISO in the error's context): written in
# the reader's language. Dates to type into a field stay ISO, as the field takes them.
DATE_PARAMS = {"period_not_ended": ("last",)}


def field_message(locale: str, error: FieldError) -> str:
    message = FIELD_MESSAGES.get(error.code, FALLBACK_FIELD_MESSAGE)
    context = dict(error.context)
    for name in DATE_PARAMS.get(error.code, ()):
        try:
            context[name] = format_date(dt.date.fromisoformat(str(context[name])), locale)
        except (KeyError, ValueError):
            pass  # not given, or not a date: said as it was given
    try:
        return gettext(locale, message, **context) if "{" in message else gettext(locale, message)
    except (KeyError, IndexError):
        return gettext(locale, FALLBACK_FIELD_MESSAGE)


def request_locale(request: Request) -> str:
    """The caller's language: Accept-Language first, then the account's choice, then the default.
    Pages settle the language themselves (the visitor's choice, remembered) and put it in the scope."""
    chosen = request.scope.get(PAGE_LOCALE_KEY)
    if chosen:
        return chosen
    header = request.headers.get("accept-language")
    if header:
        return negotiate(header)
    user = request.scope.get("user")
    return supported(getattr(user, "locale", None))


def problem_response(request: Request, problem: HubError) -> Response[ProblemDocument]:
    locale = request_locale(request)
    status = status_of(problem)
    document = ProblemDocument(
        type=f"/problems/{problem.code}",
        title=gettext(locale, problem.title),
        status=status,
        detail=gettext(locale, problem.detail, **problem.params) if problem.detail else "",
        instance=request.url.path,
        errors=[FieldProblem(field=e.field, code=e.code, message=field_message(locale, e)) for e in problem.errors],
        rules=problem.rules,
        existing=problem.existing or "",
    )
    return Response(
        document,
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={"Content-Language": locale.replace("_", "-"), **headers_of(problem)},
    )


# How the file system refuses a path that no file can have: a name longer than any, a file taken
# for a folder (``app.js/x``). The static files answer such a path as a fault; it is not found.
NO_SUCH_PATH = frozenset({errno.ENAMETOOLONG, errno.ENOTDIR})


def _from_http(exc: HTTPException) -> Problem:
    if isinstance(exc, NotAuthorizedException):
        return Problem(
            401,
            "unauthenticated",
            N_("Sign-in required"),
            N_("Send a valid bearer token: POST /api/auth/token with your username and password."),
            headers={"WWW-Authenticate": 'Bearer realm="qinqing"'},
        )
    if isinstance(exc, PermissionDeniedException):
        return Problem(
            403,
            "forbidden",
            N_("Not allowed"),
            N_("Your role does not allow this action."),
        )
    if isinstance(exc, NotFoundException):
        return not_found()
    if isinstance(exc, ValidationException):
        errors = []
        for item in exc.extra or []:
            if isinstance(item, dict):
                key = str(item.get("key") or item.get("source") or "body")
                errors.append(FieldError(field=key, code="invalid", context={}))
        return malformed(errors=errors)
    if isinstance(exc.__cause__, OSError) and exc.__cause__.errno in NO_SUCH_PATH:
        return not_found()  # a static file's path no file can have
    if exc.status_code == 405:
        return Problem(405, "method-not-allowed", N_("Method not allowed"))
    if exc.status_code == 413:
        return Problem(413, "too-large", N_("Request too large"))
    return Problem(exc.status_code, "http-error", N_("Request failed"))


def handle_problem(request: Request, exc: HubError) -> Response:
    return problem_response(request, exc)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    return problem_response(request, _from_http(exc))


try:  # PostgreSQL refuses some values SQLite stores (a NUL character, a number out of range)
    from asyncpg.exceptions import (
        CannotConnectNowError,
        InternalClientError,
        OperatorInterventionError,
        PostgresConnectionError,
        QueryCanceledError,
        TooManyConnectionsError,
    )
    from asyncpg.exceptions import DataError as DatabaseDataError
    from asyncpg.exceptions import InterfaceError as PostgresInterfaceError
except ImportError:  # pragma: no cover - asyncpg comes with piccolo[postgres]
    DatabaseDataError = PostgresInterfaceError = OperatorInterventionError = QueryCanceledError = ()  # type: ignore[assignment,misc]
    CannotConnectNowError = PostgresConnectionError = TooManyConnectionsError = InternalClientError = ()  # type: ignore[assignment,misc]


# What the decoders say when a body is nested deeper than the stack allows (msgspec, which reads
# every JSON body, says "deserializing"; the standard library's json "decoding").
TOO_DEEP = ("while deserializing", "while decoding")


def refused_input(exc: Exception) -> HubError | None:
    """What the hub answers without it being a fault of its own: the caller's mistake, found below
    the edge by what reads the input (a body nested too deep for the decoder, a NUL in a path, which
    names no file, a value the database refuses), or a service the hub needs away for a moment
    (``outage``). None for anything else, which is a fault of the hub's own."""
    if isinstance(exc, RecursionError) and any(words in str(exc) for words in TOO_DEEP):
        return malformed(N_("The request body is nested too deeply."))
    if isinstance(exc, ValueError) and str(exc) == "embedded null byte":
        return not_found()
    if isinstance(exc, DatabaseDataError):
        return malformed()
    return outage(exc)


# The Temporal statuses that say the server is away or did not answer in time, not that the call was wrong.
TEMPORAL_AWAY = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})
# What asyncpg's InterfaceError says when the connection it was given has gone (other
# InterfaceErrors are the hub's own mistakes: two statements at once on one connection).
CONNECTION_GONE = ("connection is closed", "connection was closed", "pool is closing")


def _raised_in(exc: BaseException, package: str) -> bool:
    """Whether ``exc`` was raised inside ``package`` (or below it, e.g. in asyncio on its behalf)."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module == package or module.startswith(package + "."):
            return True
        tb = tb.tb_next
    return False


def outage(exc: BaseException) -> HubError | None:
    """A service the hub needs (its database, Temporal) away for a moment: answered 503 with
    Retry-After, by the API and the pages alike. This is the one list of what counts as such;
    anything else (a programming error, a constraint refused) stays what it is.

    - PostgreSQL restarting or unreachable: the connection lost mid-statement (class 08), the
      server shutting down, crashed or starting up (57P01-57P03), too many connections, a closed
      connection used (or one asyncpg's protocol lost its state on), or the socket refused or
      timed out while asyncpg connected;
    - SQLite's write lock still taken when the busy timeout ran out (an overload);
    - Temporal unavailable or not answering in time.
    """
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        log.warning("database busy: %s", exc)
        return busy()
    away = False
    if isinstance(exc, (PostgresConnectionError, TooManyConnectionsError, CannotConnectNowError)):
        away = True
    elif isinstance(exc, OperatorInterventionError) and not isinstance(exc, QueryCanceledError):
        away = True  # administrator or crash shutdown, database dropped, idle session timeout
    elif isinstance(exc, InternalClientError):
        # asyncpg's own state of a connection the server closed under it ("cannot switch to state
        # 12; another operation is in progress"); misuse by the hub is an InterfaceError instead.
        away = "cannot switch to state" in str(exc)
    elif isinstance(exc, PostgresInterfaceError):
        away = any(words in str(exc) for words in CONNECTION_GONE)
    elif isinstance(exc, OSError):  # ConnectionRefusedError, TimeoutError, ... while connecting
        away = _raised_in(exc, "asyncpg")
    elif isinstance(exc, RPCError):
        away = exc.status in TEMPORAL_AWAY
    elif isinstance(exc, RuntimeError):  # a lazy Temporal client that could not connect yet
        away = str(exc).startswith("Failed client connect") and _raised_in(exc, "temporalio")
    if not away:
        return None
    log.warning("service unavailable: %s: %s", type(exc).__name__, exc)
    return service_unavailable()


def handle_unexpected(request: Request, exc: Exception) -> Response:
    refused = refused_input(exc)
    if refused is not None:
        log.info("refused on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem_response(request, refused)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        Problem(
            HTTP_500_INTERNAL_SERVER_ERROR,
            "internal",
            N_("Something went wrong"),
            N_("The error was logged. Please try again later."),
        ),
    )


EXCEPTION_HANDLERS = {
    HubError: handle_problem,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
