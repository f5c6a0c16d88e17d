"""What can go wrong in the hub's domains, said without HTTP: a kind from a fixed vocabulary, a
stable code, and a message (ids translated where they are shown).

Domain packages raise these; the web edge turns each into a problem document for the API, or a
message on a page, in one place (``hub/web/problems.py``), so a page and the API answer the same
mistake the same way.
"""

from __future__ import annotations

from typing import Any, Literal

from forms.validation import FieldError
from hub.i18n import N_

# What kind of mistake it is, which decides how the edge answers it.
ErrorKind = Literal[
    "malformed",  # the input cannot be read at all
    "invalid",  # a value is wrong (field errors), or the rules refuse it
    "unauthenticated",  # who is calling is unknown
    "forbidden",  # the caller may not do this
    "not_found",  # nothing here, or nothing the caller may see
    "conflict",  # not possible in the object's current state
    "gone",  # it was there and is no longer
    "too_large",
    "too_many",  # a limit was reached; try again later
    "unavailable",  # a service the hub needs did not answer; try again
    "internal",
]


class HubError(Exception):
    """A mistake the caller can understand. ``title``/``detail`` are message ids, ``params`` their
    placeholders; ``errors`` name the fields at fault; ``retry_after`` says when to try again."""

    def __init__(
        self,
        kind: ErrorKind,
        code: str,
        title: str,
        detail: str = "",
        *,
        params: dict[str, Any] | None = None,
        errors: list[FieldError] | None = None,
        rules: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
        existing: str | None = None,
    ):
        super().__init__(f"{kind} {code}")
        self.kind = kind
        self.code = code
        self.title = title
        self.detail = detail
        self.params = params or {}
        self.errors = errors or []
        self.rules = rules or []
        self.retry_after = retry_after
        # The reference of what already exists (a request already open), for the caller to follow.
        self.existing = existing


def invalid_form(errors: list[FieldError]) -> HubError:
    """A submission with field errors; nothing was saved."""
    return HubError(
        "invalid",
        "validation-failed",
        N_("The form has errors"),
        N_("{count} field(s) need attention. Nothing was saved."),
        params={"count": len(errors)},
        errors=errors,
    )


def invalid_field(field: str, code: str, detail: str = "", **context: Any) -> HubError:
    """One field of the input is wrong."""
    return HubError(
        "invalid",
        "validation-failed",
        N_("The form has errors"),
        detail,
        errors=[FieldError(field=field, code=code, context=context)],
    )


def not_found() -> HubError:
    """Nothing here, or nothing the caller may see: the same answer for both."""
    return HubError("not_found", "not-found", N_("Not found"), N_("There is nothing here, or you may not see it."))


def forbidden(detail: str = N_("Your role does not allow this action."), code: str = "forbidden") -> HubError:
    return HubError("forbidden", code, N_("Not allowed"), detail)


def unavailable() -> HubError:
    """Temporal did not answer in time; the caller may retry."""
    return HubError(
        "unavailable",
        "workflow-unavailable",
        N_("Service temporarily unavailable"),
        N_("Please try again in a moment."),
        retry_after=5,
    )


# How long a caller waits before trying again while a service the hub needs is away.
OUTAGE_RETRY_AFTER_S = 5


def service_unavailable() -> HubError:
    """The database or Temporal did not answer (restarting, unreachable): a passing outage, not a
    mistake; the caller tries again in a few seconds."""
    return HubError(
        "unavailable",
        "service-unavailable",
        N_("Service temporarily unavailable"),
        N_("Please try again in a moment."),
        retry_after=OUTAGE_RETRY_AFTER_S,
    )


def busy() -> HubError:
    """Too much at once for the database right now; the caller repeats the (idempotent) request."""
    return HubError(
        "unavailable",
        "busy",
        N_("Too busy right now"),
        N_(
            "The hub is handling too many requests at once. Please try again in a moment: repeating this request is safe."
        ),
        retry_after=5,
    )


def malformed(detail: str = N_("The request body or parameters could not be read."), **kwargs: Any) -> HubError:
    """Input the hub cannot read (a body, a parameter or a path)."""
    return HubError("malformed", "malformed-request", N_("Malformed request"), detail, **kwargs)
