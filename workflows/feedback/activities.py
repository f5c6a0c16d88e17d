"""The feedback activities: thin, idempotent calls into the hub's ``CaseRecords`` port."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from temporalio import activity
from temporalio.common import RetryPolicy

from ..options import ActivityOptions
from .types import CaseClock, Escalation, InvitationRound, Invitations

RECORDS = ActivityOptions(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)


class CaseRecords(Protocol):
    async def escalate(self, clock: CaseClock) -> Escalation: ...

    async def clock_started(self, clock: CaseClock) -> None: ...

    async def invite(self, round: InvitationRound) -> Invitations: ...


class FeedbackActivities:
    """Bound to the hub's case records by the worker; each method is one activity."""

    def __init__(self, records: CaseRecords):
        self._records = records

    @activity.defn
    async def escalate_case(self, clock: CaseClock) -> Escalation:
        # Escalates only a case still open and not escalated yet: a retry, or a late timer, is harmless.
        return await self._records.escalate(clock)

    @activity.defn
    async def mark_clock_started(self, clock: CaseClock) -> None:
        await self._records.clock_started(clock)

    @activity.defn
    async def due_invitations(self, round: InvitationRound) -> Invitations:
        # Each request is invited once: the invitation is stored under the request's unique key.
        return await self._records.invite(round)

    def all(self) -> list:
        return [self.escalate_case, self.mark_clock_started, self.due_invitations]
