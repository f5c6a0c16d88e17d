"""The read model, kept current by the workflow's activities (the ``RequestRecords`` port).

Every write is idempotent: rows carry the activity's key under a unique constraint, and state
changes only move forward, so a retried activity leaves exactly one record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from piccolo.table import Table

from hub.db.engine import HubPostgresEngine, PooledSQLiteEngine, qmarks
from hub.db.tables import ReviewTask, ServiceRequest, Supplement, TimelineEntry
from hub.db.transactions import writing
from hub.sealing import seal, unseal
from workflows.types import (
    ACTIVE_TASK_STATES,
    CLOSING_KINDS,
    DECISION_KINDS,
    FINAL_STATES,
    PUBLIC_TIMELINE_KINDS,
    TEXT_TIMELINE_KINDS,
    ApplySupplement,
    CancelTasks,
    OpenTask,
    RecordDecision,
    RecordStep,
    RequestState,
    StatusChange,
    TaskChange,
    TimelineKind,
)

# Timeline steps the applicant sees; the others (claims, reminders, escalations) are internal.
PUBLIC_STEPS = PUBLIC_TIMELINE_KINDS


# What people write in their own words (a clerk's comment, reason or message to the applicant,
# an applicant's rating) may name anyone: sealed at rest like other personal data, under these
# fields. Timeline steps of these kinds carry such text as their detail.
COMMENT_FIELD = "review_task.comment"
MESSAGE_FIELD = "review_task.request_message"
TIMELINE_TEXT_FIELD = "timeline.detail"
RATING_FIELD = "rating.comment"
# A post-check's finding, kept with the commitment and with the entitlement change it made.
COMMITMENT_REASON_FIELD = "commitment.reason"
# A clerk's reason for suspending, resuming or ending an entitlement.
CHANGE_REASON_FIELD = "entitlement_change.reason"
TIMELINE_TEXT_KINDS = TEXT_TIMELINE_KINDS


def sealed_text(text: str | None, field: str) -> str | None:
    """Someone's own words as stored (nothing written stays empty, not a sealed nothing)."""
    return seal(text, field) if text else text


def opened_text(text: str | None, field: str) -> str:
    return unseal(text, field) or ""


def timeline_text(kind: TimelineKind | str, detail: str) -> str:
    """A timeline step's detail as people read it: opened if it is someone's own words."""
    return opened_text(detail, TIMELINE_TEXT_FIELD) if kind in TIMELINE_TEXT_KINDS else detail


def load_json(value: Any) -> Any:
    """JSON columns come back as text on some engines and parsed on others."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def quick_rows(table: type[Table], sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of a short read written as SQL (``{}`` for each argument), one an index answers at
    once (a row by its key, a request's few tasks): on SQLite read on the event loop's thread
    (``PooledSQLiteEngine.quick_read``), or inside a transaction on its connection, as the
    statements of a write (``{}`` made ``?`` once per statement); on PostgreSQL straight from
    asyncpg (``HubPostgresEngine.quick_read``)."""
    return await _quick(table, sql, args, as_dicts=True)


async def quick_tuples(table: type[Table], sql: str, *args: Any) -> list[Sequence[Any]]:
    """As ``quick_rows``, each row a sequence in the order of the statement's columns, with no dict
    made of it: for a page of many rows read into records of its own (an inbox page)."""
    return await _quick(table, sql, args, as_dicts=False)


async def _quick(table: type[Table], sql: str, args: Sequence[Any], as_dicts: bool) -> list[Any]:
    engine = table._meta.db
    if isinstance(engine, HubPostgresEngine):
        return await engine.quick_read(sql, args, as_dicts)
    if isinstance(engine, PooledSQLiteEngine):
        transaction = engine.current_transaction.get()
        if transaction is None:
            return await engine.quick_read(sql, args, as_dicts)
        rows = list(await transaction.connection.execute_fetchall(qmarks(sql), list(args)))
    else:
        rows = await table.raw(sql, *args)
    return rows if as_dicts else [tuple(row.values()) for row in rows]


async def first(table: type[Table], sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of a query written as SQL (``{}`` for each argument), or None."""
    rows = await table.raw(sql, *args)
    return rows[0] if rows else None


async def add_timeline(
    key: str,
    request_id: int,
    kind: TimelineKind,
    at: dt.datetime,
    stage_id: str | None = None,
    department: str | None = None,
    detail: str = "",
) -> None:
    if kind in TIMELINE_TEXT_KINDS and detail:
        detail = seal(detail, TIMELINE_TEXT_FIELD) or ""
    # Written as SQL: one of the statements every step of every request makes, and Piccolo spent
    # more building this insert than the database spent running it.
    await TimelineEntry.raw(
        "INSERT INTO timeline_entry (key, request, kind, at, stage_id, department, detail) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (key) DO NOTHING",
        key,
        request_id,
        kind,
        at,
        stage_id,
        department,
        detail,
    )
    # Every move of a request or its tasks is recorded as a step: the cockpit's tallies follow it,
    # in the same transaction.
    await recount(request_id)


async def recount(request_id: int) -> None:
    """The cockpit's tallies brought up to date with a request and its tasks (``hub.db.tallies``)."""
    from hub.db import tallies  # it reads through this module

    await tallies.recount(request_id)


async def move_request(request_id: int, state: RequestState, at: dt.datetime) -> None:
    """Set a request's state, inside the caller's write transaction; a final state closes it and goes
    on its timeline. A closed request never moves back (a retried, older step must not undo the outcome)."""
    closing = state in FINAL_STATES
    await ServiceRequest.raw(
        "UPDATE service_request SET state = {}, updated_at = {}"
        + (", closed_at = {}" if closing else "")
        + " WHERE id = {} AND state NOT IN ("
        + ", ".join("{}" for _ in FINAL_STATES)
        + ")",
        *((state, at, at) if closing else (state, at)),
        request_id,
        *FINAL_STATES,
    )
    if closing:
        await add_timeline(f"request:{request_id}:{state}", request_id, CLOSING_KINDS[state], at)


class PiccoloRequestRecords:
    """Writes inbox rows, timelines and request states with Piccolo."""

    async def open_task(self, task: OpenTask) -> None:
        async with writing():
            request = (
                await ServiceRequest.select(ServiceRequest.service_id, ServiceRequest.applicant.role)
                .where(ServiceRequest.id == task.request_id)
                .first()
            )
            await ReviewTask.insert(
                ReviewTask(
                    key=task.key,
                    request=task.request_id,
                    stage_id=task.stage_id,
                    stage_title=task.stage_title,
                    department=task.department,
                    state="open",
                    opened_at=task.opened_at,
                    due_at=task.due_at,
                    remind_at=task.remind_at,
                    provisional=task.provisional,
                    service_id=request["service_id"] if request else "",
                    applicant_type=request["applicant.role"] if request else "citizen",
                )
            ).on_conflict(target=ReviewTask.key, action="DO NOTHING")
            await add_timeline(
                f"{task.key}:opened",
                task.request_id,
                "stage_opened",
                task.opened_at,
                stage_id=task.stage_id,
                department=task.department,
                detail=task.stage_title,
            )

    async def record_decision(self, decision: RecordDecision) -> None:
        state = "approved" if decision.verdict == "approve" else "rejected"
        async with writing():
            await ReviewTask.update(
                {
                    ReviewTask.state: state,
                    ReviewTask.decided_at: decision.decided_at,
                    ReviewTask.decided_by: decision.clerk_id,
                    ReviewTask.comment: sealed_text(decision.comment, COMMENT_FIELD),
                    ReviewTask.reason_code: decision.reason_code,
                }
            ).where((ReviewTask.key == decision.task_key) & ReviewTask.state.is_in(list(ACTIVE_TASK_STATES)))
            task = await ReviewTask.select(ReviewTask.stage_id).where(ReviewTask.key == decision.task_key).first()
            await add_timeline(
                f"{decision.task_key}:decided",
                decision.request_id,
                DECISION_KINDS[decision.verdict],
                decision.decided_at,
                stage_id=task["stage_id"] if task else None,
                department=decision.department,
                detail=decision.comment,
            )

    async def cancel_tasks(self, cancel: CancelTasks) -> None:
        async with writing():
            await ReviewTask.update({ReviewTask.state: "cancelled", ReviewTask.decided_at: cancel.at}).where(
                ReviewTask.key.is_in(cancel.task_keys) & ReviewTask.state.is_in(list(ACTIVE_TASK_STATES))
            )
            await recount(cancel.request_id)

    async def set_state(self, change: StatusChange) -> None:
        async with writing():
            await move_request(change.request_id, change.state, change.at)

    async def record_step(self, step: RecordStep) -> None:
        async with writing():
            await add_timeline(step.key, step.request_id, step.kind, step.at, detail=step.detail)

    async def change_task(self, change: TaskChange) -> None:
        values = {}
        for name in (
            "state",
            "assignee",
            "due_at",
            "remind_at",
            "provisional",
            "paused_at",
            "reminded",
            "escalated",
        ):
            value = getattr(change, name)
            if value is not None:
                values[getattr(ReviewTask, name)] = value
        if change.request_message is not None:
            values[ReviewTask.request_message] = sealed_text(change.request_message, MESSAGE_FIELD)
        if change.requested_fields is not None:
            values[ReviewTask.requested_fields] = json.dumps(change.requested_fields, ensure_ascii=False)
        if change.clear_assignee:
            values[ReviewTask.assignee] = None
        if change.clear_paused:
            values[ReviewTask.paused_at] = None
        async with writing():
            task = (
                await ReviewTask.select(ReviewTask.stage_id, ReviewTask.department)
                .where(ReviewTask.key == change.key)
                .first()
            )
            if values:
                await ReviewTask.update(values).where(ReviewTask.key == change.key)
            if change.kind == "task_escalated":
                await ServiceRequest.update({ServiceRequest.overdue: True}).where(
                    ServiceRequest.id == change.request_id
                )
            await add_timeline(
                change.step,
                change.request_id,
                change.kind,
                change.at,
                stage_id=task["stage_id"] if task else None,
                department=task["department"] if task else None,
                detail=change.detail,
            )

    async def apply_supplement(self, supplement: ApplySupplement) -> None:
        """Merge the applicant's supplement into the answers, once."""
        async with writing():
            row = (
                await Supplement.objects()
                .where((Supplement.token == supplement.token) & (Supplement.request == supplement.request_id))
                .first()
            )
            if row is None or row.applied_at is not None:
                return
            request = await ServiceRequest.objects().where(ServiceRequest.id == supplement.request_id).first()
            merged = {**load_json(request.answers), **load_json(row.answers)}
            changes = {
                ServiceRequest.answers: json.dumps(merged, ensure_ascii=False),
                ServiceRequest.updated_at: supplement.at,
            }
            if row.rule_results is not None:  # checked again when supplied
                changes[ServiceRequest.rule_results] = row.rule_results
                changes[ServiceRequest.expected_amount] = row.expected_amount
            await ServiceRequest.update(changes).where(ServiceRequest.id == supplement.request_id)
            await Supplement.update({Supplement.applied_at: supplement.at}).where(Supplement.id == row.id)
