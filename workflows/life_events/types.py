"""Typed inputs and outputs of the life event workflow and its activities."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

from ..types import RequestInput

PartState = Literal["waiting", "scheduled", "filed", "approved", "rejected", "withdrawn", "not_filed"]


class PartPlan(BaseModel):
    part_id: str
    after: list[str] = []
    # field -> "<part>.<output>": what this part takes from an earlier one when it is filed.
    from_parts: dict[str, str] = {}
    # Applied for at this moment (midnight in Beijing on its date), not now: its rules are checked then.
    not_before: dt.datetime | None = None


class CaseInput(BaseModel):
    """Fixed when the case is filed: its chosen parts, in order, and the event's policy."""

    case_id: int
    ref: str
    parts: list[PartPlan]
    on_rejection: Literal["withdraw_dependents", "continue"] = "withdraw_dependents"


class FilePart(BaseModel):
    """File one part with its department (once: keyed by the case and the part)."""

    case_id: int
    part_id: str
    handed_on: dict[str, object] = {}
    at: dt.datetime


class PartChecked(BaseModel):
    """A scheduled part's rules checked on the day it is filed: the rules it fails, if any."""

    eligible: bool
    failed: list[str] = []


class PartFiled(BaseModel):
    """The part's request as stored, or, when the service is granted once and the applicant already
    has an open application or a benefit in force for it, that one's reference and no request."""

    request_id: int = 0
    ref: str = ""
    workflow_id: str = ""
    start: RequestInput | None = None
    blocked_by: str | None = None


class PartChange(BaseModel):
    case_id: int
    part_id: str
    state: PartState
    ref: str | None = None
    detail: str = ""
    at: dt.datetime


class PartOutputs(BaseModel):
    approved: bool
    decision_number: str | None = None
    # The id of the credential its approval issued, if any (histories recorded before lack it).
    credential: str | None = None


class WithdrawParts(BaseModel):
    """The applicant withdraws these parts (all of them when empty)."""

    parts: list[str] = []


class PartsWithdrawn(BaseModel):
    # Parts that will now never be filed.
    stopped: list[str] = []
    # Parts already filed: their requests are withdrawn as any request is, by the applicant.
    filed: list[str] = []


class CaseStatus(BaseModel):
    ref: str
    parts: dict[str, PartState]
