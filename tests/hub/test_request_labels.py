"""Every state and every timeline kind of the vocabularies has its words for the reader."""

from __future__ import annotations

from typing import get_args

from hub.requests.presenter import STATE_LABELS, TIMELINE_LABELS
from workflows.types import TIMELINE_KINDS, RequestState, TaskState


def test_every_timeline_kind_has_a_title():
    assert set(TIMELINE_LABELS) == set(TIMELINE_KINDS)


def test_every_request_and_task_state_has_a_label():
    assert set(get_args(RequestState)) | set(get_args(TaskState)) <= set(STATE_LABELS)
