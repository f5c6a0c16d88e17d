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
    from ..service_request import RECORD, ServiceRequestWorkflow
    from ..types import IssueDocument, RequestState, StatusChange
    from .activities import PAYMENT_REFUSED, SubsidyActivities
    from .types import (
        ClaimChange,
        ClaimInput,
        ClaimResult,
        ClaimState,
        OpenClaim,
        Pay,
        PaymentOrder,
        SettleReservation,
    )

# The claim's steps are local activities, run by the worker that runs the workflow, without a
# round trip through the server for each: one workflow task for the whole claim. A crash re-runs
# the step, which is idempotent by key. An instant claim takes three steps: the checks, the
# reservation and the approval; the payment and its record; the notice.
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

    @workflow.run
    async def run(self, claim: ClaimInput) -> ClaimResult:
        wid = workflow.info().workflow_id
        reservation = f"{wid}:reservation"
        assessed = await workflow.execute_local_activity_method(
            SubsidyActivities.open_claim,
            OpenClaim(
                claim_id=claim.claim_id,
                reservation_key=reservation,
                at=workflow.now(),
                approve=claim.review is None,
            ),
            **RECORD,
        )
        if not assessed.eligible:
            return await self._refuse(claim, assessed.reason or "ineligible")

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
        else:
            self._state = "approved"  # recorded by the opening step

        order = PaymentOrder(
            key=f"{wid}:payment", claim_id=claim.claim_id, amount_cents=assessed.amount_cents, at=workflow.now()
        )
        try:
            receipt = await workflow.execute_local_activity_method(
                SubsidyActivities.pay, Pay(order=order, reservation_key=reservation), **RECORD
            )
        except (ActivityError, ApplicationError) as err:
            if _failure_type(err) != PAYMENT_REFUSED:
                raise
            await self._release(reservation)
            await self._change(claim, "failed", reason="payment_refused")
            return ClaimResult(state="failed", reason="payment_refused")
        self._state = "paid"  # recorded by the payment's own step
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
        await workflow.execute_local_activity_method(RequestActivities.issue_document, document, **RENDER_HERE)

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
