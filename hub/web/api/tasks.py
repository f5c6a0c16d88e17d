"""Department inboxes and the moves clerks and supervisors make on tasks, over HTTP.

The rules live in ``hub/workbench``: this controller parses, guards the route by role and scope,
and hands over. The workflow decides whether a move is legal now: an illegal one (deciding twice,
deciding a released task...) is refused before anything is recorded, and the caller gets 409.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub.web.actors import actor_of
from hub.web.context import HubContext, context_of, provide_context
from hub.web.downloads import attachment_response
from hub.web.routes import get, post
from hub.web.security import STAFF_ROLES, requires_role
from hub.workbench import moves
from hub.workbench.attachments import open_task_attachment
from hub.workbench.inbox import INBOX_LIMIT, SortKey, TaskFilter, inbox_counts, inbox_page, task_detail
from hub.workbench.moves import (
    AssignmentCreate,
    ConfirmationCreate,
    DecisionCreate,
    InformationRequestCreate,
    PostCheckCreate,
    TransferCreate,
)
from hub.workbench.presenter import InboxCounts, TaskDetail, TaskMoveRead, TaskRead
from hub.workbench.reveal import reveal_personal_data

# Kept importable from here: the longest comment a clerk may write.
__all__ = ["TaskController"]

# Department systems with an API token act on tasks only with this scope.
DECIDE = requires_role(*STAFF_ROLES, scope="tasks:decide")


class RevealCreate(msgspec.Struct):
    fields: list[str]
    # Why the clerk needs the data in clear: recorded in the audit trail.
    reason: str


class RevealRead(msgspec.Struct):
    values: dict[str, Any]


class TaskController(Controller):
    path = "/api/tasks"
    tags = ["workbench"]
    guards = [requires_role(*STAFF_ROLES, scope="tasks:read")]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="My department's inbox, soonest time limit first")
    async def inbox(
        self,
        request: Request,
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
        actor = actor_of(request)
        return await inbox_page(
            actor.user,
            context_of(request),
            actor.locale,
            state_filter,
            service,
            applicant_type,
            due_before,
            mine,
            escalated,
            sort,
            limit,
            offset,
        )

    @get("/counts", summary="How many tasks my department has in each state, overdue, and mine")
    async def counts(self, request: Request, ctx: HubContext) -> InboxCounts:
        return await inbox_counts(actor_of(request), ctx)

    @get("/{task_id:int}", summary="One task with the applicant's answers (personal data masked)")
    async def get_task(self, request: Request, ctx: HubContext, task_id: int) -> TaskDetail:
        return await task_detail(actor_of(request), ctx, task_id)

    @get(
        "/{task_id:int}/attachments/{path:str}",
        summary="Download a file the applicant attached; a personal one after revealing the personal data",
    )
    async def attachment(self, request: Request, ctx: HubContext, task_id: int, path: str) -> Response[bytes]:
        return await open_task_attachment(actor_of(request), ctx, task_id, path, partial(attachment_response, ctx))

    @post(
        "/{task_id:int}/reveal",
        status_code=200,
        guards=[requires_role(*STAFF_ROLES)],
        summary="See personal answers in clear; the reason is recorded in the audit trail",
    )
    async def reveal(self, request: Request, ctx: HubContext, task_id: int, data: RevealCreate) -> RevealRead:
        shown = await reveal_personal_data(actor_of(request), ctx, task_id, data.reason, data.fields)
        return RevealRead(values=shown.values())

    @post("/{task_id:int}/claim", status_code=200, guards=[DECIDE], summary="Take a task from the department's inbox")
    async def claim(self, request: Request, ctx: HubContext, task_id: int) -> TaskMoveRead:
        return await moves.claim(actor_of(request), ctx, task_id)

    @post(
        "/{task_id:int}/release",
        status_code=200,
        guards=[DECIDE],
        summary="Put a task back into the department's inbox",
    )
    async def release(self, request: Request, ctx: HubContext, task_id: int) -> TaskMoveRead:
        return await moves.release(actor_of(request), ctx, task_id)

    @post(
        "/{task_id:int}/decision",
        status_code=200,
        guards=[DECIDE],
        summary="Approve or reject a task you hold (a rejection needs a reason code and an explanation)",
    )
    async def decide(self, request: Request, ctx: HubContext, task_id: int, data: DecisionCreate) -> TaskMoveRead:
        return await moves.decide(actor_of(request), ctx, task_id, data)

    @post(
        "/{task_id:int}/confirmation",
        status_code=200,
        guards=[DECIDE],
        summary="Confirm, or send back, a colleague's approval of a large amount (maker-checker)",
    )
    async def confirm(self, request: Request, ctx: HubContext, task_id: int, data: ConfirmationCreate) -> TaskMoveRead:
        return await moves.confirm(actor_of(request), ctx, task_id, data)

    @post(
        "/{task_id:int}/information-request",
        status_code=200,
        guards=[DECIDE],
        summary="Ask the applicant for more; the clock stops until they answer",
    )
    async def request_information(
        self, request: Request, ctx: HubContext, task_id: int, data: InformationRequestCreate
    ) -> TaskMoveRead:
        return await moves.request_information(actor_of(request), ctx, task_id, data)

    @post(
        "/{task_id:int}/post-check",
        status_code=200,
        guards=[DECIDE],
        summary="Record the post-check of a commitment you hold: kept, or broken with the reason (revokes the decision)",
    )
    async def post_check(self, request: Request, ctx: HubContext, task_id: int, data: PostCheckCreate) -> TaskMoveRead:
        return await moves.record_post_check(actor_of(request), ctx, task_id, data)

    @post(
        "/{task_id:int}/transfer",
        status_code=200,
        guards=[DECIDE],
        summary="Send a task you hold to the department it belongs to",
    )
    async def transfer(self, request: Request, ctx: HubContext, task_id: int, data: TransferCreate) -> TaskMoveRead:
        return await moves.transfer(actor_of(request), ctx, task_id, data)

    @post(
        "/{task_id:int}/assignment",
        status_code=200,
        guards=[requires_role("supervisor")],
        summary="Give a task to a clerk of the department (supervisors)",
    )
    async def assign(self, request: Request, ctx: HubContext, task_id: int, data: AssignmentCreate) -> TaskMoveRead:
        return await moves.assign(actor_of(request), ctx, task_id, data)
