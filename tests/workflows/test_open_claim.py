"""The claim's first step, checks then reservation, when it is repeated after a crash.

The ports are in-memory stand-ins here: this covers the step's own decisions. The stack tests run
it against the real database and Temporal, the fault test with the worker killed right after it.
"""

from __future__ import annotations

import datetime as dt

from workflows.subsidies.activities import SubsidyActivities
from workflows.subsidies.ports import BudgetExhausted
from workflows.subsidies.types import Assessed, OpenClaim

AT = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


class Claims:
    def __init__(self, *answers: Assessed):
        self.answers = list(answers)

    async def assess(self, step):
        return self.answers.pop(0)


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


def activities(claims, budget) -> SubsidyActivities:
    return SubsidyActivities(claims=claims, budget=budget, payments=None, matching=None, reconciliation=None)


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
