"""The whole audit log, for auditors: the ones who oversee everyone else, administrators included.

A request's own trail is at ``/api/requests/{ref}/audit``. Here is every event (sign-in locks
lifted, API tokens issued, personal data revealed, Temporal payloads opened, programs published...),
newest first, filtered by action, actor, object or time, a page at a time. Reading it is recorded
in it too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter

from forms.clock import BEIJING
from hub.audit import opened_detail, record
from hub.db.tables import Account, AuditEvent
from hub.web.problems import invalid_field
from hub.web.security import requires_role

PAGE = 100
MAX_PAGE = 500


class AuditEventRead(msgspec.Struct):
    id: int
    at: dt.datetime
    actor: str | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str
    request_ref: str | None
    remote_addr: str
    detail: dict[str, Any]


class AuditPage(msgspec.Struct):
    events: list[AuditEventRead]
    # Pass as ``before`` for the next (older) page; null on the last one.
    next_before: int | None


async def actors_of(actor_ids: list[int | None]) -> dict[int, dict[str, str]]:
    """Username and role of each actor named in a list of events (one query)."""
    ids = sorted({a for a in actor_ids if a}) or [0]
    rows = await Account.select(Account.id, Account.username, Account.role).where(Account.id.is_in(ids))
    return {row["id"]: row for row in rows}


def moment(field: str, given: str | None, *, whole_day_after: bool = False) -> dt.datetime | None:
    """A time the caller gave: an ISO date and time (without a zone, UTC, as the log keeps it), or a
    date, which is a day in Beijing: its start, or with ``whole_day_after`` the start of the next."""
    if not given:
        return None
    try:
        if len(given) == 10:
            day = dt.date.fromisoformat(given) + dt.timedelta(days=1 if whole_day_after else 0)
            return dt.datetime.combine(day, dt.time(), BEIJING)
        parsed = dt.datetime.fromisoformat(given)
    except ValueError:
        raise invalid_field(field, "date_parsing") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class AuditController(Controller):
    path = "/api/audit"
    tags = ["oversight"]

    @get(
        "/",
        guards=[requires_role("auditor")],
        summary="Every audit event, newest first, filtered and a page at a time (auditors)",
    )
    async def events(
        self,
        request: Request,
        action: str | None = None,
        actor: str | None = Parameter(default=None, description="the actor's username"),
        object_type: str | None = None,
        object_id: str | None = None,
        since: str | None = Parameter(default=None, description="from this date (Beijing) or ISO time on"),
        until: str | None = Parameter(default=None, description="up to this date (Beijing, the whole day) or ISO time"),
        before: int | None = Parameter(default=None, ge=1, description="an event id: only older events"),
        limit: int = Parameter(default=PAGE, ge=1, le=MAX_PAGE),
    ) -> AuditPage:
        start, end = moment("since", since), moment("until", until, whole_day_after=True)
        where = []
        if action:
            where.append(AuditEvent.action == action)
        if actor:
            found = await Account.select(Account.id).where(Account.username == actor).first()
            where.append(AuditEvent.actor == (found["id"] if found else 0))
        if object_type:
            where.append(AuditEvent.object_type == object_type)
        if object_id:
            where.append(AuditEvent.object_id == object_id)
        if start:
            where.append(AuditEvent.at >= start)
        if end:
            where.append(AuditEvent.at < end)
        if before:
            where.append(AuditEvent.id < before)
        query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).limit(limit + 1)
        if where:
            query = query.where(*where)
        rows = await query
        more = len(rows) > limit
        rows = rows[:limit]
        actors = await actors_of([row["actor"] for row in rows])
        filters = {
            "action": action,
            "actor": actor,
            "object_type": object_type,
            "object_id": object_id,
            "since": since,
            "until": until,
            "before": before,
        }
        await record(
            request, request.user, "audit.viewed", "audit_log", "all", **{k: v for k, v in filters.items() if v}
        )
        return AuditPage(
            events=[
                AuditEventRead(
                    id=row["id"],
                    at=row["at"],
                    actor=actors[row["actor"]]["username"] if row["actor"] in actors else None,
                    actor_role=actors[row["actor"]]["role"] if row["actor"] in actors else None,
                    action=row["action"],
                    object_type=row["object_type"],
                    object_id=row["object_id"],
                    request_ref=row["request_ref"],
                    remote_addr=row["remote_addr"],
                    detail=opened_detail(row["detail"]),
                )
                for row in rows
            ],
            next_before=rows[-1]["id"] if more else None,
        )
