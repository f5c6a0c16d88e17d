"""Who may see a request: its applicant (or their enterprise), a department that reviews it, and
oversight. Anyone else is told it does not exist."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from hub.accounts import OVERSIGHT_ROLES, Principal
from hub.actor import Actor
from hub.audit import AuditRead, actors_of, opened_detail, record
from hub.db.records import quick_rows
from hub.db.tables import Account, AuditEvent, ReviewTask, ServiceRequest
from hub.enterprises import same_enterprise
from hub.errors import forbidden, not_found
from hub.requests.kept_details import forget_request, kept_or_read
from hub.requests.parts import PART_NAMES, on_postgres, parts_columns, parts_of


def signed_in(actor: Actor) -> Principal:
    """The caller's account: requests are filed, read and changed by signed-in accounts only (the
    web edge's guards see to it; the hub itself, acting with no account, never comes here)."""
    if actor.user is None:
        raise forbidden()
    return actor.user


async def load_own_request(ref: str, user: Principal) -> ServiceRequest:
    """The caller's own request (or their enterprise's); anyone else's looks like one that does not exist."""
    row = await ServiceRequest.objects().where(ServiceRequest.ref == ref).first()
    if row is None or (row.applicant != user.id and not await same_enterprise(user, row.applicant)):
        raise not_found()
    return row


async def reread(request_id: int) -> ServiceRequest:
    """A request read again after a change, as it now stands. Requests are never deleted, so one
    read before is there still; were it not, it is not found."""
    row = await ServiceRequest.objects().where(ServiceRequest.id == request_id).first()
    if row is None:
        raise not_found()
    # Changed through this process: its detail is read again here at once, without waiting for
    # PostgreSQL's notice (which the other processes go by).
    forget_request(row.ref)
    return row


async def load_visible_request(ref: str, user: Principal) -> ServiceRequest:
    """The request if the caller may see it: its applicant, a department that reviews it, or oversight.
    Anyone else gets the same 404 as for a request that does not exist."""
    row = await ServiceRequest.objects().where(ServiceRequest.ref == ref).first()
    if row is None:
        raise not_found()
    if row.applicant == user.id or user.role in OVERSIGHT_ROLES or await same_enterprise(user, row.applicant):
        return row
    if user.department and await ReviewTask.exists().where(
        (ReviewTask.request == row.id) & (ReviewTask.department == user.department)
    ):
        return row
    raise not_found()


async def applicant_side(row: ServiceRequest, user: Principal) -> bool:
    """Whether the caller reads the request as its applicant does: the applicant, or another account
    of the same enterprise (its approver acts on what its preparer filed)."""
    return row.applicant == user.id or await same_enterprise(user, row.applicant)


# What a request's detail shows of its row (``hub.requests.presenter.request_read``).
READ_COLUMNS = (
    "id",
    "ref",
    "workflow_id",
    "service_id",
    "service_version",
    "applicant",
    "state",
    "created_at",
    "updated_at",
    "closed_at",
    "answers",
    "rule_results",
    "check_results",
    "amount",
    "overdue",
)


@functools.cache
def _visible_sql(postgres: bool) -> str:
    """A request with what decides who may see it, in one read: the enterprise its applicant acts
    for, and whether a department has a task of it; and the parts its detail shows. Written once,
    run with parameters."""
    request, account, task = ServiceRequest._meta.tablename, Account._meta.tablename, ReviewTask._meta.tablename
    columns = ", ".join(f'r."{name}" AS "{name}"' for name in READ_COLUMNS)
    parts = parts_columns(postgres, 'r."id"')
    return (
        f'SELECT {columns}, a."enterprise" AS "applicant_enterprise", '
        f'EXISTS (SELECT 1 FROM "{task}" t WHERE t."request" = r."id" AND t."department" = {{}}) AS "department_task", '
        f"{parts} "
        f'FROM "{request}" r LEFT JOIN "{account}" a ON a."id" = r."applicant" WHERE r."ref" = {{}} LIMIT 1'
    )


async def viewed_request(actor: Actor, ref: str) -> tuple[SimpleNamespace, bool]:
    """A request the caller may see, its reading audited; and whether they read it as its applicant.

    The same rules as ``load_visible_request`` and ``applicant_side``, in one query: the row comes
    back with the columns a request's detail shows (``READ_COLUMNS``) and its parts (``parts``), as
    a plain record. On PostgreSQL the row may be the one this process kept (``kept_details``); who
    may see it is decided from it all the same, and the view is recorded all the same."""
    user = signed_in(actor)
    rows = await kept_or_read(
        ref, user.department, lambda: quick_rows(ServiceRequest, _visible_sql(on_postgres()), user.department, ref)
    )
    if not rows:
        raise not_found()
    row = rows[0]
    own = row["applicant"] == user.id or (
        user.role == "enterprise" and user.enterprise is not None and row["applicant_enterprise"] == user.enterprise
    )
    if not (own or user.role in OVERSIGHT_ROLES or (user.department and row["department_task"])):
        raise not_found()
    row["overdue"] = bool(row["overdue"])  # whatever the engine hands back for a flag
    parts = parts_of(row)
    for name in PART_NAMES:
        del row[name]
    await record(actor, user, "request.viewed", "request", row["ref"])
    return SimpleNamespace(**row, parts=parts), own


# Who reads a request's trail: those answering for a department's work, and oversight.
TRAIL_ROLES = ("supervisor", "auditor", "admin")


async def audit_events(actor: Actor, ref: str) -> list[AuditEvent]:
    """Who saw and changed a request the caller may see, when and from where (at most 1,000 events,
    oldest first); the reading itself is audited, after the events are read. Supervisors (of a
    department that reviews it) and oversight only."""
    user = signed_in(actor)
    if user.role not in TRAIL_ROLES:
        raise forbidden()
    row = await load_visible_request(ref, user)
    events = (
        await AuditEvent.objects()
        .where(AuditEvent.request_ref == row.ref)
        .order_by(AuditEvent.at)
        .order_by(AuditEvent.id)
        .limit(1000)
    )
    await record(actor, user, "audit.viewed", "request", row.ref)
    return events


async def request_trail(actor: Actor, ref: str) -> list[AuditRead]:
    """A request's trail as its readers see it (``audit_events``): each event with who acted (their
    sign-in name and role) and its sealed words opened. The API and the page alike."""
    events = await audit_events(actor, ref)
    actors = await actors_of([e.actor for e in events])
    return [
        AuditRead(
            at=e.at,
            actor=actors[e.actor]["username"] if e.actor in actors else None,
            actor_role=actors[e.actor]["role"] if e.actor in actors else None,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            remote_addr=e.remote_addr,
            detail=opened_detail(e.detail),
        )
        for e in events
    ]
