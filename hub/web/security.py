"""Who is calling: bearer-token authentication and role guards.

Every route is authenticated unless listed in ``PUBLIC_PATHS``; object-level checks (is this
the caller's request? their department's task?) live next to each query in the controllers.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from hub.accounts import Principal, principal_for_token

# Public by nature: liveness, signing in, the published service catalog, the API's own schema,
# document verification and open data.
PUBLIC_PATHS = [r"^/health$", r"^/api/auth/token$", r"^/api/services", r"^/schema", r"^/verify/", r"^/api/open/"]


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


def requires_role(*roles: str):
    """A guard admitting only the given roles."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException()
        if user.role not in roles:
            raise PermissionDeniedException()

    guard.__name__ = f"requires_{'_or_'.join(roles)}"
    return guard


APPLICANT_ROLES = ("citizen", "enterprise")
STAFF_ROLES = ("clerk", "supervisor")
OVERSIGHT_ROLES = ("auditor", "admin")
