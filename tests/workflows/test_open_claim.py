"""The claim's steps when they are repeated after a crash: the first (checks, reservation and, for
a claim with no review, approval) and the payment (the money, then its record).

The ports are in-memory stand-ins here: this covers the step's own decisions. The stack tests run
it against the real database and Temporal, the fault test with the worker killed right after it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.subsidies.activities import SubsidyActivities
from workflows.subsidies.ports import BudgetExhausted
from workflows.subsidies.types import Assessed, ClaimChange, OpenClaim, Pay, PaymentOrder, PaymentReceipt, Reserve

AT = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


class Claims:
    def __init__(self, *answers: Assessed, fail_changes: int = 0):
        self.answers = list(answers)
        self.changes: list[ClaimChange] = []
        self.fail_changes = fail_changes

    async def assess(self, step):
        return self.answers.pop(0)

    async def change(self, change):
        if self.fail_changes:
            self.fail_changes -= 1
            raise ConnectionError("the process died here")
        self.changes.append(change)


class Gateway:
    """Pays once per key, as the ledger does."""

    def __init__(self):
        self.paid: dict[str, PaymentReceipt] = {}

    async def disburse(self, order):
        if order.key not in self.paid:
            self.paid[order.key] = PaymentReceipt(
                payment_ref=f"PAY{len(self.paid) + 1}", amount_cents=order.amount_cents
            )
        return self.paid[order.key]


class Budget:
    def __init__(self, left: int):
        self.left = left
        self.held: dict[str, int] = {}
        self.released: list[str] = []

    async def reserve(self, reserve):
        if reserve.key in self.held:
            return self.held[reserve.key]
        if reserve.amount_cents > self.left:
            raise BudgetExhausted("no money left")
        self.left -= reserve.amount_cents
        self.held[reserve.key] = reserve.amount_cents
        return reserve.amount_cents

    async def settle(self, settle):
        if self.held.pop(settle.key, None) is not None:
            self.released.append(settle.key)


def activities(claims, budget, payments=None) -> SubsidyActivities:
    return SubsidyActivities(claims=claims, budget=budget, payments=payments, matching=None, reconciliation=None)


OPEN = OpenClaim(claim_id=7, reservation_key="claim-X:reservation", at=AT)


async def test_an_eligible_claim_holds_its_amount_once():
    budget = Budget(left=5000)
    step = activities(
        Claims(Assessed(eligible=True, amount_cents=3000), Assessed(eligible=True, amount_cents=3000)), budget
    )
    assert (await step.open_claim(OPEN)).amount_cents == 3000
    assert (await step.open_claim(OPEN)).amount_cents == 3000  # repeated: still one reservation
    assert budget.left == 2000 and budget.held == {OPEN.reservation_key: 3000}


async def test_a_claim_the_budget_cannot_cover_is_refused_with_nothing_held():
    budget = Budget(left=1000)
    opened = await activities(Claims(Assessed(eligible=True, amount_cents=3000)), budget).open_claim(OPEN)
    assert (opened.eligible, opened.reason) == (False, "budget_exhausted")
    assert budget.held == {} and budget.left == 1000


async def test_when_the_repeated_checks_differ_the_amount_held_is_what_is_paid():
    budget = Budget(left=10000)
    step = activities(
        Claims(Assessed(eligible=True, amount_cents=3000), Assessed(eligible=True, amount_cents=4000)), budget
    )
    await step.open_claim(OPEN)
    assert (await step.open_claim(OPEN)).amount_cents == 3000


async def test_a_claim_found_ineligible_when_repeated_gives_back_what_was_held():
    budget = Budget(left=10000)
    step = activities(
        Claims(Assessed(eligible=True, amount_cents=3000), Assessed(eligible=False, reason="ineligible")), budget
    )
    await step.open_claim(OPEN)
    opened = await step.open_claim(OPEN)
    assert (opened.eligible, opened.reason) == (False, "ineligible")
    assert budget.held == {} and budget.released == [OPEN.reservation_key]


async def test_a_claim_without_review_is_approved_with_its_request_once_its_amount_is_held():
    claims = Claims(Assessed(eligible=True, amount_cents=3000))
    await activities(claims, Budget(left=5000)).open_claim(OPEN.model_copy(update={"approve": True}))
    assert [(c.state, c.request_state) for c in claims.changes] == [("approved", "approved")]


async def test_a_claim_the_budget_cannot_cover_is_not_approved():
    claims = Claims(Assessed(eligible=True, amount_cents=3000))
    opened = await activities(claims, Budget(left=1000)).open_claim(OPEN.model_copy(update={"approve": True}))
    assert opened.reason == "budget_exhausted" and claims.changes == []


async def test_a_payment_repeated_after_a_crash_before_its_record_pays_once():
    budget, claims, gateway = Budget(left=5000), Claims(fail_changes=1), Gateway()
    await budget.reserve(Reserve(key=OPEN.reservation_key, claim_id=7, amount_cents=3000, at=AT))
    step = activities(claims, budget, gateway)
    payment = Pay(
        order=PaymentOrder(key="claim-X:payment", claim_id=7, amount_cents=3000, at=AT),
        reservation_key=OPEN.reservation_key,
    )
    with pytest.raises(ConnectionError):
        await step.pay(payment)  # the money went; the process died before the claim was marked paid
    receipt = await step.pay(payment)
    assert list(gateway.paid) == ["claim-X:payment"] and receipt.payment_ref == "PAY1"
    assert [(c.state, c.payment_ref) for c in claims.changes] == [("paid", "PAY1")]
    assert budget.held == {} and budget.released == [OPEN.reservation_key]
