"""Program budgets: money is held for a claim before it is promised, then paid or released.

The program row keeps running totals (reserved, paid) updated in the same transaction as the
reservation, so ``budget >= reserved + paid`` holds at every moment, under any concurrency: a
reservation that would break it is refused.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import Column
from piccolo.query import WhereRaw

from hub.db.tables import BudgetReservation, Claim, Program
from hub.db.transactions import writing
from workflows.subsidies.ports import BudgetExhausted
from workflows.subsidies.types import Reserve, SettleReservation


class ProgramBudget:
    async def reserve(self, reserve: Reserve) -> int:
        async with writing():
            held = (
                await BudgetReservation.select(BudgetReservation.amount_cents)
                .where(BudgetReservation.key == reserve.key)
                .first()
            )
            if held is not None:
                return held["amount_cents"]
            claim = await Claim.select(Claim.program).where(Claim.id == reserve.claim_id).first()
            assert claim is not None, "a claim reserves money once it is stored"
            program = claim["program"]
            # The check and the increment are one statement: no two claims can take the same money.
            updated = (
                await Program.update({Program.reserved_cents: Program.reserved_cents + reserve.amount_cents})
                .where(
                    (Program.id == program)
                    & WhereRaw("budget_cents - reserved_cents - paid_cents >= {}", reserve.amount_cents)
                )
                .returning(Program.id)
            )
            if not updated:
                raise BudgetExhausted(f"program {program} has less than {reserve.amount_cents} cents left")
            await BudgetReservation.insert(
                BudgetReservation(
                    key=reserve.key,
                    program=program,
                    claim=reserve.claim_id,
                    amount_cents=reserve.amount_cents,
                    state="held",
                    created_at=reserve.at,
                )
            )
            return reserve.amount_cents

    async def settle(self, settle: SettleReservation) -> None:
        async with writing():
            held = (
                await BudgetReservation.select(
                    BudgetReservation.id, BudgetReservation.program, BudgetReservation.amount_cents
                )
                .where((BudgetReservation.key == settle.key) & (BudgetReservation.state == "held"))
                .first()
            )
            if held is None:
                return  # never held, or settled already
            await BudgetReservation.update(
                {BudgetReservation.state: settle.outcome, BudgetReservation.settled_at: settle.at}
            ).where(BudgetReservation.id == held["id"])
            amount = held["amount_cents"]
            totals: dict[Column | str, Any] = {Program.reserved_cents: Program.reserved_cents - amount}
            if settle.outcome == "consumed":
                totals[Program.paid_cents] = Program.paid_cents + amount
            await Program.update(totals).where(Program.id == held["program"])
