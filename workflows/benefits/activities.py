"""Activities of the payment cycle: a chunk of entitlements assessed against the registry, paid as
one batch, and recorded; each step idempotent, so a chunk repeated after a crash pays nobody twice."""

from __future__ import annotations

from temporalio import activity

from .assess import assess
from .ports import BenefitGateway, BenefitRegister, PopulationRegistry
from .types import (
    BenefitOrder,
    ChunkOutcome,
    CloseCycle,
    CycleSummary,
    Granted,
    GrantEntitlement,
    OpenCycle,
    PayChunk,
    RecordChunk,
    period_start,
)

PURPOSE = "benefit payment cycle: age, residence and life status of beneficiaries"


def payment_key(entitlement_id: int, period: str) -> str:
    """The idempotency key of one entitlement's payment for one period, at the gateway and in the register."""
    return f"benefit:{entitlement_id}:{period}"


class BenefitActivities:
    def __init__(self, register: BenefitRegister, population: PopulationRegistry, gateway: BenefitGateway):
        self._register = register
        self._population = population
        self._gateway = gateway

    @activity.defn
    async def grant_entitlement(self, grant: GrantEntitlement) -> Granted:
        return await self._register.grant(grant)

    @activity.defn
    async def open_cycle(self, opening: OpenCycle) -> int:
        return await self._register.open_cycle(opening)

    @activity.defn
    async def pay_chunk(self, chunk: PayChunk) -> ChunkOutcome:
        due = await self._register.due(chunk.service_id, chunk.period, chunk.after_id, chunk.limit)
        if not due:
            return ChunkOutcome(last_id=None)
        last_id = due[-1].id  # where the next chunk starts, whatever is left of this one
        activity.heartbeat("read")
        facts = await self._population.facts([d.resident_id for d in due], period_start(chunk.period), PURPOSE)
        activity.heartbeat("assessed")
        # Suspended or ended while the registry was asked: not paid (one stopped during the payment
        # itself is recorded as owed back).
        active = await self._register.still_active([d.id for d in due])
        due = [d for d in due if d.id in active]
        assessments = [assess(d, facts.get(d.resident_id), chunk.period) for d in due]
        by_id = {d.id: d for d in due}
        orders = [
            BenefitOrder(
                key=payment_key(a.entitlement_id, chunk.period),
                entitlement_id=a.entitlement_id,
                service_id=chunk.service_id,
                amount_cents=a.pay_cents,
                payee_account=by_id[a.entitlement_id].payee_account,
                payment_method=by_id[a.entitlement_id].payment_method,
                at=chunk.at,
            )
            for a in assessments
            if a.pay_cents > 0
        ]
        receipts = await self._gateway.disburse_batch(orders) if orders else []
        activity.heartbeat("paid")
        totals = await self._register.record(
            RecordChunk(
                cycle_id=chunk.cycle_id,
                service_id=chunk.service_id,
                period=chunk.period,
                at=chunk.at,
                assessments=assessments,
                receipts=receipts,
            )
        )
        return ChunkOutcome(last_id=last_id, totals=totals)

    @activity.defn
    async def close_cycle(self, closing: CloseCycle) -> CycleSummary:
        return await self._register.close_cycle(closing)

    def all(self) -> list:
        return [self.grant_entitlement, self.open_cycle, self.pay_chunk, self.close_cycle]
