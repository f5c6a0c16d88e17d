"""Who is calling: bearer-token authentication and role guards.

Every route is authenticated unless listed in ``PUBLIC_PATHS``; object-level checks (is this
the caller's request? their department's task?) live next to each query in the controllers.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from hub.accounts import ALL_ROLES, APPLICANT_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Principal, principal_for_token
from hub.db import MAX_ID

# The role vocabulary lives with the accounts (the domains check roles too); guards import it here.
__all__ = ["ALL_ROLES", "APPLICANT_ROLES", "OVERSIGHT_ROLES", "STAFF_ROLES", "requires_role"]

# Public by nature: liveness, signing in, the published service catalog, the API's own schema,
# document verification, open data, the working-day calendar's years, and the life events with
# their one form (applying for one, and following it, need a sign-in).
PUBLIC_PATHS = [
    r"^/health$",
    r"^/api/auth/token$",
    r"^/api/services",
    r"^/schema",
    r"^/verify/",
    r"^/api/credentials/verify$",
    r"^/api/open/",
    r"^/api/calendar$",
    r"^/api/life-events(/[a-z][a-z0-9_-]*)?$",
    # The SMS gateway's receipts and the local gateway: authenticated by the secret they share.
    r"^/api/messages/sms-receipts$",
    r"^/api/sms-gateway/messages$",
]


def bearer_token(connection: ASGIConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class BearerTokenAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = bearer_token(connection)
        principal = await principal_for_token(token) if token else None
        if principal is None:
            raise NotAuthorizedException()
        return AuthenticationResult(user=principal, auth=token)


async def caller_if_any(connection: ASGIConnection) -> Principal | None:
    """On a public route (not authenticated by the middleware): the account a bearer token names,
    if the caller sent one that still does; None for anyone else, who is answered as the public."""
    token = bearer_token(connection)
    return await principal_for_token(token) if token else None


def requires_role(*roles: str, scope: str | None = None):
    """A guard admitting only the given roles; with ``scope``, also department systems whose API
    token carries that scope."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException()
        if user.role == "system":
            if scope is None or scope not in (user.scopes or ()):
                raise PermissionDeniedException()
        elif user.role not in roles:
            raise PermissionDeniedException()

    guard.__name__ = f"requires_{'_or_'.join(roles)}" + (f"_or_{scope}" if scope else "")
    guard.api_scope = scope  # type: ignore[attr-defined]
    return guard


async def systems_only_where_scoped(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """App-wide: a department system's token reaches only routes that name a scope for it, so a
    new route is closed to API tokens until someone decides otherwise."""
    user = connection.scope.get("user")
    if isinstance(user, Principal) and user.role == "system":
        guards = [getattr(g, "func", g) for g in handler.resolve_guards()]  # unwrap any sync guard's wrapper
        if not any(getattr(g, "api_scope", None) for g in guards):
            raise PermissionDeniedException()


async def ids_in_range(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """App-wide: an id no row can have is simply not found (the database would refuse the query)."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
            raise NotFoundException()


async def app_wide(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The app-wide guards, ``ids_in_range`` then ``systems_only_where_scoped``, as one: Litestar
    copies the route's handler for each guard it runs, on every request."""
    await ids_in_range(connection, handler)
    await systems_only_where_scoped(connection, handler)
