"""The Actor a domain function takes, built from an HTTP request (API and pages alike)."""

from __future__ import annotations

from litestar import Request

from hub.accounts import Principal
from hub.actor import Actor
from hub.web.problems import request_locale


def actor_of(request: Request) -> Actor:
    """Who acts in this request: the signed-in account (if any), their language and address."""
    user = request.scope.get("user")
    client = request.client
    return Actor(
        user=user if isinstance(user, Principal) else None,
        locale=request_locale(request),
        address=client.host if client else "",
    )
