"""Typed inputs and outputs of the subsidy workflows and their activities."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ..types import RequestInput, RequestState

ProgramMode = Literal["apply", "instant", "apply_free"]
ClaimState = Literal["offered", "submitted", "checking", "reviewing", "approved", "paid", "refused", "failed"]
# Why a claim ended without money; each has a message in both languages in the hub.
RefusalReason = Literal[
    "ineligible", "program_closed", "budget_exhausted", "rejected_in_review", "withdrawn", "review_ended"
]
FailureReason = Literal["payment_refused"]


class ClaimInput(BaseModel):
    """Fixed when the claim is submitted."""

    claim_id: int
    ref: str
    request_id: int
    program_id: int
    mode: ProgramMode
    locale: str = "zh_CN"
    # apply mode: the review route of the program's service, run as a child request workflow.
    review: RequestInput | None = None


class ClaimStep(BaseModel):
    claim_id: int
    at: datetime


class OpenClaim(BaseModel):
    """Assess a claim and, if it is eligible, hold its amount from the program's budget."""

    claim_id: int
    reservation_key: str
    at: datetime
    # A claim with no review route is approved in the same step once its amount is held.
    approve: bool = False


class Assessed(BaseModel):
    eligible: bool
    reason: RefusalReason | None = None
    amount_cents: int = 0


class Reserve(BaseModel):
    key: str
    claim_id: int
    amount_cents: int
    at: datetime


class SettleReservation(BaseModel):
    key: str
    outcome: Literal["consumed", "released"]
    at: datetime


class PaymentOrder(BaseModel):
    """Pay an enterprise from a program's account; the key makes a second payment impossible."""

    key: str
    claim_id: int
    amount_cents: int
    at: datetime


class PaymentReceipt(BaseModel):
    payment_ref: str
    amount_cents: int


class ClaimChange(BaseModel):
    """A change of a claim's state in the read model, with its request's state where it changes."""

    claim_id: int
    state: ClaimState
    at: datetime
    reason: RefusalReason | FailureReason | None = None
    payment_ref: str | None = None
    # The claim's request moves to this state in the same transaction (an instant claim's approval).
    request_state: RequestState | None = None


class Pay(BaseModel):
    """Pay a claim, then record it: the reservation consumed and the claim marked paid."""

    order: PaymentOrder
    reservation_key: str


class ClaimResult(BaseModel):
    state: ClaimState
    amount_cents: int = 0
    payment_ref: str = ""
    reason: str = ""


class MatchInput(BaseModel):
    """Evaluate every enterprise against a program, a batch at a time (carried across continue-as-new)."""

    program_id: int
    after_id: int = 0
    evaluated: int = 0
    eligible: int = 0
    batch_size: int = 500
    # When the first run began (carried so the rate, and the time left, count the whole matching);
    # None in the first run, and in runs continued by code from before it was carried.
    started_at: datetime | None = None


class MatchBatch(BaseModel):
    program_id: int
    after_id: int
    limit: int
    at: datetime


class MatchProgress(BaseModel):
    # The last enterprise id evaluated; None when there were none left.
    last_id: int | None
    evaluated: int
    eligible: int


class MatchSummary(BaseModel):
    program_id: int
    evaluated: int
    eligible: int
    at: datetime


class MatchStatus(BaseModel):
    """Where a matching run has got to, as its workflow answers the ``progress`` query."""

    program_id: int
    evaluated: int
    eligible: int
    # The moment the rate is counted from (the matching's start, or this run's when it was not
    # carried) and how many enterprises had been evaluated by then.
    counted_from: datetime
    evaluated_before: int
    # When the matching began, if known.
    started_at: datetime | None


class ReconcileDay(BaseModel):
    at: datetime


class ReconciliationOutcome(BaseModel):
    differences: int
