"""The shapes a task is read in (inbox rows, the task with its request, the answer to a move)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

import msgspec

from hub.catalog.presenting import DepartmentRead, department
from hub.clock import now
from hub.context import HubContext
from hub.db.records import COMMENT_FIELD, opened_text
from hub.db.tables import Account, ReviewTask, ServiceRequest
from hub.i18n import gettext
from hub.requests.conditions import ConditionRead
from hub.requests.materials import CredentialUsed
from hub.requests.presenter import STATE_LABELS, RuleResultRead
from hub.uploads.files import AttachmentRead
from workflows.types import TaskState


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
    # counted as working days, less the fixed-date holidays); kept as planned when the schedule is published.
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
    # Credentials that stand in for proofs: type, issuer, status at filing and now (checked as the
    # task is read); the warning when one lapsed since filing, to be read before deciding.
    credentials: list[CredentialUsed] = []
    credential_warning: str = ""
    # Every condition checked (the rules above, and the stages' automatic checks), each once.
    conditions: list[ConditionRead] = []


class InboxCounts(msgspec.Struct):
    department: DepartmentRead
    by_state: dict[str, int]
    overdue: int
    mine: int


class TaskMoveRead(msgspec.Struct):
    task: TaskRead
    request_state: str


def state_label(state: str, locale: str) -> str:
    """A task's (or request's) state as people read it."""
    # The read model stores the workflow's vocabulary; a state it does not know is shown as stored.
    return gettext(locale, STATE_LABELS.get(cast(TaskState, state), state))


def seconds_left(due_at: dt.datetime, at: dt.datetime | None = None) -> int:
    """Seconds until the time limit (negative once it has passed), from ``at`` (default: now)."""
    due = due_at if due_at.tzinfo else due_at.replace(tzinfo=dt.UTC)
    return int((due - (at or now())).total_seconds())


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


class InboxRow(NamedTuple):
    """An inbox row as its page's query reads it: the task's columns, then its request's and the
    assignee's (a tuple by name, with no dict made per row)."""

    id: int
    stage_id: str
    stage_title: str
    department: str
    applicant_type: str
    state: str
    opened_at: dt.datetime
    due_at: dt.datetime
    reminded: bool
    escalated: bool
    provisional: bool
    reason_code: str
    decided_at: dt.datetime | None
    comment: str | None
    ref: str
    service_id: str
    service_version: int
    assignee_name: str | None


def task_read(
    task: ReviewTask | SimpleNamespace | InboxRow,
    row: ServiceRequest | SimpleNamespace | InboxRow,
    ctx: HubContext,
    locale: str,
    assignee: str | None = None,
    labels: dict[tuple, tuple[str, str, DepartmentRead, str]] | None = None,
    at: dt.datetime | None = None,
) -> TaskRead:
    """One inbox row, given its request's row (only ref, service and version are read): rows or
    plain records of the same names. ``labels``: the words of rows already read, by what they
    depend on (an inbox page's rows share a few services, stages and states); ``at``: the moment
    the time left is counted from (one for a whole page; default: now)."""
    key = (row.service_id, row.service_version, task.stage_id, task.stage_title, task.department, task.state)
    words = labels.get(key) if labels is not None else None
    if words is None:
        spec = ctx.catalog.version(row.service_id, row.service_version)
        stage_titles = {s.id: s.title for s in spec.route} if spec else {}
        words = (
            gettext(locale, spec.title) if spec else row.service_id,
            gettext(locale, stage_titles.get(task.stage_id, task.stage_title)),
            department(ctx.catalog, task.department, locale),
            state_label(task.state, locale),
        )
        if labels is not None:
            labels[key] = words
    service_title, stage_title, department_read, state_words = words
    return TaskRead(
        id=task.id,
        request_ref=row.ref,
        service_id=row.service_id,
        service_title=service_title,
        applicant_type=task.applicant_type,
        stage_id=task.stage_id,
        stage_title=stage_title,
        department=department_read,
        state=task.state,
        state_label=state_words,
        assignee=assignee,
        opened_at=task.opened_at,
        due_at=task.due_at,
        seconds_left=seconds_left(task.due_at, at),
        # Flags as booleans whatever the engine hands back for them.
        reminded=bool(task.reminded),
        escalated=bool(task.escalated),
        provisional=bool(task.provisional),
        decided_at=task.decided_at,
        comment=opened_text(task.comment, COMMENT_FIELD) if task.comment else "",
        reason_code=task.reason_code,
    )
