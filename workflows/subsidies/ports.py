"""The ports the subsidy activities are written against; ``hub`` provides the adapters."""

from __future__ import annotations

from typing import Protocol

from .types import (
    Assessed,
    ClaimChange,
    ClaimStep,
    MatchBatch,
    MatchProgress,
    MatchSummary,
    PaymentOrder,
    PaymentReceipt,
    ReconcileDay,
    ReconciliationOutcome,
    Reserve,
    SettleReservation,
)


class BudgetExhausted(Exception):
    """The program has less left than the claim needs: nothing was reserved."""


class PaymentRefused(Exception):
    """The payment gateway refused the payment for good (e.g. the receiving account is closed)."""


class ClaimRecords(Protocol):
    """Claims in the read model; every method is idempotent."""

    async def assess(self, step: ClaimStep) -> Assessed: ...

    async def change(self, change: ClaimChange) -> None: ...


class Budget(Protocol):
    """A program's budget: money is reserved before it is promised and settled exactly once."""

    async def reserve(self, reserve: Reserve) -> int:
        """Hold the amount, or raise ``BudgetExhausted``; reserving the same key twice holds once.
        Returns the amount held under the key: the first reservation's, if it was held before."""
        ...

    async def settle(self, settle: SettleReservation) -> None:
        """Consume (paid) or release a held reservation; a settled one is left as it is."""
        ...


class PaymentGateway(Protocol):
    """Moves money. The order's key is the idempotency key: a repeated order returns the first receipt."""

    async def disburse(self, order: PaymentOrder) -> PaymentReceipt: ...


class Matching(Protocol):
    async def match_batch(self, batch: MatchBatch) -> MatchProgress: ...

    async def finish(self, summary: MatchSummary) -> None: ...


class Reconciliation(Protocol):
    async def reconcile(self, day: ReconcileDay) -> ReconciliationOutcome: ...
