"""Typed inputs and outputs of the workflow, its update and query, and its activities."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from forms.spec import Rule, Stage

RequestState = Literal["submitted", "in_review", "approved", "rejected"]
Verdict = Literal["approve", "reject"]
TaskState = Literal["open", "approved", "rejected", "cancelled"]


class RequestInput(BaseModel):
    """Everything the workflow needs, fixed at filing time so catalog changes don't affect it."""

    request_id: int
    ref: str
    service_id: str
    service_version: int
    locale: str = "zh_CN"
    route: list[Stage]
    documents_on_approval: list[str] = ["decision"]
    documents_on_rejection: list[str] = ["decision"]
    # For subsidies: the formula of the amount granted on approval.
    amount_formula: str | None = None


class Decision(BaseModel):
    """A clerk's decision on a review task, sent as a workflow update (authorized by the web layer)."""

    task_key: str
    department: str
    clerk_id: int
    verdict: Verdict
    comment: str = Field(default="", max_length=2000)


class DecisionAccepted(BaseModel):
    task_key: str
    verdict: Verdict
    request_state: RequestState


class TaskView(BaseModel):
    key: str
    stage_id: str
    department: str
    state: TaskState


class RequestStatus(BaseModel):
    """The workflow's own view, answered by its query."""

    state: RequestState
    stage_id: str | None
    tasks: list[TaskView]


# Activity payloads -----------------------------------------------------------------------------


class OpenTask(BaseModel):
    key: str
    request_id: int
    stage_id: str
    stage_title: str
    department: str
    opened_at: datetime
    due_at: datetime


class RecordDecision(BaseModel):
    task_key: str
    request_id: int
    department: str
    clerk_id: int
    verdict: Verdict
    comment: str
    decided_at: datetime


class CancelTasks(BaseModel):
    request_id: int
    task_keys: list[str]
    at: datetime


class StatusChange(BaseModel):
    request_id: int
    state: RequestState
    at: datetime


class StageCondition(BaseModel):
    """Does a conditional stage apply to this request?"""

    key: str
    request_id: int
    stage_id: str
    expression: str
    at: datetime


class RunChecks(BaseModel):
    """Run a check stage's automatic checks against the request."""

    key: str
    request_id: int
    stage_id: str
    checks: list[Rule]
    at: datetime


class ChecksOutcome(BaseModel):
    passed: bool
    failed: list[str]


class SettleAmount(BaseModel):
    """Compute and record the amount granted."""

    request_id: int
    formula: str


class IssueDocument(BaseModel):
    key: str
    request_id: int
    kind: str
    outcome: RequestState
    locale: str
    issued_at: datetime


class IssuedDocument(BaseModel):
    key: str
    sha256: str
    size: int
