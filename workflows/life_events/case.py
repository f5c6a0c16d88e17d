"""LifeEventWorkflow: one application for a life event, its parts filed as their turn comes.

Each part is a service request run as a child ``ServiceRequestWorkflow`` in its departments'
inboxes. A part is filed as soon as the parts it waits for are approved, with what they hand on (a
decision's number); parts that wait for nothing run at once, in parallel. When a part is rejected
or withdrawn, the parts that wait for it are not filed (``withdraw_dependents``) or go on
(``continue``), as the event says. The applicant may withdraw the whole case or some parts: a part
not yet filed is never filed; a filed part's request is withdrawn as any request is.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from ..names import PART_DECIDED_SIGNAL, REQUESTS_QUEUE
    from ..options import ActivityOptions
    from ..service_request import ServiceRequestWorkflow
    from .activities import LifeEventActivities
    from .types import CaseInput, CaseStatus, FilePart, PartChange, PartPlan, PartState, PartsWithdrawn, WithdrawParts

# A scheduled part's date, as the case shows it, is its day in Beijing.
BEIJING = timezone(timedelta(hours=8))
# Histories recorded before parts could be scheduled never take this branch.
SCHEDULED_PARTS = "life-event-scheduled-parts"

STEP = ActivityOptions(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
)


@workflow.defn
class LifeEventWorkflow:
    def __init__(self) -> None:
        self._states: dict[str, PartState] = {}
        self._outputs: dict[str, dict[str, object]] = {}
        self._ref = ""
        # Parts the applicant withdrew before they were filed, and parts being filed right now.
        self._withdrawn: set[str] = set()
        self._starting: set[str] = set()
        # Withdrawn parts whose state is recorded on the case.
        self._stopped: set[str] = set()
        # Parts' request workflows approved on commitment (they go on to their post-checks).
        self._decided: set[str] = set()

    @workflow.query
    def status(self) -> CaseStatus:
        return CaseStatus(ref=self._ref, parts=dict(self._states))

    @workflow.signal(name=PART_DECIDED_SIGNAL)
    def part_decided(self, request_workflow_id: str) -> None:
        """A part approved on commitment: decided, though its workflow waits for the post-check."""
        self._decided.add(request_workflow_id)

    @workflow.update
    async def withdraw(self, request: WithdrawParts) -> PartsWithdrawn:
        """Stop the parts not yet filed; name those already filed (their requests are withdrawn by
        the caller). A part being filed at this moment is waited for, so it is one or the other."""
        wanted = request.parts or list(self._states)
        await workflow.wait_condition(lambda: not self._starting & set(wanted))
        stopped = [p for p in wanted if self._states[p] in ("waiting", "scheduled")]
        self._withdrawn |= set(stopped)
        # Answer once the case says so, so that the applicant's next look shows it.
        await workflow.wait_condition(lambda: set(stopped) <= self._stopped)
        return PartsWithdrawn(stopped=stopped, filed=[p for p in wanted if self._states[p] == "filed"])

    @withdraw.validator
    def _validate_withdraw(self, request: WithdrawParts) -> None:
        unknown = set(request.parts) - set(self._states)
        if unknown:
            raise ValueError(f"no such part: {', '.join(sorted(unknown))}")

    @workflow.run
    async def run(self, case: CaseInput) -> CaseStatus:
        self._ref = case.ref
        self._states = {p.part_id: "waiting" for p in case.parts}
        await asyncio.gather(*(self._run_part(case, part) for part in case.parts))
        return self.status()

    async def _run_part(self, case: CaseInput, part: PartPlan) -> None:
        await workflow.wait_condition(
            lambda: (
                part.part_id in self._withdrawn or all(self._states[d] not in ("waiting", "filed") for d in part.after)
            )
        )
        if part.part_id in self._withdrawn:
            await self._change(case, part.part_id, "withdrawn", detail="by-applicant")
            self._stopped.add(part.part_id)
            return
        blocked = [d for d in part.after if self._states[d] != "approved"]
        if blocked and case.on_rejection == "withdraw_dependents":
            await self._change(case, part.part_id, "not_filed", detail=f"after:{','.join(blocked)}")
            return
        if part.not_before is not None and workflow.patched(SCHEDULED_PARTS):
            if not await self._when_due(case, part):
                return
        handed_on: dict[str, object] = {}
        for field, source in part.from_parts.items():
            source_part, _, output = source.partition(".")
            if output in self._outputs.get(source_part, {}):
                handed_on[field] = self._outputs[source_part][output]
        self._starting.add(part.part_id)
        filed = await workflow.execute_activity_method(
            LifeEventActivities.file_part,
            FilePart(case_id=case.case_id, part_id=part.part_id, handed_on=handed_on, at=workflow.now()),
            **STEP,
        )
        if filed.blocked_by is not None:
            # Granted once, and the applicant already has it or applied for it elsewhere.
            self._starting.discard(part.part_id)
            await self._change(case, part.part_id, "not_filed", detail=f"already:{filed.blocked_by}")
            return
        assert filed.start is not None
        await self._change(case, part.part_id, "filed", ref=filed.ref)
        child = await workflow.start_child_workflow(
            ServiceRequestWorkflow.run,
            filed.start,
            id=filed.workflow_id,
            task_queue=REQUESTS_QUEUE,
            # The part's request is the applicant's as much as the case's: it goes on if the case's
            # workflow is ever ended by hand.
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        self._starting.discard(part.part_id)
        await workflow.wait_condition(lambda: child.done() or filed.workflow_id in self._decided)
        if not child.done():
            # Approved on commitment: what it hands on is there now; the parts that wait for it go
            # on while its department checks the commitment.
            outputs = await workflow.execute_activity_method(LifeEventActivities.part_outputs, filed.request_id, **STEP)
            self._outputs[part.part_id] = outputs.model_dump()
            await self._change(case, part.part_id, "approved" if outputs.approved else "rejected", ref=filed.ref)
        status = await child
        outputs = await workflow.execute_activity_method(LifeEventActivities.part_outputs, filed.request_id, **STEP)
        self._outputs[part.part_id] = outputs.model_dump()
        state: PartState = (
            "approved" if outputs.approved else ("withdrawn" if status.state == "withdrawn" else "rejected")
        )
        if self._states[part.part_id] != state:
            # A broken commitment revokes what was approved: the case says the part is not approved.
            await self._change(
                case, part.part_id, state, ref=filed.ref, detail="revoked" if status.state == "revoked" else ""
            )

    async def _when_due(self, case: CaseInput, part: PartPlan) -> bool:
        """Wait (durably) for a scheduled part's date, then check its rules: whether to file it."""
        due = part.not_before
        assert due is not None
        if due > workflow.now():
            await self._change(
                case, part.part_id, "scheduled", detail=f"on:{due.astimezone(BEIJING).date().isoformat()}"
            )
            try:
                await workflow.wait_condition(lambda: part.part_id in self._withdrawn, timeout=due - workflow.now())
            except TimeoutError:
                pass  # its day has come
            if part.part_id in self._withdrawn:
                await self._change(case, part.part_id, "withdrawn", detail="by-applicant")
                self._stopped.add(part.part_id)
                return False
        checked = await workflow.execute_activity_method(
            LifeEventActivities.check_part,
            FilePart(case_id=case.case_id, part_id=part.part_id, at=workflow.now()),
            **STEP,
        )
        if not checked.eligible:
            await self._change(case, part.part_id, "not_filed", detail=f"rules:{','.join(checked.failed)}")
        return checked.eligible

    async def _change(
        self, case: CaseInput, part_id: str, state: PartState, ref: str | None = None, detail: str = ""
    ) -> None:
        self._states[part_id] = state
        await workflow.execute_activity_method(
            LifeEventActivities.change_part,
            PartChange(case_id=case.case_id, part_id=part_id, state=state, ref=ref, detail=detail, at=workflow.now()),
            **STEP,
        )
