"""A department's inbox: the tasks it holds, how many in each state, and one task in detail."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from piccolo.query.functions.aggregate import Count

from hub.accounts import Principal, name_of
from hub.actor import Actor
from hub.audit import record
from hub.catalog.presenting import department
from hub.context import HubContext
from hub.db.records import MESSAGE_FIELD, load_json, opened_text
from hub.db.tables import Account, ReviewTask
from hub.i18n import gettext
from hub.privacy import mask, masked_answers
from hub.requests.presenter import RuleResultRead, stored_answers
from hub.uploads.files import attachments
from hub.workbench.access import load_department_task, staff_member
from hub.workbench.presenter import InboxCounts, TaskDetail, task_reads
from workflows.types import ACTIVE_TASK_STATES

INBOX_LIMIT = 200
TaskFilter = Literal[
    "active", "open", "claimed", "waiting_applicant", "approved", "rejected", "cancelled", "transferred", "all"
]
SortKey = Literal["due_at", "-due_at", "opened_at", "-opened_at"]


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


async def inbox_counts(actor: Actor, ctx: HubContext) -> InboxCounts:
    """How many tasks the caller's department has in each state, how many are overdue, how many are theirs."""
    user = staff_member(actor)
    rows = (
        await ReviewTask.select(ReviewTask.state, Count(ReviewTask.id, alias="count"))
        .where(ReviewTask.department == user.department)
        .group_by(ReviewTask.state)
    )
    active = (ReviewTask.department == user.department) & ReviewTask.state.is_in(list(ACTIVE_TASK_STATES))
    return InboxCounts(
        department=department(ctx.catalog, user.department or "", actor.locale),
        by_state={r["state"]: r["count"] for r in rows},
        overdue=await ReviewTask.count().where(active & (ReviewTask.escalated == True)),  # noqa: E712
        mine=await ReviewTask.count().where(active & (ReviewTask.assignee == user.id)),
    )


async def task_detail(actor: Actor, ctx: HubContext, task_id: int) -> TaskDetail:
    """One task of the caller's department with the applicant's answers, personal data masked."""
    locale = actor.locale
    task, row = await load_department_task(task_id, actor.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    applicant = await Account.objects().where(Account.id == row.applicant).first()
    await record(actor, actor.user, "task.viewed", "task", task.id, request=row.ref)
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
