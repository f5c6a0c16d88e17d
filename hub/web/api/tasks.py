"""Department inboxes and the moves clerks and supervisors make on tasks.

The web layer authorizes (the caller's department, the supervisor role); the workflow decides
whether the move is legal now. Every move is a workflow update whose validator refuses an illegal
one (deciding twice, deciding a released task...) before anything is recorded: the caller gets 409.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from piccolo.query.functions.aggregate import Count
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from forms.spec import ServiceSpec
from forms.validation import plain_text
from hub.accounts import Principal, delegate_of, name_of, now
from hub.audit import record
from hub.db.evaluation import amount_to_grant
from hub.db.records import COMMENT_FIELD, MESSAGE_FIELD, load_json, opened_text
from hub.db.tables import Account, AuditEvent, ReviewTask, ServiceRequest
from hub.i18n import N_, gettext
from hub.privacy import mask, masked_answers
from hub.web.api.requests import STATE_LABELS, RuleResultRead, stored_answers
from hub.web.api.services import DepartmentRead, department
from hub.web.api.uploads import AttachmentRead, attached_field, attachment_response, attachments
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem, invalid_field, not_found, request_locale
from hub.web.security import STAFF_ROLES, requires_role
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import (
    ACTIVE_TASK_STATES,
    Assignment,
    Confirmation,
    Decision,
    InformationRequest,
    TaskCommand,
    Transfer,
)

log = logging.getLogger("qinqing.tasks")
UPDATE_TIMEOUT = timedelta(seconds=30)
MAX_COMMENT = 2000
INBOX_LIMIT = 200

# Why a request is refused; the free-text comment explains it to the applicant.
REJECTION_REASONS = {
    "ineligible": N_("The applicant does not meet the conditions"),
    "incomplete": N_("Materials are incomplete or invalid"),
    "false-information": N_("Information is untrue"),
    "outside-jurisdiction": N_("Outside this department's jurisdiction"),
    "other": N_("Other reason"),
}
TaskFilter = Literal[
    "active", "open", "claimed", "waiting_applicant", "approved", "rejected", "cancelled", "transferred", "all"
]
SortKey = Literal["due_at", "-due_at", "opened_at", "-opened_at"]


# Department systems with an API token act on tasks only with this scope.
DECIDE = requires_role(*STAFF_ROLES, scope="tasks:decide")


class RevealCreate(msgspec.Struct):
    fields: list[str]
    # Why the clerk needs the data in clear: recorded in the audit trail.
    reason: str


class RevealRead(msgspec.Struct):
    values: dict[str, Any]


class TaskRead(msgspec.Struct):
    id: int
    request_ref: str
    service_id: str
    service_title: str
    applicant_type: str
    stage_id: str
    stage_title: str
    department: DepartmentRead
    state: str
    state_label: str
    assignee: str | None
    opened_at: dt.datetime
    due_at: dt.datetime
    seconds_left: int
    reminded: bool
    escalated: bool
    # Planned across a year whose national holiday schedule was not known yet (Monday to Friday
    # counted as working days); kept as planned when the schedule is published.
    provisional: bool
    decided_at: dt.datetime | None
    comment: str
    reason_code: str


class TaskDetail(TaskRead):
    applicant_name: str
    answers: dict[str, Any]
    # Files the applicant attached (GET .../attachments/{field}; a personal one after a reveal).
    attachments: list[AttachmentRead]
    rules: list[RuleResultRead]
    requested_fields: list[str]
    request_message: str


class InboxCounts(msgspec.Struct):
    department: DepartmentRead
    by_state: dict[str, int]
    overdue: int
    mine: int


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


class AssignmentCreate(msgspec.Struct):
    assignee: str  # a username in the same department


class RevealedApplicant(msgspec.Struct):
    """Everything about the applicant in clear, for the task page after a recorded reveal."""

    applicant_name: str
    answers: dict[str, Any]


class TaskMoveRead(msgspec.Struct):
    task: TaskRead
    request_state: str


def seconds_left(due_at: dt.datetime) -> int:
    due = due_at if due_at.tzinfo else due_at.replace(tzinfo=dt.UTC)
    return int((due - dt.datetime.now(dt.UTC)).total_seconds())


async def task_reads(tasks: list[ReviewTask], ctx: HubContext, locale: str) -> list[TaskRead]:
    """Inbox rows, with their requests and assignees fetched in one query each."""
    if not tasks:
        return []
    # Only what a row shows: the answers and rule results stay in the database.
    rows = {
        r["id"]: SimpleNamespace(**r)
        for r in await ServiceRequest.select(
            ServiceRequest.id, ServiceRequest.ref, ServiceRequest.service_id, ServiceRequest.service_version
        ).where(ServiceRequest.id.is_in([t.request for t in tasks]))
    }
    assignee_ids = [t.assignee for t in tasks if t.assignee]
    names = (
        {
            a["id"]: a["username"]
            for a in await Account.select(Account.id, Account.username).where(Account.id.is_in(assignee_ids))
        }
        if assignee_ids
        else {}
    )
    return [task_read(t, rows[t.request], ctx, locale, names.get(t.assignee)) for t in tasks]


def task_read(
    task: ReviewTask, row: ServiceRequest, ctx: HubContext, locale: str, assignee: str | None = None
) -> TaskRead:
    spec = ctx.catalog.version(row.service_id, row.service_version)
    stage_titles = {s.id: s.title for s in spec.route} if spec else {}
    return TaskRead(
        id=task.id,
        request_ref=row.ref,
        service_id=row.service_id,
        service_title=gettext(locale, spec.title) if spec else row.service_id,
        applicant_type=task.applicant_type,
        stage_id=task.stage_id,
        stage_title=gettext(locale, stage_titles.get(task.stage_id, task.stage_title)),
        department=department(ctx.catalog, task.department, locale),
        state=task.state,
        state_label=gettext(locale, STATE_LABELS.get(task.state, task.state)),
        assignee=assignee,
        opened_at=task.opened_at,
        due_at=task.due_at,
        seconds_left=seconds_left(task.due_at),
        reminded=task.reminded,
        escalated=task.escalated,
        provisional=bool(task.provisional),
        decided_at=task.decided_at,
        comment=opened_text(task.comment, COMMENT_FIELD),
        reason_code=task.reason_code,
    )


async def load_department_task(task_id: int, user: Principal) -> tuple[ReviewTask, ServiceRequest]:
    """The task if it is in the caller's department's inbox. Another department's task is not found,
    exactly as one that does not exist: an answer must not tell that it exists."""
    task = await ReviewTask.objects().where(ReviewTask.id == task_id).first()
    if task is None or task.department != user.department:
        raise not_found()
    row = await ServiceRequest.objects().where(ServiceRequest.id == task.request).first()
    return task, row


def not_now(locale: str, state: str) -> Problem:
    return Problem(
        409,
        "task-conflict",
        N_("Not possible now"),
        N_("This is not possible while the task is {state}, or someone else holds it. Nothing was recorded."),
        params={"state": gettext(locale, STATE_LABELS.get(state, state))},
    )


class TaskController(Controller):
    path = "/api/tasks"
    tags = ["workbench"]
    guards = [requires_role(*STAFF_ROLES, scope="tasks:read")]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="My department's inbox, soonest time limit first")
    async def inbox(
        self,
        request: Request,
        ctx: HubContext,
        state_filter: TaskFilter = Parameter(
            query="state", default="active", description="'active': open, claimed or waiting for the applicant"
        ),
        service: str | None = Parameter(default=None, max_length=64),
        applicant_type: Literal["citizen", "enterprise"] | None = None,
        due_before: dt.datetime | None = None,
        mine: bool = False,
        escalated: bool | None = None,
        sort: SortKey = "due_at",
        limit: int = Parameter(default=100, ge=1, le=INBOX_LIMIT),
        offset: int = Parameter(default=0, ge=0, le=100_000),
    ) -> list[TaskRead]:
        tasks = await find_tasks(
            request.user, state_filter, service, applicant_type, due_before, mine, escalated, sort, limit, offset
        )
        return await task_reads(tasks, ctx, request_locale(request))

    @get("/counts", summary="How many tasks my department has in each state, overdue, and mine")
    async def counts(self, request: Request, ctx: HubContext) -> InboxCounts:
        user: Principal = request.user
        rows = (
            await ReviewTask.select(ReviewTask.state, Count(ReviewTask.id, alias="count"))
            .where(ReviewTask.department == user.department)
            .group_by(ReviewTask.state)
        )
        active = (ReviewTask.department == user.department) & ReviewTask.state.is_in(list(ACTIVE_TASK_STATES))
        return InboxCounts(
            department=department(ctx.catalog, user.department or "", request_locale(request)),
            by_state={r["state"]: r["count"] for r in rows},
            overdue=await ReviewTask.count().where(active & (ReviewTask.escalated == True)),  # noqa: E712
            mine=await ReviewTask.count().where(active & (ReviewTask.assignee == user.id)),
        )

    @get("/{task_id:int}", summary="One task with the applicant's answers (personal data masked)")
    async def get_task(self, request: Request, ctx: HubContext, task_id: int) -> TaskDetail:
        return await task_detail(request, ctx, task_id)

    @get(
        "/{task_id:int}/attachments/{path:str}",
        summary="Download a file the applicant attached; a personal one after revealing the personal data",
    )
    async def attachment(self, request: Request, ctx: HubContext, task_id: int, path: str) -> Response[bytes]:
        return await task_attachment(request, ctx, task_id, path)

    @post(
        "/{task_id:int}/reveal",
        status_code=200,
        guards=[requires_role(*STAFF_ROLES)],
        summary="See personal answers in clear; the reason is recorded in the audit trail",
    )
    async def reveal(self, request: Request, ctx: HubContext, task_id: int, data: RevealCreate) -> RevealRead:
        reason = plain_text(data.reason)
        if len(reason) < 4:
            raise invalid_field("reason", "missing", N_("Say why you need to see this personal data."))
        if len(reason) > MAX_COMMENT:
            raise invalid_field("reason", "string_too_long", max_length=MAX_COMMENT)
        task, row = await load_department_task(task_id, request.user)
        spec = ctx.catalog.version(row.service_id, row.service_version)
        personal = spec.personal_fields if spec else {}
        top_level = {path.partition(".")[0] for path in personal}
        if not data.fields or len(data.fields) > 50 or any(f not in top_level for f in data.fields):
            raise invalid_field("fields", "literal_error")
        answers = stored_answers(spec, row)
        values = {f: answers.get(f) for f in dict.fromkeys(data.fields)}
        await record(
            request,
            request.user,
            "personal_data.revealed",
            "task",
            task.id,
            request=row.ref,
            fields=list(values),
            reason=reason,
        )
        return RevealRead(values=values)

    @post("/{task_id:int}/claim", status_code=200, guards=[DECIDE], summary="Take a task from the department's inbox")
    async def claim(self, request: Request, ctx: HubContext, task_id: int) -> TaskMoveRead:
        return await move_task(request, ctx, task_id, "claim", lambda t, u, row: TaskCommand(**_command(t, u)))

    @post(
        "/{task_id:int}/release",
        status_code=200,
        guards=[DECIDE],
        summary="Put a task back into the department's inbox",
    )
    async def release(self, request: Request, ctx: HubContext, task_id: int) -> TaskMoveRead:
        return await move_task(request, ctx, task_id, "release", lambda t, u, row: TaskCommand(**_command(t, u)))

    @post(
        "/{task_id:int}/decision",
        status_code=200,
        guards=[DECIDE],
        summary="Approve or reject a task you hold (a rejection needs a reason code and an explanation)",
    )
    async def decide(self, request: Request, ctx: HubContext, task_id: int, data: DecisionCreate) -> TaskMoveRead:
        return await decide_task(request, ctx, task_id, data)

    @post(
        "/{task_id:int}/confirmation",
        status_code=200,
        guards=[DECIDE],
        summary="Confirm, or send back, a colleague's approval of a large amount (maker-checker)",
    )
    async def confirm(self, request: Request, ctx: HubContext, task_id: int, data: ConfirmationCreate) -> TaskMoveRead:
        return await confirm_task(request, ctx, task_id, data)

    @post(
        "/{task_id:int}/information-request",
        status_code=200,
        guards=[DECIDE],
        summary="Ask the applicant for more; the clock stops until they answer",
    )
    async def request_information(
        self, request: Request, ctx: HubContext, task_id: int, data: InformationRequestCreate
    ) -> TaskMoveRead:
        return await request_information_task(request, ctx, task_id, data)

    @post(
        "/{task_id:int}/transfer",
        status_code=200,
        guards=[DECIDE],
        summary="Send a task you hold to the department it belongs to",
    )
    async def transfer(self, request: Request, ctx: HubContext, task_id: int, data: TransferCreate) -> TaskMoveRead:
        return await transfer_task(request, ctx, task_id, data)

    @post(
        "/{task_id:int}/assignment",
        status_code=200,
        guards=[requires_role("supervisor")],
        summary="Give a task to a clerk of the department (supervisors)",
    )
    async def assign(self, request: Request, ctx: HubContext, task_id: int, data: AssignmentCreate) -> TaskMoveRead:
        return await assign_task(request, ctx, task_id, data)


async def move_task(request: Request, ctx: HubContext, task_id: int, update: str, build, **audit: Any) -> TaskMoveRead:
    """Authorize, send the update, record it, and answer with the task as it now stands."""
    user: Principal = request.user
    locale = request_locale(request)
    task, row = await load_department_task(task_id, user)
    if task.state not in ACTIVE_TASK_STATES:
        raise not_now(locale, task.state)  # closed for good: no need to ask the workflow
    handle = ctx.temporal.get_workflow_handle(row.workflow_id)
    try:
        accepted = await handle.execute_update(
            getattr(ServiceRequestWorkflow, update), build(task, user, row), rpc_timeout=UPDATE_TIMEOUT
        )
    except WorkflowUpdateFailedError as exc:
        # The workflow refused the move (its state does not allow it): nothing was recorded.
        log.info("%s on task %s refused: %s", update, task.id, exc.cause)
        fresh = await ReviewTask.objects().where(ReviewTask.id == task.id).first()
        raise not_now(locale, fresh.state) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # the request's workflow has finished meanwhile
            fresh = await ReviewTask.objects().where(ReviewTask.id == task.id).first()
            raise not_now(locale, fresh.state) from None
        log.warning("%s on task %s not confirmed: %s", update, task.id, exc)
        # Whether the workflow took it is unknown; a retry is safe (an illegal repeat is refused).
        raise Problem(
            503,
            "decision-unconfirmed",
            N_("Decision not confirmed"),
            N_(
                "The decision could not be confirmed in time. Check the task's state, then try again if it is still open."
            ),
            headers={"Retry-After": "5"},
        ) from None
    await record(request, user, f"task.{update}", "task", task.id, request=row.ref, **audit)
    fresh = await ReviewTask.objects().where(ReviewTask.id == task.id).first()
    (read,) = await task_reads([fresh], ctx, locale)
    return TaskMoveRead(task=read, request_state=accepted.request_state)


async def decide_task(request: Request, ctx: HubContext, task_id: int, data: DecisionCreate) -> TaskMoveRead:
    comment = plain_text(data.comment)
    if len(comment) > MAX_COMMENT:
        raise invalid_field("comment", "string_too_long", max_length=MAX_COMMENT)
    if data.verdict == "reject":
        if data.reason_code not in REJECTION_REASONS:
            raise invalid_field("reason_code", "literal_error")
        if not comment:
            raise invalid_field("comment", "missing", N_("A rejection must give the applicant a reason."))
    second_clerk = False
    if data.verdict == "approve":
        # Maker-checker on the amount this approval would grant, computed now from the answers as
        # they stand (a supplement may have changed them since filing), not the one expected then.
        _, row = await load_department_task(task_id, request.user)
        spec = ctx.catalog.version(row.service_id, row.service_version)
        second_clerk = await needs_confirmation(spec, row, ctx.settings.confirm_above_amount)
    return await move_task(
        request,
        ctx,
        task_id,
        "decide",
        lambda t, u, row: Decision(
            **_command(t, u),
            verdict=data.verdict,
            comment=comment,
            reason_code=data.reason_code if data.verdict == "reject" else "",
            needs_confirmation=second_clerk,
        ),
        verdict=data.verdict,
    )


async def confirm_task(request: Request, ctx: HubContext, task_id: int, data: ConfirmationCreate) -> TaskMoveRead:
    comment = plain_text(data.comment)
    if len(comment) > MAX_COMMENT:
        raise invalid_field("comment", "string_too_long", max_length=MAX_COMMENT)
    if not data.accept and not comment:
        raise invalid_field("comment", "missing")
    return await move_task(
        request,
        ctx,
        task_id,
        "confirm",
        lambda t, u, row: Confirmation(**_command(t, u), accept=data.accept, comment=comment),
        accept=data.accept,
    )


async def request_information_task(
    request: Request, ctx: HubContext, task_id: int, data: InformationRequestCreate
) -> TaskMoveRead:
    message = plain_text(data.message)
    if not message:
        raise invalid_field("message", "missing")
    if len(message) > MAX_COMMENT:
        raise invalid_field("message", "string_too_long", max_length=MAX_COMMENT)
    task, row = await load_department_task(task_id, request.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    # The applicant may then change exactly these answers, so they are named, and never one the
    # government holds (a supplement cannot rewrite who the applicant is).
    if not data.fields:
        raise invalid_field("fields", "nothing_named")
    unknown = [f for f in data.fields if spec is None or f not in spec.field_names]
    if unknown or len(data.fields) > 50:
        raise invalid_field("fields", "literal_error")
    if any(f not in spec.supplementable_fields for f in data.fields):
        raise invalid_field("fields", "not_supplementable")
    return await move_task(
        request,
        ctx,
        task_id,
        "request_information",
        lambda t, u, row: InformationRequest(
            **_command(t, u), fields=list(dict.fromkeys(data.fields)), message=message
        ),
    )


async def transfer_task(request: Request, ctx: HubContext, task_id: int, data: TransferCreate) -> TaskMoveRead:
    reason = plain_text(data.reason)
    if data.to_department not in ctx.catalog.departments:
        raise invalid_field("to_department", "literal_error")
    if not reason:
        raise invalid_field("reason", "missing")
    return await move_task(
        request,
        ctx,
        task_id,
        "transfer",
        lambda t, u, row: Transfer(**_command(t, u), to_department=data.to_department, reason=reason[:MAX_COMMENT]),
        to=data.to_department,
    )


async def assign_task(request: Request, ctx: HubContext, task_id: int, data: AssignmentCreate) -> TaskMoveRead:
    user: Principal = request.user
    assignee = await Account.objects().where(Account.username == data.assignee).first()
    if assignee is None or assignee.department != user.department or assignee.role not in STAFF_ROLES:
        raise invalid_field("assignee", "literal_error")
    receiver = await delegate_of(assignee.id)
    return await move_task(
        request,
        ctx,
        task_id,
        "assign",
        lambda t, u, row: Assignment(task_key=t.key, department=t.department, supervisor_id=u.id, assignee_id=receiver),
        assignee=assignee.username,
    )


async def task_detail(request: Request, ctx: HubContext, task_id: int) -> TaskDetail:
    """One task of the caller's department with the applicant's answers, personal data masked."""
    locale = request_locale(request)
    task, row = await load_department_task(task_id, request.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    applicant = await Account.objects().where(Account.id == row.applicant).first()
    await record(request, request.user, "task.viewed", "task", task.id, request=row.ref)
    (read,) = await task_reads([task], ctx, locale)
    answers = stored_answers(spec, row)
    return TaskDetail(
        **msgspec.structs.asdict(read),
        applicant_name=mask(name_of(applicant) if applicant else ""),
        answers=masked_answers(spec, answers),
        attachments=await attachments(spec, answers, locale),
        rules=[
            RuleResultRead(rule=r["rule"], passed=r["passed"], message=gettext(locale, r["message"]))
            for r in load_json(row.rule_results)
        ],
        requested_fields=load_json(task.requested_fields or "[]"),
        request_message=opened_text(task.request_message, MESSAGE_FIELD),
    )


# A reveal (with its recorded reason) opens the task's personal files to the same clerk for this long.
REVEAL_OPENS_FILES_FOR = timedelta(minutes=30)


async def revealed_lately(user: Principal, task_id: int, path: str) -> bool:
    """Whether this account revealed the personal field at ``path`` of this task lately."""
    parts = path.split(".")
    names = {parts[0], f"{parts[0]}.{parts[-1]}"}  # the field, or its group's field (group.<i>.field)
    events = await AuditEvent.select(AuditEvent.detail).where(
        (AuditEvent.actor == user.id)
        & (AuditEvent.action == "personal_data.revealed")
        & (AuditEvent.object_type == "task")
        & (AuditEvent.object_id == str(task_id))
        & (AuditEvent.at >= now() - REVEAL_OPENS_FILES_FOR)
    )
    return any(names & set(load_json(e["detail"]).get("fields", [])) for e in events)


async def task_attachment(request: Request, ctx: HubContext, task_id: int, path: str) -> Response[bytes]:
    """A file attached to the request of a task in the caller's department. A personal file (a
    photo, an identity document) only after the clerk revealed the personal data with a reason."""
    user: Principal = request.user
    task, row = await load_department_task(task_id, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    field, token = attached_field(spec, stored_answers(spec, row), path)
    if field.personal and not await revealed_lately(user, task.id, path):
        raise Problem(
            403,
            "reveal-first",
            N_("Reveal the personal data first"),
            N_("This file is personal data. Reveal the applicant's personal data, with your reason, to open it."),
        )
    response = await attachment_response(ctx, token, f"{row.ref}-{path}")
    await record(request, user, "attachment.downloaded", "task", task.id, request=row.ref, field=path)
    return response


async def reveal_personal_data(request: Request, ctx: HubContext, task_id: int, reason: str) -> RevealedApplicant:
    """The applicant's data in clear for a clerk of the reviewing department, who must say why;
    the reveal (who, when, why) goes into the request's audit trail."""
    reason = plain_text(reason)
    if len(reason) < 4:
        raise invalid_field("reason", "missing", N_("Say why you need to see the personal data."))
    if len(reason) > MAX_COMMENT:
        raise invalid_field("reason", "string_too_long", max_length=MAX_COMMENT)
    task, row = await load_department_task(task_id, request.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    applicant = await Account.objects().where(Account.id == row.applicant).first()
    answers = stored_answers(spec, row)
    await record(
        request,
        request.user,
        "personal_data.revealed",
        "task",
        task.id,
        request=row.ref,
        fields=sorted(spec.personal_fields if spec else answers),
        reason=reason,
    )
    return RevealedApplicant(applicant_name=name_of(applicant) if applicant else "", answers=answers)


async def find_tasks(
    user: Principal,
    state_filter: str = "active",
    service: str | None = None,
    applicant_type: str | None = None,
    due_before: dt.datetime | None = None,
    mine: bool = False,
    escalated: bool | None = None,
    sort: str = "due_at",
    limit: int = 100,
    offset: int = 0,
) -> list[ReviewTask]:
    """The caller's department's inbox, filtered and sorted."""
    query = ReviewTask.objects().where(ReviewTask.department == user.department)
    if state_filter == "active":
        query = query.where(ReviewTask.state.is_in(list(ACTIVE_TASK_STATES)))
    elif state_filter != "all":
        query = query.where(ReviewTask.state == state_filter)
    if service:
        query = query.where(ReviewTask.service_id == service)
    if applicant_type:
        query = query.where(ReviewTask.applicant_type == applicant_type)
    if due_before:
        query = query.where(ReviewTask.due_at < due_before)
    if mine:
        query = query.where(ReviewTask.assignee == user.id)
    if escalated is not None:
        query = query.where(ReviewTask.escalated == escalated)
    column = getattr(ReviewTask, sort.lstrip("-"))
    ascending = not sort.startswith("-")
    tasks = (
        # Ties (tasks opened in the same instant, or due the same day) keep the sort's direction.
        await query.order_by(column, ascending=ascending)
        .order_by(ReviewTask.id, ascending=ascending)
        .limit(limit)
        .offset(offset)
    )
    return tasks


async def needs_confirmation(spec: ServiceSpec | None, row: ServiceRequest, threshold: int) -> bool:
    """Maker-checker: approving a request that grants this amount or more needs a second clerk.
    A formula that cannot be computed now asks for a second clerk too."""
    if spec is None or not spec.outcome.amount:
        return False
    try:
        granted = await amount_to_grant(spec, row)
    except Exception:  # noqa: BLE001 - settling will fail the same way; a second look costs little
        log.warning("the amount of %s cannot be computed for maker-checker", row.ref, exc_info=True)
        return True
    return granted is not None and Decimal(granted) >= threshold


def _command(task: ReviewTask, user: Principal) -> dict[str, Any]:
    return {"task_key": task.key, "department": task.department, "clerk_id": user.id}
