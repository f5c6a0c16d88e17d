"""The hub's context as a Litestar dependency (the context itself lives in ``hub.context``)."""

from __future__ import annotations

from litestar.datastructures import State

from hub.context import HubContext
from hub.web.cached import EncodedAnswers

__all__ = ["EncodedAnswers", "HubContext", "provide_answers", "provide_context"]


def provide_context(state: State) -> HubContext:
    return state.hub


def provide_answers(state: State) -> EncodedAnswers:
    return state.answers
