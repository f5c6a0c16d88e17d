"""Department inboxes: review tasks, and clerks' decisions (sent to the workflow as updates)."""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from forms.validation import FieldError
from hub.accounts import Principal
from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import Account, ReviewTask, ServiceRequest
from hub.i18n import N_, gettext
from hub.privacy import mask, masked_answers
from hub.web.api.requests import STATE_LABELS, RuleResultRead
from hub.web.api.services import DepartmentRead, department
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem, not_found, request_locale
from hub.web.security import STAFF_ROLES, requires_role
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import Decision

log = logging.getLogger("qinqing.tasks")
DECISION_TIMEOUT = timedelta(seconds=30)


class TaskRead(msgspec.Struct):
    id: int
    request_ref: str
    service_id: str
    service_title: str
    stage_id: str
    stage_title: str
    department: DepartmentRead
    state: str
    state_label: str
    opened_at: dt.datetime
    due_at: dt.datetime
    decided_at: dt.datetime | None
    comment: str


class TaskDetail(TaskRead):
    applicant_name: str
    answers: dict[str, Any]
    rules: list[RuleResultRead]


class DecisionCreate(msgspec.Struct):
    verdict: Literal["approve", "reject"]
    comment: str = msgspec.field(default="")


class DecisionRead(msgspec.Struct):
    task: TaskRead
    request_state: str


def task_read(task: ReviewTask, row: ServiceRequest, ctx: HubContext, locale: str) -> TaskRead:
    spec = ctx.catalog.version(row.service_id, row.service_version)
    stage_titles = {s.id: s.title for s in spec.route} if spec else {}
    return TaskRead(
        id=task.id,
        request_ref=row.ref,
        service_id=row.service_id,
        service_title=gettext(locale, spec.title) if spec else row.service_id,
        stage_id=task.stage_id,
        stage_title=gettext(locale, stage_titles.get(task.stage_id, task.stage_title)),
        department=department(ctx.catalog, task.department, locale),
        state=task.state,
        state_label=gettext(locale, STATE_LABELS.get(task.state, task.state)),
        opened_at=task.opened_at,
        due_at=task.due_at,
        decided_at=task.decided_at,
        comment=task.comment,
    )


async def load_department_task(task_id: int, user: Principal) -> tuple[ReviewTask, ServiceRequest]:
    """The task if it is in the caller's department's inbox; otherwise 404 (whether or not it exists)."""
    task = await ReviewTask.objects().where(ReviewTask.id == task_id).first()
    if task is None:
        raise not_found()
    if task.department != user.department:
        raise Problem(
            403,
            "other-department",
            N_("Not your department"),
            N_("This task belongs to another department's inbox."),
        )
    row = await ServiceRequest.objects().where(ServiceRequest.id == task.request).first()
    return task, row


def already_decided(state: str) -> Problem:
    return Problem(
        409,
        "task-closed",
        N_("Task already closed"),
        N_("This task is already closed ({state}); the decision was not recorded."),
        params={"state": state},
    )


class TaskController(Controller):
    path = "/api/tasks"
    tags = ["workbench"]
    guards = [requires_role(*STAFF_ROLES)]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get(
        "/",
        summary="My department's inbox (open tasks by default, soonest deadline first)",
    )
    async def inbox(
        self,
        request: Request,
        ctx: HubContext,
        state_filter: Literal["open", "approved", "rejected", "cancelled", "all"] = Parameter(
            query="state", default="open"
        ),
    ) -> list[TaskRead]:
        user: Principal = request.user
        locale = request_locale(request)
        query = ReviewTask.objects().where(ReviewTask.department == user.department)
        if state_filter != "all":
            query = query.where(ReviewTask.state == state_filter)
        tasks = await query.order_by(ReviewTask.due_at).limit(500)
        rows = {}
        if tasks:
            for r in await ServiceRequest.objects().where(ServiceRequest.id.is_in([t.request for t in tasks])):
                rows[r.id] = r
        return [task_read(t, rows[t.request], ctx, locale) for t in tasks]

    @get(
        "/{task_id:int}",
        summary="One task with the applicant's answers (personal data masked)",
    )
    async def get_task(self, request: Request, ctx: HubContext, task_id: int) -> TaskDetail:
        locale = request_locale(request)
        task, row = await load_department_task(task_id, request.user)
        spec = ctx.catalog.version(row.service_id, row.service_version)
        applicant = await Account.objects().where(Account.id == row.applicant).first()
        await record(request, request.user, "task.viewed", "task", task.id, request=row.ref)
        return TaskDetail(
            **msgspec.structs.asdict(task_read(task, row, ctx, locale)),
            applicant_name=mask(applicant.full_name if applicant else ""),
            answers=masked_answers(spec, load_json(row.answers)),
            rules=[
                RuleResultRead(
                    rule=r["rule"],
                    passed=r["passed"],
                    message=gettext(locale, r["message"]),
                )
                for r in load_json(row.rule_results)
            ],
        )

    @post(
        "/{task_id:int}/decision",
        status_code=200,
        summary="Approve or reject a task (a reason is required to reject)",
    )
    async def decide(self, request: Request, ctx: HubContext, task_id: int, data: DecisionCreate) -> DecisionRead:
        user: Principal = request.user
        locale = request_locale(request)
        comment = data.comment.strip()
        if len(comment) > 2000:
            raise Problem(
                422,
                "validation-failed",
                N_("The form has errors"),
                errors=[_error("comment", "string_too_long", max_length=2000)],
            )
        if data.verdict == "reject" and not comment:
            raise Problem(
                422,
                "validation-failed",
                N_("The form has errors"),
                N_("A rejection must give the applicant a reason."),
                errors=[_error("comment", "missing")],
            )
        task, row = await load_department_task(task_id, user)
        if task.state != "open":
            raise already_decided(gettext(locale, STATE_LABELS.get(task.state, task.state)))
        handle = ctx.temporal.get_workflow_handle(row.workflow_id)
        try:
            accepted = await handle.execute_update(
                ServiceRequestWorkflow.decide,
                Decision(
                    task_key=task.key,
                    department=task.department,
                    clerk_id=user.id,
                    verdict=data.verdict,
                    comment=comment,
                ),
                rpc_timeout=DECISION_TIMEOUT,
            )
        except WorkflowUpdateFailedError as exc:
            # The workflow's validator refused it (e.g. another clerk decided first): nothing was recorded.
            log.info("decision on task %s refused: %s", task.id, exc.cause)
            fresh = await ReviewTask.objects().where(ReviewTask.id == task.id).first()
            raise already_decided(gettext(locale, STATE_LABELS.get(fresh.state, fresh.state))) from None
        except RPCError as exc:
            log.warning("decision on task %s not confirmed: %s", task.id, exc)
            # Whether the workflow took it is unknown; a retry is safe (a second decision is refused).
            raise Problem(
                503,
                "decision-unconfirmed",
                N_("Decision not confirmed"),
                N_("The decision could not be confirmed in time. Check the task's state, then try again if it is still open."),
                headers={"Retry-After": "5"},
            ) from None
        await record(
            request,
            user,
            "task.decided",
            "task",
            task.id,
            request=row.ref,
            verdict=data.verdict,
        )
        fresh = await ReviewTask.objects().where(ReviewTask.id == task.id).first()
        return DecisionRead(
            task=task_read(fresh, row, ctx, locale),
            request_state=accepted.request_state,
        )


def _error(field: str, code: str, **context: Any) -> FieldError:
    return FieldError(field=field, code=code, context=context)
