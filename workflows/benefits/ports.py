"""The ports the benefit activities are written against; ``hub`` provides the adapters."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from .types import (
    BenefitOrder,
    BenefitReceipt,
    CloseCycle,
    CycleSummary,
    CycleTotals,
    DueEntitlement,
    Granted,
    GrantEntitlement,
    OpenCycle,
    PersonFacts,
    RecordChunk,
)


class BenefitRegister(Protocol):
    """Entitlements, cycles and payments in the database; every method is idempotent."""

    async def grant(self, grant: GrantEntitlement) -> Granted: ...

    async def open_cycle(self, opening: OpenCycle) -> int: ...

    async def due(self, service_id: str, period: str, after_id: int, limit: int) -> list[DueEntitlement]:
        """Active entitlements of the service from ``period`` on, by id after ``after_id``, that have
        no payment (paid or refused by the bank) for the period yet."""
        ...

    async def still_active(self, ids: list[int]) -> set[int]:
        """Of these entitlements, those still active: asked again just before paying, since a clerk
        may have suspended or ended one while the chunk was being assessed."""
        ...

    async def record(self, chunk: RecordChunk) -> CycleTotals:
        """The chunk's payments; one made to an entitlement stopped meanwhile is owed back."""
        ...

    async def close_cycle(self, closing: CloseCycle) -> CycleSummary: ...


class PopulationRegistry(Protocol):
    """The city's population registry: who is alive, resident, and how old."""

    async def facts(self, resident_ids: list[str], on: dt.date, purpose: str) -> dict[str, PersonFacts | None]:
        """Each person's facts (None: no record that can be read), for ``on``."""
        ...


class BenefitGateway(Protocol):
    """Pays a batch; each order's key is its idempotency key: a repeated order returns its first receipt."""

    async def disburse_batch(self, orders: list[BenefitOrder]) -> list[BenefitReceipt]: ...
