"""The whole audit log, for auditors: the ones who oversee everyone else, administrators included.

A request's own trail is at ``/api/requests/{ref}/audit``. Here is every event (sign-in locks
lifted, API tokens issued, personal data revealed, Temporal payloads opened, programs published...),
newest first, filtered by action (or a family of actions: ``request.``), actor (or ``by=system``:
the events the hub recorded itself), object or time, a page at a time. Reading it is recorded in it too.
"""

from __future__ import annotations

from litestar import Controller, Request
from litestar.params import Parameter

from hub.audit import AUDIT_LOG_ROLES, MAX_PAGE, PAGE, AuditFilters, AuditPage, read_audit_log
from hub.web.actors import actor_of
from hub.web.routes import get
from hub.web.security import requires_role

__all__ = ["AuditController"]


class AuditController(Controller):
    path = "/api/audit"
    tags = ["oversight"]

    @get(
        "/",
        guards=[requires_role(*AUDIT_LOG_ROLES)],
        summary="Every audit event, newest first, filtered and a page at a time (auditors)",
    )
    async def events(
        self,
        request: Request,
        action: str | None = Parameter(
            default=None, description="an action's code (request.filed), or a family of them (request.)"
        ),
        actor: str | None = Parameter(default=None, description="the actor's username"),
        by: str | None = Parameter(
            default=None, description="system: only the events the hub recorded itself, with no user"
        ),
        object_type: str | None = None,
        object_id: str | None = None,
        since: str | None = Parameter(default=None, description="from this date (Beijing) or ISO time on"),
        until: str | None = Parameter(default=None, description="up to this date (Beijing, the whole day) or ISO time"),
        before: int | None = Parameter(default=None, ge=1, description="an event id: only older events"),
        limit: int = Parameter(default=PAGE, ge=1, le=MAX_PAGE),
    ) -> AuditPage:
        asked = AuditFilters(action, actor, by, object_type, object_id, since, until, before)
        return await read_audit_log(actor_of(request), asked, limit)
