"""An applicant's move on a running request (withdrawal, supplement), sent to its workflow as a
typed update; refused when the request's state does not allow it."""

from __future__ import annotations

from typing import Any

from hub.context import HubContext
from hub.db.tables import ServiceRequest
from hub.errors import HubError, unavailable
from hub.i18n import N_
from hub.temporal import UpdateRefused, send_update
from workflows.types import FINAL_STATES


async def send_applicant_update(ctx: HubContext, row: ServiceRequest, update: Any, payload: Any, refused: str) -> None:
    """Send an applicant's update to the request's workflow; a conflict saying ``refused`` when the
    request's state does not allow it (the workflow's validator said no, or the workflow has finished)."""
    closed = HubError("conflict", "request-closed", N_("Not possible now"), refused)
    if row.state in FINAL_STATES:
        raise closed
    if ctx.temporal is None:
        raise unavailable()
    try:
        await send_update(ctx.temporal, row.workflow_id, update, payload)
    except UpdateRefused:
        raise closed from None
