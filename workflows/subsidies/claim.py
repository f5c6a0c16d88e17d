"""SubsidyClaimWorkflow: a claim on a program, from the checks to the money, as a saga.

    assess (eligibility now, amount) → reserve the amount from the budget → review route (apply
    mode, as a child request workflow) or automatic approval → pay → consume the reservation →
    payment notice.

Anything that fails after the reservation releases it (compensation, idempotent by key). The
payment carries the claim's key, so the gateway pays it once however often it is retried.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from ..activities import RequestActivities
    from ..names import REQUESTS_QUEUE, request_workflow_id
    from ..options import ActivityOptions
    from ..service_request import RECORD, RENDER, ServiceRequestWorkflow
    from ..types import IssueDocument, RequestState, StatusChange
    from .activities import BUDGET_EXHAUSTED, PAYMENT_REFUSED, SubsidyActivities
    from .types import (
        ClaimChange,
        ClaimInput,
        ClaimResult,
        ClaimState,
        ClaimStep,
        OpenClaim,
        Pay,
        PaymentOrder,
        RecordPayment,
        Reserve,
        SettleReservation,
    )

# The claim's steps are local activities (RECORD options), run by the worker that runs the
# workflow, without a round trip through the server for each. A crash re-runs the step, which is
# idempotent by key. Claims started before NOTICE_IN_WORKER rendered their notice as a regular
# activity (RENDER); since, the notice is a local activity too: one workflow task for the whole
# claim, which makes an instant claim cost the Temporal server about half as much.
NOTICE_IN_WORKER = "claim-notice-local-activity-v1"
# Since FEWER_STEPS, a claim takes five steps instead of eight: the checks and the reservation are
# one step, an instant approval moves the claim and its request together, and consuming the
# reservation and marking the claim paid are one step. Each step saved is a round of the workflow
# and a database transaction less. Claims started before keep their steps when replayed.
FEWER_STEPS = "claim-fewer-steps-v1"
# Since THREE_STEPS, an instant claim takes three: the checks, the reservation and the approval;
# the payment and its record; the notice.
THREE_STEPS = "claim-three-steps-v1"
RENDER_HERE = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=2),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)


def _failure_type(error: BaseException) -> str | None:
    """The ApplicationError type an activity failed with (a local activity's error comes unwrapped)."""
    cause = error.cause if isinstance(error, ActivityError) else error
    return cause.type if isinstance(cause, ApplicationError) else None


@workflow.defn
class SubsidyClaimWorkflow:
    def __init__(self) -> None:
        self._state: ClaimState = "submitted"
        self._steps = 3

    @workflow.run
    async def run(self, claim: ClaimInput) -> ClaimResult:
        wid = workflow.info().workflow_id
        reservation = f"{wid}:reservation"
        # Which version of the steps this claim started with (each marks its history once).
        self._steps = 3 if workflow.patched(THREE_STEPS) else 5 if workflow.patched(FEWER_STEPS) else 8
        approve_on_opening = self._steps == 3 and claim.review is None
        if self._steps <= 5:
            assessed = await workflow.execute_local_activity_method(
                SubsidyActivities.open_claim,
                OpenClaim(
                    claim_id=claim.claim_id,
                    reservation_key=reservation,
                    at=workflow.now(),
                    approve=approve_on_opening,
                ),
                **RECORD,
            )
            if not assessed.eligible:
                return await self._refuse(claim, assessed.reason or "ineligible")
        else:
            assessed = await workflow.execute_local_activity_method(
                SubsidyActivities.assess_claim, ClaimStep(claim_id=claim.claim_id, at=workflow.now()), **RECORD
            )
            if not assessed.eligible:
                return await self._refuse(claim, assessed.reason or "ineligible")
            try:
                await workflow.execute_local_activity_method(
                    SubsidyActivities.reserve_budget,
                    Reserve(
                        key=reservation, claim_id=claim.claim_id, amount_cents=assessed.amount_cents, at=workflow.now()
                    ),
                    **RECORD,
                )
            except (ActivityError, ApplicationError) as err:
                if _failure_type(err) != BUDGET_EXHAUSTED:
                    raise
                return await self._refuse(claim, "budget_exhausted")

        # From here on the reservation is held: every way out either consumes or releases it.
        if claim.review is not None:
            await self._change(claim, "reviewing")
            try:
                review = await workflow.execute_child_workflow(
                    ServiceRequestWorkflow.run,
                    claim.review,
                    id=request_workflow_id(claim.ref),
                    task_queue=REQUESTS_QUEUE,
                )
            except ChildWorkflowError:
                # The review was terminated or failed without a decision: nothing may stay held.
                await self._release(reservation)
                return await self._refuse(claim, "review_ended", reviewed=True)
            if review.state != "approved":
                await self._release(reservation)
                return await self._refuse(
                    claim, "withdrawn" if review.state == "withdrawn" else "rejected_in_review", reviewed=True
                )
            await self._change(claim, "approved")
        elif approve_on_opening:
            self._state = "approved"
        elif self._steps == 5:
            await self._change(claim, "approved", request_state="approved")
        else:
            await self._set_request(claim, "approved")
            await self._change(claim, "approved")

        order = PaymentOrder(
            key=f"{wid}:payment", claim_id=claim.claim_id, amount_cents=assessed.amount_cents, at=workflow.now()
        )
        try:
            if self._steps == 3:
                receipt = await workflow.execute_local_activity_method(
                    SubsidyActivities.pay, Pay(order=order, reservation_key=reservation), **RECORD
                )
            else:
                receipt = await workflow.execute_local_activity_method(SubsidyActivities.disburse, order, **RECORD)
        except (ActivityError, ApplicationError) as err:
            if _failure_type(err) != PAYMENT_REFUSED:
                raise
            await self._release(reservation)
            await self._change(claim, "failed", reason="payment_refused")
            return ClaimResult(state="failed", reason="payment_refused")

        consumed = SettleReservation(key=reservation, outcome="consumed", at=workflow.now())
        if self._steps == 3:
            self._state = "paid"  # recorded by the payment's own step
        elif self._steps == 5:
            self._state = "paid"
            paid = ClaimChange(
                claim_id=claim.claim_id, state="paid", at=workflow.now(), payment_ref=receipt.payment_ref
            )
            await workflow.execute_local_activity_method(
                SubsidyActivities.record_payment, RecordPayment(settle=consumed, change=paid), **RECORD
            )
        else:
            await workflow.execute_local_activity_method(SubsidyActivities.settle_reservation, consumed, **RECORD)
            await self._change(claim, "paid", payment_ref=receipt.payment_ref)
        await self._issue(
            IssueDocument(
                key=f"{wid}:payment_notice",
                request_id=claim.request_id,
                kind="payment_notice",
                outcome="approved",
                locale=claim.locale,
                issued_at=workflow.now(),
            )
        )
        return ClaimResult(state="paid", amount_cents=receipt.amount_cents, payment_ref=receipt.payment_ref)

    @workflow.query
    def state(self) -> ClaimState:
        return self._state

    async def _refuse(self, claim: ClaimInput, reason: str, reviewed: bool = False) -> ClaimResult:
        """End without money. A claim refused by its checks gets a decision notice with the reasons;
        one refused in review already got the review's own."""
        await self._change(claim, "refused", reason=reason)
        if not reviewed:
            await self._issue(
                IssueDocument(
                    key=f"{workflow.info().workflow_id}:decision",
                    request_id=claim.request_id,
                    kind="decision",
                    outcome="rejected",
                    locale=claim.locale,
                    issued_at=workflow.now(),
                )
            )
            await self._set_request(claim, "rejected")
        return ClaimResult(state="refused", reason=reason)

    async def _issue(self, document: IssueDocument) -> None:
        if self._steps <= 5 or workflow.patched(NOTICE_IN_WORKER):
            await workflow.execute_local_activity_method(RequestActivities.issue_document, document, **RENDER_HERE)
        else:
            await workflow.execute_activity_method(RequestActivities.issue_document, document, **RENDER)

    async def _release(self, reservation: str) -> None:
        await workflow.execute_local_activity_method(
            SubsidyActivities.settle_reservation,
            SettleReservation(key=reservation, outcome="released", at=workflow.now()),
            **RECORD,
        )

    async def _change(self, claim: ClaimInput, state: ClaimState, **extra) -> None:
        self._state = state
        await workflow.execute_local_activity_method(
            SubsidyActivities.change_claim,
            ClaimChange(claim_id=claim.claim_id, state=state, at=workflow.now(), **extra),
            **RECORD,
        )

    async def _set_request(self, claim: ClaimInput, state: RequestState) -> None:
        await workflow.execute_local_activity_method(
            RequestActivities.set_state,
            StatusChange(request_id=claim.request_id, state=state, at=workflow.now()),
            **RECORD,
        )
