"""The hub's context as a Litestar dependency (the context itself lives in ``hub.context``)."""

from __future__ import annotations

from litestar.datastructures import State

from hub.context import HubContext

__all__ = ["HubContext", "provide_context"]


def provide_context(state: State) -> HubContext:
    return state.hub
