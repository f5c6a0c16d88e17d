"""Which tasks a caller may see: those in their department's inbox."""

from __future__ import annotations

from hub.accounts import Principal
from hub.actor import Actor
from hub.db.tables import ReviewTask, ServiceRequest
from hub.errors import forbidden, not_found


async def load_department_task(task_id: int, user: Principal | None) -> tuple[ReviewTask, ServiceRequest]:
    """The task if it is in the caller's department's inbox. Another department's task is not found,
    exactly as one that does not exist: an answer must not tell that it exists."""
    task = await ReviewTask.objects().where(ReviewTask.id == task_id).first()
    if task is None or user is None or task.department != user.department:
        raise not_found()
    row = await ServiceRequest.objects().where(ServiceRequest.id == task.request).first()
    if row is None:  # a task always belongs to a request (a foreign key); this is for the type checker
        raise not_found()
    return task, row


async def current_state(task_id: int) -> str:
    """The task's state as the read model has it now."""
    fresh = await ReviewTask.select(ReviewTask.state).where(ReviewTask.id == task_id).first()
    return fresh["state"] if fresh else ""


def staff_member(actor: Actor) -> Principal:
    """The caller's account: the workbench is for signed-in staff (the web edge's guards say which)."""
    if actor.user is None:
        raise forbidden()
    return actor.user
