"""Activities of the subsidy workflows: thin calls into the ports, permanent failures made non-retryable."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from .ports import Budget, BudgetExhausted, ClaimRecords, Matching, PaymentGateway, PaymentRefused, Reconciliation
from .types import (
    Assessed,
    ClaimChange,
    ClaimStep,
    MatchBatch,
    MatchProgress,
    MatchSummary,
    OpenClaim,
    Pay,
    PaymentOrder,
    PaymentReceipt,
    ReconcileDay,
    ReconciliationOutcome,
    Reserve,
    SettleReservation,
)

# The ApplicationError type the workflow tells apart.
PAYMENT_REFUSED = "PaymentRefused"


class SubsidyActivities:
    def __init__(
        self,
        claims: ClaimRecords,
        budget: Budget,
        payments: PaymentGateway,
        matching: Matching,
        reconciliation: Reconciliation,
    ):
        self._claims = claims
        self._budget = budget
        self._payments = payments
        self._matching = matching
        self._reconciliation = reconciliation

    @activity.defn
    async def open_claim(self, opening: OpenClaim) -> Assessed:
        """The checks, then the reservation: one step, so a claim's first moment costs one round.

        Both halves are idempotent. If the checks come out differently when the step is repeated
        after a crash, the amount already held wins (it is what the claim records), and a claim now
        refused gives back whatever was held for it. With ``approve``, a claim whose amount is held
        is approved (with its request) in the same step."""
        assessed = await self._claims.assess(ClaimStep(claim_id=opening.claim_id, at=opening.at))
        if assessed.eligible:
            reserve = Reserve(
                key=opening.reservation_key,
                claim_id=opening.claim_id,
                amount_cents=assessed.amount_cents,
                at=opening.at,
            )
            try:
                held = await self._budget.reserve(reserve)
            except BudgetExhausted:
                return Assessed(eligible=False, reason="budget_exhausted", amount_cents=assessed.amount_cents)
            if opening.approve:
                await self._claims.change(
                    ClaimChange(claim_id=opening.claim_id, state="approved", at=opening.at, request_state="approved")
                )
            return assessed.model_copy(update={"amount_cents": held})
        await self._budget.settle(SettleReservation(key=opening.reservation_key, outcome="released", at=opening.at))
        return assessed

    @activity.defn
    async def change_claim(self, change: ClaimChange) -> None:
        await self._claims.change(change)

    @activity.defn
    async def settle_reservation(self, settle: SettleReservation) -> None:
        await self._budget.settle(settle)

    async def _disburse(self, order: PaymentOrder) -> PaymentReceipt:
        try:
            return await self._payments.disburse(order)
        except PaymentRefused as exc:
            raise ApplicationError(str(exc), type=PAYMENT_REFUSED, non_retryable=True) from None

    @activity.defn
    async def pay(self, payment: Pay) -> PaymentReceipt:
        """The money, then its record, in one step. Repeated after a crash between the two, the
        gateway answers the first payment's receipt for the same key, and only the record is new."""
        receipt = await self._disburse(payment.order)
        order = payment.order
        await self._budget.settle(SettleReservation(key=payment.reservation_key, outcome="consumed", at=order.at))
        await self._claims.change(
            ClaimChange(claim_id=order.claim_id, state="paid", at=order.at, payment_ref=receipt.payment_ref)
        )
        return receipt

    @activity.defn
    async def match_batch(self, batch: MatchBatch) -> MatchProgress:
        return await self._matching.match_batch(batch)

    @activity.defn
    async def finish_matching(self, summary: MatchSummary) -> None:
        await self._matching.finish(summary)

    @activity.defn
    async def reconcile(self, day: ReconcileDay) -> ReconciliationOutcome:
        return await self._reconciliation.reconcile(day)

    def all(self) -> list:
        return [
            self.open_claim,
            self.change_claim,
            self.settle_reservation,
            self.pay,
            self.match_batch,
            self.finish_matching,
            self.reconcile,
        ]
