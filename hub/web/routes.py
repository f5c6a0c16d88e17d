"""The hub's route decorators: ``get``, ``post``, ``put``, ``delete``, as Litestar's, with one change.

Litestar hands every guard a fresh copy of the route handler, on every request: a handler has
dozens of attributes, so each copy cost about 15 µs, and an inbox page runs two guards (the
app-wide checks and the route's role), some 4% of what the page costs. The hub's guards only read
the handler (its other guards, for ``systems_only_where_scoped``), so these handlers give them the
handler itself. Every route of the hub is declared with these (``tests/hub/test_routes.py``).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler


class HubRouteHandler(HTTPRouteHandler):
    __slots__ = ()

    async def authorize_connection(self, connection: ASGIConnection) -> None:
        """Run the route's guards in scope, as Litestar does, on the handler itself (read-only)."""
        for guard in self.resolve_guards():
            await guard(connection, self)  # type: ignore[misc]


# Litestar's own keyword arguments (guards, summary, status_code...), with their defaults.
def get(path: Any = None, **kwargs: Any) -> HubRouteHandler:
    return HubRouteHandler(path, http_method=HttpMethod.GET, **kwargs)


def post(path: Any = None, **kwargs: Any) -> HubRouteHandler:
    return HubRouteHandler(path, http_method=HttpMethod.POST, **kwargs)


def put(path: Any = None, **kwargs: Any) -> HubRouteHandler:
    return HubRouteHandler(path, http_method=HttpMethod.PUT, **kwargs)


def delete(path: Any = None, **kwargs: Any) -> HubRouteHandler:
    return HubRouteHandler(path, http_method=HttpMethod.DELETE, **kwargs)
