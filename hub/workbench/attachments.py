"""Which attached file a clerk may open: any of their department's task, a personal one (a photo,
an identity document) only after they revealed the personal data with a reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from hub.actor import Actor
from hub.audit import record
from hub.context import HubContext
from hub.errors import HubError
from hub.i18n import N_
from hub.requests.presenter import stored_answers
from hub.uploads.files import attached_field
from hub.workbench.access import load_department_task, staff_member
from hub.workbench.reveal import revealed_lately

Delivered = TypeVar("Delivered")


def reveal_first() -> HubError:
    """A personal file is opened only after a reveal."""
    return HubError(
        "forbidden",
        "reveal-first",
        N_("Reveal the personal data first"),
        N_("This file is personal data. Reveal the applicant's personal data, with your reason, to open it."),
    )


async def open_task_attachment(
    actor: Actor,
    ctx: HubContext,
    task_id: int,
    path: str,
    deliver: Callable[[str, str], Awaitable[Delivered]],
) -> Delivered:
    """Hand the file at ``path`` of the task's request to ``deliver(token, download name)`` (the
    edge makes it a download), then record that it was opened."""
    user = staff_member(actor)
    task, row = await load_department_task(task_id, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    field, token = attached_field(spec, stored_answers(spec, row), path)
    if field.personal and not await revealed_lately(user, task.id, path):
        raise reveal_first()
    delivered = await deliver(token, f"{row.ref}-{path}")
    await record(actor, actor.user, "attachment.downloaded", "task", task.id, request=row.ref, field=path)
    return delivered
