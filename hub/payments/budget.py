"""Program budgets: money is held for a claim before it is promised, then paid or released.

The program row keeps running totals (reserved, paid) updated in the same transaction as the
reservation, so ``budget >= reserved + paid`` holds at every moment, under any concurrency: a
reservation that would break it is refused.
"""

from __future__ import annotations

from hub.db.records import first
from hub.db.tables import BudgetReservation, Claim, Program
from hub.db.transactions import writing
from workflows.subsidies.ports import BudgetExhausted
from workflows.subsidies.types import Reserve, SettleReservation


class ProgramBudget:
    # Written as SQL: every claim reserves and settles once, and Piccolo spent more building these
    # statements than the database spent running them.
    async def reserve(self, reserve: Reserve) -> int:
        async with writing():
            held = await first(
                BudgetReservation, "SELECT amount_cents FROM budget_reservation WHERE key = {}", reserve.key
            )
            if held is not None:
                return held["amount_cents"]
            claim = await first(Claim, "SELECT program FROM claim WHERE id = {}", reserve.claim_id)
            assert claim is not None, "a claim reserves money once it is stored"
            program = claim["program"]
            # The check and the increment are one statement: no two claims can take the same money.
            updated = await Program.raw(
                "UPDATE program SET reserved_cents = reserved_cents + {} "
                "WHERE id = {} AND budget_cents - reserved_cents - paid_cents >= {} RETURNING id",
                reserve.amount_cents,
                program,
                reserve.amount_cents,
            )
            if not updated:
                raise BudgetExhausted(f"program {program} has less than {reserve.amount_cents} cents left")
            await BudgetReservation.raw(
                "INSERT INTO budget_reservation (key, program, claim, amount_cents, state, created_at, settled_at) "
                "VALUES ({}, {}, {}, {}, 'held', {}, NULL)",
                reserve.key,
                program,
                reserve.claim_id,
                reserve.amount_cents,
                reserve.at,
            )
            return reserve.amount_cents

    async def settle(self, settle: SettleReservation) -> None:
        async with writing():
            held = await first(
                BudgetReservation,
                "SELECT id, program, amount_cents FROM budget_reservation WHERE key = {} AND state = 'held'",
                settle.key,
            )
            if held is None:
                return  # never held, or settled already
            await BudgetReservation.raw(
                "UPDATE budget_reservation SET state = {}, settled_at = {} WHERE id = {}",
                settle.outcome,
                settle.at,
                held["id"],
            )
            amount = held["amount_cents"]
            paid = amount if settle.outcome == "consumed" else 0
            await Program.raw(
                "UPDATE program SET reserved_cents = reserved_cents - {}, paid_cents = paid_cents + {} WHERE id = {}",
                amount,
                paid,
                held["program"],
            )
