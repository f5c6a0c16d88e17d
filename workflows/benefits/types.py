"""Typed inputs and outputs of the payment cycle and its activities."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

# A payment period: a calendar month, "2026-12".
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
BenefitKind = Literal["monthly", "one_off"]
EntitlementState = Literal["active", "suspended", "ended"]
# Why an entitlement changed or a payment was not made; each has words in both languages in the hub.
ChangeReason = Literal[
    "death", "moved-out", "age-band", "amount", "paid-in-full", "no-registry-record", "absurd-amount", "formula-failed"
]


def period_start(period: str) -> dt.date:
    """The first day of a period."""
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_period(period: str) -> str:
    start = period_start(period)
    return period_of(dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1))


class BenefitTerms(BaseModel):
    """A benefit service's terms, fixed when the request is filed (as its route is)."""

    kind: BenefitKind
    amount_formula: str
    band_formula: str | None = None
    maximum: str
    payment_method_field: str | None = None
    account_field: str | None = None
    payment_day: int = 10


class GrantEntitlement(BaseModel):
    """An approved benefit request becomes an entitlement (once: keyed by the request)."""

    request_id: int
    terms: BenefitTerms
    at: dt.datetime


class Granted(BaseModel):
    entitlement_id: int
    state: EntitlementState
    amount_cents: int
    start_period: str


class PersonFacts(BaseModel):
    """What the population registry holds about a person, read for one date."""

    born_on: dt.date
    resident: bool
    died_on: dt.date | None = None
    moved_out_on: dt.date | None = None

    def as_names(self, on: dt.date) -> dict[str, Any]:
        """``person.*`` as a benefit's formulas read it on ``on``."""
        age = on.year - self.born_on.year - ((on.month, on.day) < (self.born_on.month, self.born_on.day))
        return {
            "age": age,
            "alive": self.died_on is None or self.died_on >= on,
            "resident": self.resident and (self.moved_out_on is None or self.moved_out_on >= on),
            "born_on": self.born_on,
            "died_on": self.died_on,
            "moved_out_on": self.moved_out_on,
        }


class CycleTotals(BaseModel):
    paid: int = 0
    paid_cents: int = 0
    refused: int = 0
    set_aside: int = 0
    ended: int = 0
    changed: int = 0
    overpaid: int = 0
    overpaid_cents: int = 0

    def plus(self, other: CycleTotals) -> CycleTotals:
        return CycleTotals(**{name: getattr(self, name) + getattr(other, name) for name in CycleTotals.model_fields})


class CycleInput(BaseModel):
    """One cycle of a benefit: the period (None: the month the schedule runs in, Beijing time),
    and, once it continues as new, where it got to."""

    service_id: str
    period: Period | None = None
    started_by: int | None = None
    chunk_size: int = Field(default=500, ge=1, le=5000)
    cycle_id: int | None = None
    after_id: int = 0
    totals: CycleTotals = CycleTotals()


class OpenCycle(BaseModel):
    service_id: str
    period: Period
    started_by: int | None = None
    at: dt.datetime
    # The workflow run opening it: a repeated open of the same run counts one run.
    run_key: str = ""


class PayChunk(BaseModel):
    cycle_id: int
    service_id: str
    period: Period
    after_id: int
    limit: int
    at: dt.datetime


class ChunkOutcome(BaseModel):
    # The last entitlement looked at (None: there were no more).
    last_id: int | None
    totals: CycleTotals = CycleTotals()


class CloseCycle(BaseModel):
    cycle_id: int
    at: dt.datetime


class CycleSummary(BaseModel):
    cycle_id: int
    service_id: str
    period: str
    totals: CycleTotals


class CycleStatus(BaseModel):
    """A running cycle's progress (its query)."""

    service_id: str
    period: str | None
    totals: CycleTotals
    started_at: dt.datetime


# What the activity hands between its ports -------------------------------------------------------


class DueEntitlement(BaseModel):
    """An entitlement the cycle looks at, with what its assessment needs."""

    id: int
    kind: BenefitKind
    resident_id: str
    amount_formula: str
    band_formula: str = ""
    maximum_cents: int
    inputs: dict[str, Any] = {}
    amount_cents: int
    band: str = ""
    payee_account: str = ""
    payment_method: str = "bank"


class Assessment(BaseModel):
    """What a cycle does with one entitlement for the period."""

    entitlement_id: int
    pay_cents: int = 0
    # A new amount (and band) from this period on.
    new_cents: int | None = None
    new_band: str | None = None
    end: ChangeReason | None = None
    # The day it ends (a death, a move); the payments for periods after it are overpayments.
    ended_on: dt.date | None = None
    set_aside: ChangeReason | None = None
    detail: str = ""


class BenefitOrder(BaseModel):
    """One payment of a batch: the key is the idempotency key (entitlement and period)."""

    key: str
    entitlement_id: int
    service_id: str
    amount_cents: int
    payee_account: str
    payment_method: str
    at: dt.datetime


class BenefitReceipt(BaseModel):
    key: str
    paid: bool
    payment_ref: str = ""
    reason: str = ""


class RecordChunk(BaseModel):
    cycle_id: int
    service_id: str
    period: Period
    at: dt.datetime
    assessments: list[Assessment]
    receipts: list[BenefitReceipt]
