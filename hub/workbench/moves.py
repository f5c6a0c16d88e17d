"""The moves clerks and supervisors make on tasks: claim, release, decide, confirm, ask the
applicant for information, transfer, assign, and record a commitment's post-check.

Each move is a typed workflow update (``MOVES``) whose validator refuses an illegal one (deciding
twice, deciding a released task...) before anything is recorded. Here the caller is authorized
(their department's task), the input is checked, policy is applied (maker-checker, delegation),
and the workflow's refusal becomes a conflict naming the task's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import msgspec
from pydantic import BaseModel

from forms.validation import plain_text
from hub.accounts import STAFF_ROLES
from hub.actor import Actor
from hub.audit import record
from hub.context import HubContext
from hub.db.tables import Account, ReviewTask
from hub.errors import HubError, forbidden, invalid_field, invalid_form, unavailable
from hub.i18n import N_
from hub.requests.kept_details import forget_request
from hub.temporal import UpdateRefused, send_update
from hub.workbench.access import current_state, load_department_task, staff_member
from hub.workbench.delegation import delegate_of
from hub.workbench.kept_inbox import forget_department
from hub.workbench.policy import needs_confirmation
from hub.workbench.presenter import TaskMoveRead, state_label, task_reads
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import (
    ACTIVE_TASK_STATES,
    Assignment,
    Confirmation,
    Decision,
    InformationRequest,
    PostCheck,
    TaskCommand,
    TaskMove,
    Transfer,
)

log = logging.getLogger("qinqing.tasks")
MAX_COMMENT = 2000

# Why a request is refused; the free-text comment explains it to the applicant.
REJECTION_REASONS = {
    "ineligible": N_("The applicant does not meet the conditions"),
    "incomplete": N_("Materials are incomplete or invalid"),
    "false-information": N_("Information is untrue"),
    "outside-jurisdiction": N_("Outside this department's jurisdiction"),
    "other": N_("Other reason"),
}


class DecisionCreate(msgspec.Struct):
    verdict: Literal["approve", "reject"]
    comment: str = ""
    reason_code: str = ""


class ConfirmationCreate(msgspec.Struct):
    accept: bool
    comment: str = ""


class InformationRequestCreate(msgspec.Struct):
    message: str
    fields: list[str] = []


class TransferCreate(msgspec.Struct):
    to_department: str
    reason: str


class PostCheckCreate(msgspec.Struct):
    """What the department found at the post-check of a commitment: kept, or broken and why (the
    applicant reads the reason; the decision is revoked and what was paid is owed back)."""

    kept: bool
    reason: str = ""


class AssignmentCreate(msgspec.Struct):
    assignee: str  # a username in the same department


class CheckedDecision(NamedTuple):
    """A decision as checked here, with the maker-checker policy applied."""

    verdict: str
    comment: str
    reason_code: str
    second_clerk: bool


class Move(NamedTuple):
    # The workflow update the move is (ServiceRequestWorkflow.<move>).
    update: Callable[..., Any]
    # Its payload, from the task, who moves it, and the move's checked input.
    payload: Callable[[ReviewTask, Actor, Any], BaseModel]


def _command(task: ReviewTask, actor: Actor) -> dict[str, Any]:
    return {"task_key": task.key, "department": task.department, "clerk_id": actor.id}


MOVES: dict[TaskMove, Move] = {
    "claim": Move(ServiceRequestWorkflow.claim, lambda t, a, _: TaskCommand(**_command(t, a))),
    "release": Move(ServiceRequestWorkflow.release, lambda t, a, _: TaskCommand(**_command(t, a))),
    "decide": Move(
        ServiceRequestWorkflow.decide,
        lambda t, a, d: Decision(
            **_command(t, a),
            verdict=d.verdict,
            comment=d.comment,
            reason_code=d.reason_code,
            needs_confirmation=d.second_clerk,
        ),
    ),
    "confirm": Move(
        ServiceRequestWorkflow.confirm,
        lambda t, a, d: Confirmation(**_command(t, a), accept=d.accept, comment=d.comment),
    ),
    "request_information": Move(
        ServiceRequestWorkflow.request_information,
        lambda t, a, d: InformationRequest(**_command(t, a), fields=d.fields, message=d.message),
    ),
    "transfer": Move(
        ServiceRequestWorkflow.transfer,
        lambda t, a, d: Transfer(**_command(t, a), to_department=d.to_department, reason=d.reason),
    ),
    "record_post_check": Move(
        ServiceRequestWorkflow.record_post_check,
        lambda t, a, d: PostCheck(**_command(t, a), kept=d.kept, reason=d.reason),
    ),
    "assign": Move(
        ServiceRequestWorkflow.assign,
        lambda t, a, receiver: Assignment(
            task_key=t.key, department=t.department, supervisor_id=staff_member(a).id, assignee_id=receiver
        ),
    ),
}


def task_conflict(locale: str, state: str) -> HubError:
    """The move is not possible in the task's state (or someone else holds it)."""
    return HubError(
        "conflict",
        "task-conflict",
        N_("Not possible now"),
        N_("This is not possible while the task is {state}, or someone else holds it. Nothing was recorded."),
        params={"state": state_label(state, locale)},
    )


def decision_unconfirmed() -> HubError:
    """Temporal did not confirm the move in time: whether it was taken is unknown."""
    return HubError(
        "unavailable",
        "decision-unconfirmed",
        N_("Decision not confirmed"),
        N_("The decision could not be confirmed in time. Check the task's state, then try again if it is still open."),
        retry_after=5,
    )


async def move_task(
    actor: Actor, ctx: HubContext, task_id: int, move: TaskMove, data: Any = None, **audit: Any
) -> TaskMoveRead:
    """Authorize, send the move's update, record it, and answer with the task as it now stands."""
    task, row = await load_department_task(task_id, staff_member(actor))
    if task.state not in ACTIVE_TASK_STATES:
        raise task_conflict(actor.locale, task.state)  # closed for good: no need to ask the workflow
    if ctx.temporal is None:
        raise unavailable()
    update, payload = MOVES[move]
    try:
        accepted = await send_update(ctx.temporal, row.workflow_id, update, payload(task, actor, data))
    except UpdateRefused as refused:
        # The workflow refused the move (its state does not allow it): nothing was recorded.
        log.info("%s on task %s refused: %s", move, task.id, refused)
        raise task_conflict(actor.locale, await current_state(task.id)) from None
    except HubError as exc:
        if exc.kind != "unavailable":
            raise
        log.warning("%s on task %s not confirmed: %s", move, task.id, exc.__cause__)
        # Whether the workflow took it is unknown; a retry is safe (an illegal repeat is refused).
        raise decision_unconfirmed() from None
    await record(actor, actor.user, f"task.{move}", "task", task.id, request=row.ref, **audit)
    fresh = await ReviewTask.objects().where(ReviewTask.id == task.id).first()
    # The workflow has written the move: this process reads the inbox pages it touched again at
    # once, and the request's detail, without waiting for PostgreSQL's notice (which the other
    # processes go by).
    forget_department(task.department or "")
    if fresh is not None and fresh.department != task.department:  # transferred
        forget_department(fresh.department or "")
    forget_request(row.ref)
    (read,) = await task_reads([fresh or task], ctx, actor.locale)
    return TaskMoveRead(task=read, request_state=accepted.request_state)


async def claim(actor: Actor, ctx: HubContext, task_id: int) -> TaskMoveRead:
    """Take a task from the department's inbox."""
    return await move_task(actor, ctx, task_id, "claim")


async def release(actor: Actor, ctx: HubContext, task_id: int) -> TaskMoveRead:
    """Put a held task back into the department's inbox."""
    return await move_task(actor, ctx, task_id, "release")


def _refuse(problems: list[HubError]) -> None:
    """Refuse the input with all its problems at once: one as it is (with its own explanation),
    several as one form's errors, so a page shows each next to its field."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise invalid_form([error for problem in problems for error in problem.errors])


def _comment(text: str, field: str = "comment") -> str:
    comment = plain_text(text)
    if len(comment) > MAX_COMMENT:
        raise invalid_field(field, "string_too_long", max_length=MAX_COMMENT)
    return comment


async def decide(actor: Actor, ctx: HubContext, task_id: int, data: DecisionCreate) -> TaskMoveRead:
    """Approve or reject a held task; a rejection names a reason and explains it to the applicant."""
    comment = _comment(data.comment)
    if data.verdict == "reject":
        problems = []
        if data.reason_code not in REJECTION_REASONS:
            problems.append(invalid_field("reason_code", "literal_error"))
        if not comment:
            problems.append(invalid_field("comment", "missing", N_("A rejection must give the applicant a reason.")))
        _refuse(problems)
    second_clerk = False
    if data.verdict == "approve":
        _, row = await load_department_task(task_id, actor.user)
        spec = ctx.catalog.version(row.service_id, row.service_version)
        second_clerk = await needs_confirmation(spec, row, ctx.settings.confirm_above_amount)
    reason_code = data.reason_code if data.verdict == "reject" else ""
    checked = CheckedDecision(data.verdict, comment, reason_code, second_clerk)
    return await move_task(actor, ctx, task_id, "decide", checked, verdict=data.verdict)


async def confirm(actor: Actor, ctx: HubContext, task_id: int, data: ConfirmationCreate) -> TaskMoveRead:
    """Confirm a colleague's approval (maker-checker), or send it back with a reason."""
    comment = _comment(data.comment)
    if not data.accept and not comment:
        raise invalid_field("comment", "missing")
    checked = ConfirmationCreate(accept=data.accept, comment=comment)
    return await move_task(actor, ctx, task_id, "confirm", checked, accept=data.accept)


async def request_information(
    actor: Actor, ctx: HubContext, task_id: int, data: InformationRequestCreate
) -> TaskMoveRead:
    """Ask the applicant to supply named answers again; the clock stops until they do."""
    message = plain_text(data.message)
    problems = []
    if not message:
        problems.append(invalid_field("message", "missing"))
    elif len(message) > MAX_COMMENT:
        problems.append(invalid_field("message", "string_too_long", max_length=MAX_COMMENT))
    task, row = await load_department_task(task_id, actor.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    # The applicant may then change exactly these answers, so they are named, and never one the
    # government holds (a supplement cannot rewrite who the applicant is).
    unknown = [f for f in data.fields if spec is None or f not in spec.field_names]
    if not data.fields:
        problems.append(invalid_field("fields", "nothing_named"))
    elif spec is None or unknown or len(data.fields) > 50:
        problems.append(invalid_field("fields", "literal_error"))
    elif any(f not in spec.supplementable_fields for f in data.fields):
        problems.append(invalid_field("fields", "not_supplementable"))
    _refuse(problems)
    checked = InformationRequestCreate(message=message, fields=list(dict.fromkeys(data.fields)))
    return await move_task(actor, ctx, task_id, "request_information", checked)


async def transfer(actor: Actor, ctx: HubContext, task_id: int, data: TransferCreate) -> TaskMoveRead:
    """Send a held task to the department it belongs to, saying why."""
    reason = plain_text(data.reason)
    problems = []
    if data.to_department not in ctx.catalog.departments:
        problems.append(invalid_field("to_department", "literal_error"))
    if not reason:
        problems.append(invalid_field("reason", "missing"))
    _refuse(problems)
    checked = TransferCreate(to_department=data.to_department, reason=reason[:MAX_COMMENT])
    return await move_task(actor, ctx, task_id, "transfer", checked, to=data.to_department)


async def assign(actor: Actor, ctx: HubContext, task_id: int, data: AssignmentCreate) -> TaskMoveRead:
    """A supervisor gives a task to a clerk of the department (to their delegate while they are away)."""
    supervisor = staff_member(actor)
    if supervisor.role != "supervisor":
        raise forbidden(N_("Only a supervisor gives tasks to clerks."))
    assignee = await Account.objects().where(Account.username == data.assignee).first()
    if assignee is None or assignee.department != supervisor.department or assignee.role not in STAFF_ROLES:
        raise invalid_field("assignee", "literal_error")
    receiver = await delegate_of(assignee.id)
    return await move_task(actor, ctx, task_id, "assign", receiver, assignee=assignee.username)


async def record_post_check(actor: Actor, ctx: HubContext, task_id: int, data: PostCheckCreate) -> TaskMoveRead:
    """Record the post-check of a commitment on a task you hold: kept closes it; broken (with the
    reason the applicant reads) revokes the decision and recovers what was paid."""
    reason = _comment(data.reason, "reason")
    if not data.kept and not reason:
        raise invalid_field("reason", "missing", N_("A broken commitment must give the applicant the reason."))
    checked = PostCheckCreate(kept=data.kept, reason=reason)
    return await move_task(actor, ctx, task_id, "record_post_check", checked, kept=data.kept)
