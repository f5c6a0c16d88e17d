"""The options the workflows pass to their activities, typed so that Temporal's overloads check them.

A plain ``dict(...)`` of options unpacked into ``execute_activity_method`` is a ``dict[str, object]``
to a type checker, which matches none of the SDK's overloads; a TypedDict names each keyword with its
type, so a misspelled option or a wrong type is caught before a worker runs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from temporalio.common import RetryPolicy


class ActivityOptions(TypedDict, total=False):
    """Options valid for regular and local activities alike."""

    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy


class HeartbeatOptions(ActivityOptions, total=False):
    """Options of a long regular activity whose liveness comes from heartbeats."""

    heartbeat_timeout: timedelta
