"""The read model, kept current by the workflow's activities (the ``RequestRecords`` port).

Every write is idempotent: rows carry the activity's key under a unique constraint, and state
changes only move forward, so a retried activity leaves exactly one record.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hub.db.tables import ReviewTask, ServiceRequest, TimelineEntry
from hub.db.transactions import writing
from workflows.types import CancelTasks, OpenTask, RecordDecision, StatusChange

FINAL_STATES = ("approved", "rejected")


def load_json(value: Any) -> Any:
    """JSON columns come back as text on some engines and parsed on others."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def add_timeline(key: str, request_id: int, kind: str, at: dt.datetime, **extra) -> None:
    await TimelineEntry.insert(TimelineEntry(key=key, request=request_id, kind=kind, at=at, **extra)).on_conflict(
        target=TimelineEntry.key, action="DO NOTHING"
    )


class PiccoloRequestRecords:
    """Writes inbox rows, timelines and request states with Piccolo."""

    async def open_task(self, task: OpenTask) -> None:
        async with writing():
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
                    ReviewTask.comment: decision.comment,
                }
            ).where((ReviewTask.key == decision.task_key) & (ReviewTask.state == "open"))
            task = await ReviewTask.select(ReviewTask.stage_id).where(ReviewTask.key == decision.task_key).first()
            await add_timeline(
                f"{decision.task_key}:decided",
                decision.request_id,
                f"task_{state}",
                decision.decided_at,
                stage_id=task["stage_id"] if task else None,
                department=decision.department,
                detail=decision.comment,
            )

    async def cancel_tasks(self, cancel: CancelTasks) -> None:
        async with writing():
            await ReviewTask.update({ReviewTask.state: "cancelled", ReviewTask.decided_at: cancel.at}).where(
                ReviewTask.key.is_in(cancel.task_keys) & (ReviewTask.state == "open")
            )

    async def set_state(self, change: StatusChange) -> None:
        values = {
            ServiceRequest.state: change.state,
            ServiceRequest.updated_at: change.at,
        }
        if change.state in FINAL_STATES:
            values[ServiceRequest.closed_at] = change.at
        async with writing():
            # Never move a closed request back (a retried, older activity must not undo the outcome).
            await ServiceRequest.update(values).where(
                (ServiceRequest.id == change.request_id) & ServiceRequest.state.not_in(list(FINAL_STATES))
            )
            if change.state in FINAL_STATES:
                await add_timeline(
                    f"request:{change.request_id}:{change.state}",
                    change.request_id,
                    f"request_{change.state}",
                    change.at,
                )
