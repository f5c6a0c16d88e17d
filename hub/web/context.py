"""The hub's context as a Litestar dependency (the context itself lives in ``hub.context``)."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State

from hub.context import HubContext

__all__ = ["HubContext", "context_of", "provide_context"]


def provide_context(state: State) -> HubContext:
    return state.hub


def context_of(request: Request) -> HubContext:
    """The context read from the app's state, for the handlers asked most: as a dependency, it is
    resolved on every request, which costs more than some of them take otherwise."""
    return request.app.state.hub
