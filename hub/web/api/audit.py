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
from hub.web.security import MAX_ID, requires_role

PAGE = 100
MAX_PAGE = 500
# Auditors oversee everyone else, administrators included: they alone read the whole log.
AUDIT_LOG_ROLES = ("auditor",)
# Days a filter may name: far beyond any event's, yet days every engine and time zone can represent
# (the day after 9999-12-31, or 0001-01-01 in Beijing as UTC, cannot be).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


class AuditRead(msgspec.Struct):
    """An event as a request's trail shows it."""

    at: dt.datetime
    actor: str | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str
    remote_addr: str
    detail: dict[str, Any]


class AuditEventRead(AuditRead):
    """An event of the whole log: also its id (to page by) and the request it concerns, if any."""

    id: int
    request_ref: str | None


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
    date, which is a day in Beijing: its start, or with ``whole_day_after`` the start of the next.
    Not a date is a field error, and so is a date outside ``EARLIEST``..``LATEST``."""
    if not given:
        return None
    try:
        parsed = dt.datetime.fromisoformat(given) if len(given) != 10 else None
        day = parsed.date() if parsed else dt.date.fromisoformat(given)
    except ValueError:
        raise invalid_field(field, "date_parsing") from None
    if not EARLIEST <= day <= LATEST:
        raise invalid_field(field, "date_out_of_range", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())
    if parsed is None:
        day += dt.timedelta(days=1 if whole_day_after else 0)
        return dt.datetime.combine(day, dt.time(), BEIJING)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def older_than(before: int | None) -> int | None:
    """The ``before`` event id, which no event can pass outside the ids the database holds."""
    if before is not None and not 1 <= before <= MAX_ID:
        raise invalid_field("before", "less_than_equal" if before > MAX_ID else "greater_than_equal", ge=1, le=MAX_ID)
    return before


class AuditFilters(msgspec.Struct, omit_defaults=True):
    """What an auditor asks of the log; dates as given (see ``moment``)."""

    action: str | None = None
    actor: str | None = None  # a username
    object_type: str | None = None
    object_id: str | None = None
    since: str | None = None
    until: str | None = None
    before: int | None = None


async def read_audit_log(request: Request, asked: AuditFilters, limit: int = PAGE) -> AuditPage:
    """A page of the log, newest first, for the API and the auditor's page alike; the reading is
    recorded with what was asked. A date that is not one, or one out of range, is a field error
    (``since``/``until``), and so is an event id out of range (``before``)."""
    start, end = moment("since", asked.since), moment("until", asked.until, whole_day_after=True)
    before = older_than(asked.before)
    where = []
    if asked.action:
        where.append(AuditEvent.action == asked.action)
    if asked.actor:
        found = await Account.select(Account.id).where(Account.username == asked.actor).first()
        where.append(AuditEvent.actor == (found["id"] if found else 0))
    if asked.object_type:
        where.append(AuditEvent.object_type == asked.object_type)
    if asked.object_id:
        where.append(AuditEvent.object_id == asked.object_id)
    if start:
        where.append(AuditEvent.at >= start)
    if end:
        where.append(AuditEvent.at < end)
    if before:
        where.append(AuditEvent.id < before)
    query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).limit(limit + 1)
    rows = await (query.where(*where) if where else query)
    more = len(rows) > limit
    rows = rows[:limit]
    actors = await actors_of([row["actor"] for row in rows])
    given = {key: value for key, value in msgspec.structs.asdict(asked).items() if value}
    await record(request, request.user, "audit.viewed", "audit_log", "all", **given)
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
        action: str | None = None,
        actor: str | None = Parameter(default=None, description="the actor's username"),
        object_type: str | None = None,
        object_id: str | None = None,
        since: str | None = Parameter(default=None, description="from this date (Beijing) or ISO time on"),
        until: str | None = Parameter(default=None, description="up to this date (Beijing, the whole day) or ISO time"),
        before: int | None = Parameter(default=None, ge=1, description="an event id: only older events"),
        limit: int = Parameter(default=PAGE, ge=1, le=MAX_PAGE),
    ) -> AuditPage:
        asked = AuditFilters(action, actor, object_type, object_id, since, until, before)
        return await read_audit_log(request, asked, limit)
