"""ProgramMatchingWorkflow: the policy finds the enterprise.

When a program is published, every enterprise in the registry is evaluated against it, a batch at
a time; eligible ones are notified (and, for an apply-free program, offered the money). The
history stays small however large the registry: the workflow continues as new every few batches,
carrying where it got to.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ..notifications.activities import NOTIFY, NotificationActivities
    from ..notifications.types import NotifyEvent
    from ..options import ActivityOptions
    from .activities import SubsidyActivities
    from .types import MatchBatch, MatchInput, MatchStatus, MatchSummary, ReconcileDay, ReconciliationOutcome

BATCHES_PER_RUN = 40
BATCH = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=2),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
)


@workflow.defn
class ProgramMatchingWorkflow:
    def __init__(self) -> None:
        self._status: MatchStatus | None = None

    @workflow.query
    def progress(self) -> MatchStatus | None:
        """Enterprises evaluated and found eligible so far, and since when (None before the run began)."""
        return self._status

    async def _tell_eligible(self, program_id: int, after: int, last: int) -> None:
        """Tell the enterprises of the batch (ids after ``after`` up to ``last``) found eligible."""
        event = NotifyEvent(
            key=f"{workflow.info().workflow_id}:eligible:{after}-{last}",
            kind="policy_matched",
            at=workflow.now(),
            detail={"program": str(program_id), "after": str(after), "last": str(last)},
        )
        try:
            await workflow.execute_activity_method(NotificationActivities.notify, event, **NOTIFY)
        except ActivityError:
            # The matching stands; messages not sent are marked failed for operators to resend.
            workflow.logger.warning("policy messages of program %s not sent", program_id)

    @workflow.run
    async def run(self, job: MatchInput) -> MatchSummary:
        after, evaluated, eligible = job.after_id, job.evaluated, job.eligible
        began = workflow.now()
        # A first run starts the count; a continued one goes on with the start it was given (or,
        # continued by code that did not carry it, counts from its own start).
        first = job.started_at is None and job.after_id == 0
        started_at = began if first else job.started_at
        self._status = status = MatchStatus(
            program_id=job.program_id,
            evaluated=evaluated,
            eligible=eligible,
            counted_from=started_at or began,
            evaluated_before=0 if started_at else evaluated,
            started_at=started_at,
        )
        for _ in range(BATCHES_PER_RUN):
            progress = await workflow.execute_activity_method(
                SubsidyActivities.match_batch,
                MatchBatch(program_id=job.program_id, after_id=after, limit=job.batch_size, at=workflow.now()),
                **BATCH,
            )
            if progress.last_id is None:
                summary = MatchSummary(
                    program_id=job.program_id, evaluated=evaluated, eligible=eligible, at=workflow.now()
                )
                await workflow.execute_activity_method(SubsidyActivities.finish_matching, summary, **BATCH)
                return summary
            if progress.eligible and workflow.patched("notifications"):
                await self._tell_eligible(job.program_id, after, progress.last_id)
            after = progress.last_id
            evaluated += progress.evaluated
            eligible += progress.eligible
            self._status = status = status.model_copy(update={"evaluated": evaluated, "eligible": eligible})
        workflow.continue_as_new(
            MatchInput(
                program_id=job.program_id,
                after_id=after,
                evaluated=evaluated,
                eligible=eligible,
                batch_size=job.batch_size,
                started_at=started_at,
            )
        )


@workflow.defn
class ReconciliationWorkflow:
    """Compares the ledger with the claims; run daily by a schedule."""

    @workflow.run
    async def run(self) -> ReconciliationOutcome:
        return await workflow.execute_activity_method(
            SubsidyActivities.reconcile, ReconcileDay(at=workflow.now()), **BATCH
        )
