"""The notification activities: store an event's messages, then hand them to their channels."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from temporalio import activity
from temporalio.common import RetryPolicy

from ..options import HeartbeatOptions
from ..ports import Notifier
from .types import DeliverDue, Delivered, NotifyEvent

# A channel that fails is tried again after 1, 2 and 4 seconds; at the last attempt the message is
# marked failed with the channel's reason (an operator may resend it). A mail server may be slow, so
# liveness comes from heartbeats: a worker that died mid-send is noticed in seconds.
NOTIFY_ATTEMPTS = 4
HEARTBEAT_EVERY_S = 2
NOTIFY = HeartbeatOptions(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=NOTIFY_ATTEMPTS,
    ),
)


class NotificationActivities:
    """Bound to the hub's notifier by the worker; each method is one activity."""

    def __init__(self, notifier: Notifier):
        self._notifier = notifier

    @activity.defn
    async def notify(self, event: NotifyEvent) -> Delivered:
        # Stored first, under keys unique per event and channel: a retry (or a worker that died after
        # sending) finds the messages and their states, and sends nothing twice.
        keys = await self._notifier.store(event)
        if not keys:
            return Delivered()
        return await _beating(self._notifier.deliver(keys, final=activity.info().attempt >= NOTIFY_ATTEMPTS))

    @activity.defn
    async def deliver_due(self, due: DeliverDue) -> Delivered:
        return await _beating(self._notifier.deliver(due.keys, final=activity.info().attempt >= NOTIFY_ATTEMPTS))

    def all(self) -> list:
        return [self.notify, self.deliver_due]


async def _beating(work: Awaitable[Delivered]) -> Delivered:
    """Await ``work``, heartbeating meanwhile."""
    task = asyncio.ensure_future(work)
    while not task.done():
        activity.heartbeat()
        await asyncio.wait({task}, timeout=HEARTBEAT_EVERY_S)
    return task.result()
