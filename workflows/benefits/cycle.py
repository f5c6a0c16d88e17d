"""PaymentCycleWorkflow: one benefit's payments for one month.

Started by the benefit's monthly schedule (the period is then the month it runs in, Beijing time)
or by an administrator for a given period. It takes the active entitlements a chunk at a time:
each chunk is assessed against the population registry, paid as one batch and recorded. A re-run
for the same period pays only what is missing; the history stays small however long the register,
as the workflow continues as new every few chunks, carrying where it got to and its totals.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from forms.clock import beijing_today

    from ..names import payment_cycle_workflow_id
    from ..notifications.activities import NOTIFY, NotificationActivities
    from ..notifications.types import EventKind, NotifyEvent
    from ..options import ActivityOptions, HeartbeatOptions
    from .activities import BenefitActivities
    from .types import CloseCycle, CycleInput, CycleStatus, CycleSummary, OpenCycle, PayChunk, period_of

CHUNKS_PER_RUN = 40
STEP = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=1),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)
# A chunk beats between its steps: a worker lost in the middle is noticed in seconds, not minutes.
CHUNK = HeartbeatOptions(
    start_to_close_timeout=timedelta(minutes=10),
    heartbeat_timeout=timedelta(seconds=20),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)


@workflow.defn
class PaymentCycleWorkflow:
    def __init__(self) -> None:
        self._status: CycleStatus | None = None

    @workflow.query
    def progress(self) -> CycleStatus | None:
        return self._status

    async def _tell(self, kind: EventKind, cycle_id: int, period: str, after: int, last: int) -> None:
        """Tell the beneficiaries the chunk paid, or whose payments it stopped (entitlements after
        ``after`` up to ``last``)."""
        event = NotifyEvent(
            key=f"payment-cycle-{cycle_id}:{kind}:{after}-{last}",
            kind=kind,
            at=workflow.now(),
            detail={"cycle": str(cycle_id), "period": period, "after": str(after), "last": str(last)},
        )
        try:
            await workflow.execute_activity_method(NotificationActivities.notify, event, **NOTIFY)
        except ActivityError:
            # The payments stand; the messages not sent are marked failed for operators to resend.
            workflow.logger.warning("payment messages of cycle %s not sent", cycle_id)

    @workflow.run
    async def run(self, cycle: CycleInput) -> CycleSummary:
        period = cycle.period or period_of(beijing_today(workflow.now()))
        if cycle.period is None and cycle.cycle_id is None and workflow.patched("scheduled-cycle-by-period"):
            # The schedule's run pays the month under the period's own id, as an administrator's
            # start does: one run of a period at a time, whoever starts it (an administrator
            # starting it meanwhile joins this run; one already under way is left to pay it).
            try:
                return await workflow.execute_child_workflow(
                    PaymentCycleWorkflow.run,
                    cycle.model_copy(update={"period": period}),
                    id=payment_cycle_workflow_id(cycle.service_id, period),
                    id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                return CycleSummary(cycle_id=0, service_id=cycle.service_id, period=period, totals=cycle.totals)
        cycle_id = cycle.cycle_id
        if cycle_id is None:
            cycle_id = await workflow.execute_activity_method(
                BenefitActivities.open_cycle,
                OpenCycle(
                    service_id=cycle.service_id,
                    period=period,
                    started_by=cycle.started_by,
                    at=workflow.now(),
                    run_key=f"{workflow.info().workflow_id}:{workflow.info().run_id}",
                ),
                **STEP,
            )
        after, totals = cycle.after_id, cycle.totals
        self._status = CycleStatus(service_id=cycle.service_id, period=period, totals=totals, started_at=workflow.now())
        for _ in range(CHUNKS_PER_RUN):
            outcome = await workflow.execute_activity_method(
                BenefitActivities.pay_chunk,
                PayChunk(
                    cycle_id=cycle_id,
                    service_id=cycle.service_id,
                    period=period,
                    after_id=after,
                    limit=cycle.chunk_size,
                    at=workflow.now(),
                ),
                **CHUNK,
            )
            if outcome.last_id is None:
                return await workflow.execute_activity_method(
                    BenefitActivities.close_cycle, CloseCycle(cycle_id=cycle_id, at=workflow.now()), **STEP
                )
            if outcome.totals.paid and workflow.patched("notifications"):
                await self._tell("payment_made", cycle_id, period, after, outcome.last_id)
            if outcome.totals.ended and workflow.patched("notifications"):
                await self._tell("payment_stopped", cycle_id, period, after, outcome.last_id)
            after = outcome.last_id
            totals = totals.plus(outcome.totals)
            self._status = self._status.model_copy(update={"totals": totals})
        workflow.continue_as_new(
            cycle.model_copy(update={"period": period, "cycle_id": cycle_id, "after_id": after, "totals": totals})
        )
