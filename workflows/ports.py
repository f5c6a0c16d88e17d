"""The ports activities are written against; ``hub`` provides the adapters."""

from __future__ import annotations

from typing import Protocol

from .notifications.types import Delivered, NotifyEvent
from .types import (
    ApplySupplement,
    CancelTasks,
    ChecksOutcome,
    IssuedDocument,
    IssueDocument,
    OpenTask,
    PlanTimeLimit,
    RecordDecision,
    RecordStep,
    ResumeTimeLimit,
    RunChecks,
    SettleAmount,
    SettleCommitment,
    StageCondition,
    StatusChange,
    Supersede,
    TaskChange,
    TimeLimit,
)


class RequestRecords(Protocol):
    """The read model that inboxes, timelines and status pages are served from.

    Every method is idempotent: calling it twice with the same input leaves one record.
    """

    async def open_task(self, task: OpenTask) -> None: ...

    async def record_decision(self, decision: RecordDecision) -> None: ...

    async def cancel_tasks(self, cancel: CancelTasks) -> None: ...

    async def set_state(self, change: StatusChange) -> None: ...

    async def change_task(self, change: TaskChange) -> None: ...

    async def apply_supplement(self, supplement: ApplySupplement) -> None: ...

    async def record_step(self, step: RecordStep) -> None: ...


class TimeLimits(Protocol):
    """Plans a step's time limit in working days, on the configured calendar (which may be read
    from storage, so a schedule published meanwhile counts for the next limit)."""

    async def plan(self, request: PlanTimeLimit) -> TimeLimit: ...

    async def resume(self, request: ResumeTimeLimit) -> TimeLimit:
        """The limit after a pause: moved by the working days the pause covered (after the day it
        started, up to and including the day it ended), still ending at the end of a working day."""
        ...


class RequestRules(Protocol):
    """Evaluates the route's expressions against a request's stored answers and the applicant's data.

    Results are recorded (timeline, check results, amount) idempotently by key.
    """

    async def stage_applies(self, condition: StageCondition) -> bool: ...

    async def run_checks(self, checks: RunChecks) -> ChecksOutcome: ...

    async def settle_amount(self, settle: SettleAmount) -> str: ...


class DocumentIssuer(Protocol):
    """Renders, stores and records a document; issuing the same key twice returns the first."""

    async def issue(self, request: IssueDocument) -> IssuedDocument: ...

    async def supersede(self, change: Supersede) -> None: ...


class CommitmentChecks(Protocol):
    """Records a post-check's outcome, once per request: kept closes it; broken revokes the
    decision, recovers what was paid and records the broken commitment against the applicant."""

    async def settle(self, outcome: SettleCommitment) -> None: ...


class Notifier(Protocol):
    """Tells people about an event on their channels (in the hub, by email, by SMS).

    ``store`` writes one message per recipient and channel under ``<event key>:<channel>``, before
    anything is sent, so a retried activity finds them and sends none twice. ``deliver`` hands over
    the messages still queued (every one whose time has come when ``keys`` is empty): a channel that fails raises to be retried, unless ``final``, when the
    message is marked failed with the reason."""

    async def store(self, event: NotifyEvent) -> list[str]: ...

    async def deliver(self, keys: list[str], final: bool) -> Delivered: ...
