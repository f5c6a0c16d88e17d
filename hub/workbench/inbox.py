"""A department's inbox: the tasks it holds, how many in each state, and one task in detail."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec
from piccolo.query.functions.aggregate import Count

from hub.accounts import Principal, name_of
from hub.actor import Actor
from hub.audit import record
from hub.catalog.presenting import department
from hub.clock import now
from hub.context import HubContext
from hub.db.indexes import active_condition
from hub.db.records import MESSAGE_FIELD, load_json, opened_text, quick_tuples
from hub.db.tables import Account, ReviewTask, ServiceRequest
from hub.errors import invalid_field
from hub.privacy import mask, masked_answers
from hub.requests.conditions import conditions_read
from hub.requests.materials import credentials_used, lapsed_warning
from hub.requests.presenter import RuleResultRead, stored_answers
from hub.subsidies import claimed_program
from hub.uploads.files import attachments
from hub.workbench.access import load_department_task, staff_member
from hub.workbench.kept_inbox import kept_or_read
from hub.workbench.presenter import (
    InboxCounts,
    InboxRow,
    TaskDetail,
    TaskRead,
    task_read,
    task_reads,
)
from workflows.types import ACTIVE_TASK_STATES

INBOX_LIMIT = 200
TaskFilter = Literal[
    "active", "open", "claimed", "waiting_applicant", "approved", "rejected", "cancelled", "transferred", "all"
]
SortKey = Literal["due_at", "-due_at", "opened_at", "-opened_at"]


# What an inbox row shows (``InboxRow``), read in one query with its request's reference and
# service and the assignee's login name: the inbox is the page a clerk opens most.
_ROW_COLUMNS = InboxRow._fields[: InboxRow._fields.index("ref")]
_SORT_SQL = {
    "due_at": 't."due_at" ASC, t."id" ASC',
    "-due_at": 't."due_at" DESC, t."id" DESC',
    "opened_at": 't."opened_at" ASC, t."id" ASC',
    "-opened_at": 't."opened_at" DESC, t."id" DESC',
}


async def inbox_page(
    user: Principal,
    ctx: HubContext,
    locale: str,
    state_filter: str = "active",
    service: str | None = None,
    applicant_type: str | None = None,
    due_before: dt.datetime | None = None,
    mine: bool = False,
    escalated: bool | None = None,
    sort: str = "due_at",
    limit: int = 100,
    offset: int = 0,
) -> list[TaskRead]:
    """The caller's department's inbox, filtered and sorted, as its rows show it: one query.

    Ties (tasks opened in the same instant, or due the same day) keep the sort's direction."""
    department_id = user.department or ""
    sql, args = inbox_query(
        department_id,
        user.id if mine else None,
        state_filter,
        service,
        applicant_type,
        due_before,
        escalated,
        sort,
        limit,
        offset,
    )
    labels: dict[tuple, Any] = {}
    at = now()

    async def read() -> tuple[InboxRow, ...]:
        return tuple(map(InboxRow._make, await quick_tuples(ReviewTask, sql, *args)))

    rows = await kept_or_read(department_id, ("page", sql, *args), read, lambda rows: max(len(rows), 1))
    return [task_read(row, row, ctx, locale, row.assignee_name, labels, at) for row in rows]


def in_utc(moment: dt.datetime) -> dt.datetime:
    """A filter's moment in UTC, as the times are stored (one without a zone is taken as UTC, as the
    API writes its times); one the calendar cannot hold in UTC is the caller's mistake."""
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except OverflowError:
        raise invalid_field("due_before", "date_out_of_range", earliest="0001-01-02", latest="9999-12-30") from None


def inbox_query(
    department: str,
    assignee: int | None,
    state_filter: str = "active",
    service: str | None = None,
    applicant_type: str | None = None,
    due_before: dt.datetime | None = None,
    escalated: bool | None = None,
    sort: str = "due_at",
    limit: int = 100,
    offset: int = 0,
) -> tuple[str, list[Any]]:
    """The SQL of an inbox page (``{}`` for each argument) and its arguments."""
    where: list[str] = ['t."department" = {}']
    args: list[Any] = [department]
    if state_filter == "active":
        # Written as the partial indexes of active tasks state it, so that a page is read from one
        # in its order rather than every active task of the department sorted.
        where.append(active_condition(ReviewTask._meta.db.engine_type, 't."state"'))
    elif state_filter != "all":
        where.append('t."state" = {}')
        args.append(state_filter)
    for column, value in (("service_id", service), ("applicant_type", applicant_type)):
        if value:
            where.append(f't."{column}" = {{}}')
            args.append(value)
    if due_before:
        where.append('t."due_at" < {}')
        args.append(in_utc(due_before))
    if assignee is not None:
        where.append('t."assignee" = {}')
        args.append(assignee)
    if escalated is not None:
        where.append('t."escalated" = {}')
        args.append(escalated)
    columns = ", ".join(f't."{c}" AS "{c}"' for c in _ROW_COLUMNS)
    sql = (
        f'SELECT {columns}, r."ref" AS "ref", r."service_id" AS "service_id", '
        f'r."service_version" AS "service_version", a."username" AS "assignee_name" '
        f'FROM "{ReviewTask._meta.tablename}" t '
        f'JOIN "{ServiceRequest._meta.tablename}" r ON r."id" = t."request" '
        f'LEFT JOIN "{Account._meta.tablename}" a ON a."id" = t."assignee" '
        f"WHERE {' AND '.join(where)} ORDER BY {_SORT_SQL[sort]} LIMIT {{}} OFFSET {{}}"
    )
    return sql, [*args, limit, offset]


async def inbox_counts(actor: Actor, ctx: HubContext) -> InboxCounts:
    """How many tasks the caller's department has in each state, how many are overdue, how many are theirs."""
    user = staff_member(actor)
    active = (ReviewTask.department == user.department) & ReviewTask.state.is_in(list(ACTIVE_TASK_STATES))

    async def read() -> tuple[dict[str, int], int, int]:
        rows = (
            await ReviewTask.select(ReviewTask.state, Count(ReviewTask.id, alias="count"))
            .where(ReviewTask.department == user.department)
            .group_by(ReviewTask.state)
        )
        return (
            {r["state"]: r["count"] for r in rows},
            await ReviewTask.count().where(active & (ReviewTask.escalated == True)),  # noqa: E712
            await ReviewTask.count().where(active & (ReviewTask.assignee == user.id)),
        )

    by_state, overdue, mine = await kept_or_read(user.department or "", ("counts", user.id), read)
    return InboxCounts(
        department=department(ctx.catalog, user.department or "", actor.locale),
        by_state=dict(by_state),
        overdue=overdue,
        mine=mine,
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
    # Each credential the request relies on is checked again now, before the clerk decides.
    used = await credentials_used(spec, answers, ctx.catalog, locale)
    # A claim's request was checked against its program's conditions too, which say them in both languages.
    program = await claimed_program(row.id)
    rule_results, check_results = load_json(row.rule_results or "[]"), load_json(row.check_results or "[]")
    return TaskDetail(
        **msgspec.structs.asdict(read),
        applicant_name=mask(name_of(applicant) if applicant else ""),
        answers=masked_answers(spec, answers),
        attachments=await attachments(spec, answers, locale),
        rules=[
            RuleResultRead(rule=c.rule, passed=c.passed, message=c.message)
            for c in conditions_read(spec, program, rule_results, [], locale, every=True)
        ],
        conditions=conditions_read(spec, program, rule_results, check_results, locale),
        requested_fields=load_json(task.requested_fields or "[]"),
        request_message=opened_text(task.request_message, MESSAGE_FIELD),
        credentials=used,
        credential_warning=lapsed_warning(used, locale),
    )
