"""Typed inputs and outputs of the workflow, its update and query, and its activities."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field

from forms.spec import POST_CHECK_STAGE as POST_CHECK_STAGE  # reserved by the spec, used by the workflow
from forms.spec import Rule, Stage

from .benefits.types import BenefitTerms

# The vocabularies: defined here once, imported by the workflow, the read model and the web edge.

RequestState = Literal["submitted", "in_review", "waiting_applicant", "approved", "rejected", "withdrawn", "revoked"]
# "revoked": approved on commitment, and the commitment found broken at the post-check.
FINAL_STATES: tuple[RequestState, ...] = ("approved", "rejected", "withdrawn", "revoked")
Verdict = Literal["approve", "reject"]
TaskState = Literal[
    "open", "claimed", "waiting_applicant", "awaiting_confirmation", "approved", "rejected", "cancelled", "transferred"
]
# A task in one of these states still needs someone: its clock runs (or is paused) and it can be acted on.
ACTIVE_TASK_STATES: tuple[TaskState, ...] = ("open", "claimed", "waiting_applicant", "awaiting_confirmation")
# A task in one of these states is over: nothing more can be decided on it.
CLOSED_TASK_STATES: tuple[TaskState, ...] = ("approved", "rejected", "cancelled", "transferred")

# What a clerk or a supervisor can do to a task (each is a workflow update of the same name).
TaskMove = Literal[
    "claim", "release", "decide", "confirm", "request_information", "transfer", "assign", "record_post_check"
]
TASK_MOVES: tuple[TaskMove, ...] = get_args(TaskMove)

# Every kind of step a request's timeline records, whoever writes it.
TimelineKind = Literal[
    # filing and the route
    "submitted",
    "stage_opened",
    "stage_skipped",
    "check_passed",
    "check_failed",
    "approved_by_rule",
    # approval on commitment
    "commitment_signed",
    "approved_on_commitment",
    "commitment_kept",
    "commitment_broken",
    # a task's life
    "task_claimed",
    "task_released",
    "task_assigned",
    "task_reminder",
    "task_escalated",
    "decision_proposed",
    "decision_returned",
    "task_approved",
    "task_rejected",
    "information_requested",
    "information_supplied",
    "task_transferred",
    # the outcome
    "document_issued",
    # a document its department corrected (the new one replacing it) or revoked
    "document_corrected",
    "document_revoked",
    "request_approved",
    "request_rejected",
    "request_withdrawn",
    "request_revoked",
    # subsidy claims
    "eligibility_passed",
    "eligibility_failed",
    "claim_approved",
    "payment_made",
    "claim_refused",
    "payment_failed",
]
TIMELINE_KINDS: tuple[TimelineKind, ...] = get_args(TimelineKind)
# The step that closes a request in each final state.
CLOSING_KINDS: dict[RequestState, TimelineKind] = {
    "approved": "request_approved",
    "rejected": "request_rejected",
    "withdrawn": "request_withdrawn",
    "revoked": "request_revoked",
}
# The step that records a task's decision.
DECISION_KINDS: dict[Verdict, TimelineKind] = {"approve": "task_approved", "reject": "task_rejected"}
# Steps the applicant sees; the others (claims, reminders, escalations, proposals) are internal.
INTERNAL_TIMELINE_KINDS: frozenset[TimelineKind] = frozenset(
    {
        "task_claimed",
        "task_released",
        "task_assigned",
        "task_reminder",
        "task_escalated",
        "decision_proposed",
        "decision_returned",
    }
)
PUBLIC_TIMELINE_KINDS: frozenset[TimelineKind] = frozenset(TIMELINE_KINDS) - INTERNAL_TIMELINE_KINDS
# Steps whose detail is someone's own words (a clerk's comment, reason or message): sealed at rest.
TEXT_TIMELINE_KINDS: frozenset[TimelineKind] = frozenset(
    {
        "task_approved",
        "task_rejected",
        "task_transferred",
        "information_requested",
        "decision_returned",
        "commitment_broken",
    }
)


class CommitmentTerms(BaseModel):
    """The request was filed with the applicant's signed commitment in place of proofs: approved
    without review, then checked by ``department`` within ``post_check_days`` working days."""

    department: str
    post_check_days: int = Field(ge=1, le=365)
    # The post-check task's title (a display string, translated where it is shown).
    stage_title: str


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
    # For benefits: what an approval grants (an entitlement paid by the benefit's cycles).
    benefit: BenefitTerms | None = None
    # Instant approval by rule: the check stages run first and, when every check passes, the review
    # stages are skipped; a failed check falls back to them (the spec's ``instant``).
    instant: bool = False
    # Approval on commitment (the spec's ``commitment``, chosen by the applicant): the review stages
    # are skipped when the check stages pass, and a post-check follows the approval.
    commitment: CommitmentTerms | None = None


class TaskCommand(BaseModel):
    """A clerk acting on a task (claim, release); the web layer has checked the department."""

    task_key: str
    department: str
    clerk_id: int


class Decision(TaskCommand):
    """A clerk's decision on a task they hold."""

    verdict: Verdict
    comment: str = Field(default="", max_length=2000)
    reason_code: str = ""
    # Maker-checker: an approval of this size waits for a second clerk's confirmation.
    needs_confirmation: bool = False


class Confirmation(TaskCommand):
    """A second clerk confirms (or sends back) a colleague's approval."""

    accept: bool
    comment: str = Field(default="", max_length=2000)


class InformationRequest(TaskCommand):
    """The clerk needs more from the applicant: which fields, and what exactly."""

    fields: list[str] = Field(default=[], max_length=50)
    message: str = Field(max_length=2000)


class PostCheck(TaskCommand):
    """The clerk's finding at the post-check of a commitment: kept, or broken with the reason."""

    kept: bool
    reason: str = Field(default="", max_length=2000)


class Transfer(TaskCommand):
    """The task belongs to another department."""

    to_department: str
    reason: str = Field(max_length=2000)


class Assignment(BaseModel):
    """A supervisor gives a task to a clerk of the department."""

    task_key: str
    department: str
    supervisor_id: int
    assignee_id: int


class SupplementNotice(BaseModel):
    """The applicant supplied what was asked; the answers wait in the database under ``token``."""

    token: str
    # Tasks whose clerk is away go to their delegate instead: task key -> delegate's account id.
    reassign: dict[str, int] = {}


class Withdrawal(BaseModel):
    reason: str = Field(default="", max_length=2000)


class CommandAccepted(BaseModel):
    task_key: str | None
    request_state: RequestState


class DecisionAccepted(BaseModel):
    task_key: str
    verdict: Verdict
    request_state: RequestState


class TaskView(BaseModel):
    key: str
    stage_id: str
    department: str
    state: TaskState
    assignee: int | None = None
    # The time limit, planned in working days when the task opens.
    due_at: datetime | None = None
    remind_at: datetime | None = None
    reminded: bool = False
    escalated: bool = False
    paused_since: datetime | None = None
    # The limit was planned across a year whose holiday schedule was not known (TimeLimit.provisional).
    provisional: bool = False


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
    remind_at: datetime | None = None
    provisional: bool = False


class PlanTimeLimit(BaseModel):
    start: datetime
    working_days: int


class ResumeTimeLimit(BaseModel):
    """A time limit paused from ``paused_at`` (the applicant was asked for more) to ``resumed_at``
    (they answered): it moves by the working days the pause covered, counted by Beijing dates."""

    due_at: datetime
    remind_at: datetime
    # The limit's mark as planned: a move keeps it, and adds it when it counts across a missing year.
    provisional: bool = False
    paused_at: datetime
    resumed_at: datetime


class TimeLimit(BaseModel):
    due_at: datetime
    remind_at: datetime
    # Counted across a year whose national holiday schedule was not known (Monday to Friday were
    # taken as working days).
    provisional: bool = False


class TaskChange(BaseModel):
    """A change to a task in the read model, with the timeline step that records it."""

    key: str
    request_id: int
    step: str  # unique per change: the timeline entry's idempotency key
    kind: TimelineKind
    at: datetime
    state: TaskState | None = None
    assignee: int | None = None
    clear_assignee: bool = False
    due_at: datetime | None = None
    remind_at: datetime | None = None
    provisional: bool | None = None
    paused_at: datetime | None = None
    clear_paused: bool = False
    reminded: bool | None = None
    escalated: bool | None = None
    requested_fields: list[str] | None = None
    request_message: str | None = None
    detail: str = ""
    actor_id: int | None = None


class ApplySupplement(BaseModel):
    request_id: int
    token: str
    at: datetime


class RecordDecision(BaseModel):
    task_key: str
    request_id: int
    department: str
    clerk_id: int
    verdict: Verdict
    comment: str
    decided_at: datetime
    reason_code: str = ""
    confirmed_by: int | None = None


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


class RecordStep(BaseModel):
    """A step of the route the workflow itself takes (no task, no check), for the request's timeline."""

    key: str
    request_id: int
    kind: TimelineKind
    at: datetime
    detail: str = ""


class SettleCommitment(BaseModel):
    """Record a post-check's outcome; a broken commitment revokes the decision, recovers what was
    paid and bars the applicant from the commitment route for a time."""

    key: str
    request_id: int
    task_key: str
    kept: bool
    reason: str
    clerk_id: int
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
    # For a notice about one task (e.g. a request for more information).
    task_key: str | None = None
    # For a corrected document: the key of the one it replaces (its step reads "corrected").
    corrects: str | None = None


class Reissue(BaseModel):
    """Issue a corrected document in place of an earlier one, which then reads as superseded."""

    previous_key: str
    document: IssueDocument
    reason: str = Field(max_length=2000)


class Supersede(BaseModel):
    previous_key: str
    new_key: str
    reason: str


class IssuedDocument(BaseModel):
    key: str
    sha256: str
    size: int
