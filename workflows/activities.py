"""Activities of the service-request workflow: thin, idempotent calls into the ports."""

from __future__ import annotations

import asyncio

from temporalio import activity

from .ports import CommitmentChecks, DocumentIssuer, RequestRecords, RequestRules, TimeLimits
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

HEARTBEAT_EVERY_S = 2


class RequestActivities:
    """Bound to concrete adapters by the worker; each method is one activity."""

    def __init__(
        self,
        records: RequestRecords,
        rules: RequestRules,
        documents: DocumentIssuer,
        time_limits: TimeLimits,
        commitments: CommitmentChecks | None = None,
    ):
        self._records = records
        self._rules = rules
        self._documents = documents
        self._time_limits = time_limits
        self._commitments = commitments

    @activity.defn
    async def open_task(self, task: OpenTask) -> None:
        await self._records.open_task(task)

    @activity.defn
    async def record_decision(self, decision: RecordDecision) -> None:
        await self._records.record_decision(decision)

    @activity.defn
    async def cancel_tasks(self, cancel: CancelTasks) -> None:
        await self._records.cancel_tasks(cancel)

    @activity.defn
    async def set_state(self, change: StatusChange) -> None:
        await self._records.set_state(change)

    @activity.defn
    async def change_task(self, change: TaskChange) -> None:
        await self._records.change_task(change)

    @activity.defn
    async def apply_supplement(self, supplement: ApplySupplement) -> None:
        await self._records.apply_supplement(supplement)

    @activity.defn
    async def record_step(self, step: RecordStep) -> None:
        await self._records.record_step(step)

    @activity.defn
    async def plan_time_limit(self, request: PlanTimeLimit) -> TimeLimit:
        # Computed in an activity so the result is recorded: a calendar update never changes a replay.
        return await self._time_limits.plan(request)

    @activity.defn
    async def resume_time_limit(self, request: ResumeTimeLimit) -> TimeLimit:
        # On the same calendar as the planning, and recorded for the same reason.
        return await self._time_limits.resume(request)

    @activity.defn
    async def stage_applies(self, condition: StageCondition) -> bool:
        return await self._rules.stage_applies(condition)

    @activity.defn
    async def run_checks(self, checks: RunChecks) -> ChecksOutcome:
        return await self._rules.run_checks(checks)

    @activity.defn
    async def settle_amount(self, settle: SettleAmount) -> str:
        return await self._rules.settle_amount(settle)

    @activity.defn
    async def issue_document(self, request: IssueDocument) -> IssuedDocument:
        # Rendering is CPU-bound; the issuer runs it on a process pool, off this event loop.
        # Heartbeats let the server notice a dead worker in seconds, not at the end of the timeout.
        work = asyncio.ensure_future(self._documents.issue(request))
        while not work.done():
            if not activity.info().is_local:
                activity.heartbeat()
            await asyncio.wait({work}, timeout=HEARTBEAT_EVERY_S)
        return work.result()

    @activity.defn
    async def settle_commitment(self, outcome: SettleCommitment) -> None:
        if self._commitments is None:
            raise RuntimeError("this worker records no commitments")
        await self._commitments.settle(outcome)

    @activity.defn
    async def supersede_document(self, change: Supersede) -> None:
        await self._documents.supersede(change)

    def all(self) -> list:
        return [
            self.open_task,
            self.record_decision,
            self.cancel_tasks,
            self.change_task,
            self.apply_supplement,
            self.record_step,
            self.plan_time_limit,
            self.resume_time_limit,
            self.stage_applies,
            self.run_checks,
            self.settle_amount,
            self.set_state,
            self.issue_document,
            self.supersede_document,
            self.settle_commitment,
        ]
