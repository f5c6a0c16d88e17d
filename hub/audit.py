"""The audit trail: who saw or changed what, when, and from where.

Append-only and hash-chained: every event stores the hash of the event before it and its own hash
over its content and that link; ``AuditHead`` holds the last one. ``verify_chain`` walks the chain
and names every event that was edited, deleted or slipped in. Appends are serialised (a write
transaction that takes SQLite's write lock up front; on PostgreSQL one statement that locks the
head row, chains and stores a batch and moves the head), so concurrent writers in several processes
still form one chain. Events recorded at the same moment outside a transaction share one commit.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import hashlib
import json
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

import msgspec
from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.engine.postgres import PostgresEngine

from forms.validation import no_such_date
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit_actions import is_family
from hub.clock import BEIJING, now
from hub.db import MAX_ID
from hub.db.records import load_json, opened_text, quick_rows, sealed_text
from hub.db.tables import Account, AuditEvent, AuditHead
from hub.db.transactions import writing
from hub.errors import invalid_field

log = logging.getLogger("qinqing.audit")

GENESIS = "0" * 64
# Why someone looked at personal data or opened a workflow's payloads, in their own words: they may
# name anyone, so they are sealed like the other free texts (hub/db/records.py) and opened where
# the log is read. The chain's hashes cover the sealed form.
AUDIT_TEXT_KEYS = ("reason",)
AUDIT_TEXT_FIELD = "audit.detail"
# A page of the whole log, and the most one may ask for.
PAGE = 100
MAX_PAGE = 500
# Auditors oversee everyone else, administrators included: they alone read the whole log.
AUDIT_LOG_ROLES = ("auditor",)
# Days a filter may name: far beyond any event's, yet days every engine and time zone can represent
# (the day after 9999-12-31, or 0001-01-01 in Beijing as UTC, cannot be).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


# Made once: ``json.dumps`` given options makes a new encoder on every call, twice per event.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
NO_DETAIL = "{}"


def _utc(value: dt.datetime) -> str:
    """As ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` gives it for every year an event can have, in a third of the time."""
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """The hash of one event: its content in a canonical form, chained to the previous hash. (On
    PostgreSQL the database computes it from ``canonical_form``: ``qinqing_audit_append``.)"""
    return hashlib.sha256(f"{prev_hash}\n{canonical_form(event)}".encode()).hexdigest()


def canonical_form(event: dict[str, Any]) -> str:
    """What an event's hash covers: its content as JSON with sorted keys and no spaces."""
    content = {
        "at": _utc(event["at"]),
        "actor": event["actor"],
        "action": event["action"],
        "object_type": event["object_type"],
        "object_id": event["object_id"],
        "request_ref": event["request_ref"],
        "remote_addr": event["remote_addr"],
        "detail": {} if event["detail"] in (NO_DETAIL, None, "") else load_json(event["detail"]),
    }
    return _CANONICAL_JSON.encode(content)


# An event's columns as ``record`` gives them, and the chain's two.
EVENT_COLUMNS = (
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "request_ref",
    "remote_addr",
    "detail",
    "prev_hash",
    "hash",
)
# Events stored by one statement at most (SQLite allows 32,766 parameters in one).
MAX_INSERT_ROWS = 500


@functools.cache
def _head_sql() -> str:
    head = AuditHead._meta.tablename
    return f'SELECT "id", "last_id", "last_hash", "count" FROM "{head}" ORDER BY "id" LIMIT 1'


@functools.lru_cache(maxsize=64)
def _insert_sql(rows: int) -> str:
    """Storing ``rows`` events in one statement, the ids they got back: SQL written once per size
    (an event built and inserted through the ORM cost more than storing it)."""
    values = "(" + ", ".join("{}" for _ in EVENT_COLUMNS) + ")"
    columns = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    return f'INSERT INTO "{AuditEvent._meta.tablename}" ({columns}) VALUES {", ".join([values] * rows)} RETURNING "id"'


@functools.cache
def _head_update_sql() -> str:
    head = AuditHead._meta.tablename
    return f'UPDATE "{head}" SET "last_id" = {{}}, "last_hash" = {{}}, "count" = {{}} WHERE "id" = {{}}'


# PostgreSQL chains a batch itself (a migration makes the function) in one statement: in the
# caller's transaction, or as a commit of its own, the head then locked for no round trip to this
# process. It is given each event's canonical form as UTF-8 bytes.
POSTGRES_APPEND_SQL = (
    "SELECT qinqing_audit_append({}::timestamptz[], {}::integer[], {}::text[], {}::text[], {}::text[],"
    " {}::text[], {}::text[], {}::text[], {}::bytea[]) AS count"
)


async def _append(values: dict[str, Any]) -> None:
    """Store one event. Inside a transaction it is part of it; outside, it joins the events recorded
    at the same moment in this process (``_GroupCommit``)."""
    if AuditEvent._meta.db.current_transaction.get() is not None:
        await _append_all([values])
    else:
        await _group_commit().append(values)


async def _append_all(events: list[dict[str, Any]]) -> None:
    """Chain ``events`` in order after the head, all of them or none: on PostgreSQL in one
    statement (``qinqing_audit_append``), elsewhere in a transaction holding the write lock (one
    statement per ``MAX_INSERT_ROWS`` events)."""
    if isinstance(AuditEvent._meta.db, PostgresEngine):
        columns = [[values[c] for values in events] for c in EVENT_COLUMNS[:-2]]
        await quick_rows(AuditEvent, POSTGRES_APPEND_SQL, *columns, [canonical_form(e).encode() for e in events])
        return
    async with writing():
        rows = await quick_rows(AuditHead, _head_sql())
        head_id, prev, count = (
            (rows[0]["id"], rows[0]["last_hash"] or GENESIS, rows[0]["count"]) if rows else (None, GENESIS, 0)
        )
        new_id = None
        for first in range(0, len(events), MAX_INSERT_ROWS):
            chunk = events[first : first + MAX_INSERT_ROWS]
            args: list[Any] = []
            for values in chunk:
                digest = event_hash(prev, values)
                args += [values[c] for c in EVENT_COLUMNS[:-2]] + [prev, digest]
                prev, count = digest, count + 1
            inserted = await quick_rows(AuditEvent, _insert_sql(len(chunk)), *args)
            # Ids grow with each insert (the chain's writers are serialised): the last is the largest.
            new_id = max(row["id"] for row in inserted)
        if head_id is None:
            await AuditHead.insert(AuditHead(last_id=new_id, last_hash=prev, count=count))
        else:
            await quick_rows(AuditHead, _head_update_sql(), new_id, prev, count, head_id)


class _GroupCommit:
    """Events recorded outside any transaction (views of personal data, mostly: one per page a clerk
    or applicant opens) are appended together when they arrive together: while one batch commits,
    the next gathers, and goes in one transaction as soon as the first is stored. Every caller
    still returns only once its own event is stored, or raises what storing it raised; only the
    commits are shared (each one waits for the disk, and on SQLite holds the one write lock).

    One task per event loop commits the batches back to back while events keep coming; callers
    only wait for their own event. (Callers once took turns at a lock to see whether theirs was
    stored: the next batch waited behind that queue, so the batches grew until every request in
    flight waited on one commit and the server sat idle during its wait for the disk.) A caller
    that stops waiting (a request cancelled) leaves its event to be stored; should storing it fail
    with no one left to tell, the log says which events were lost."""

    def __init__(self) -> None:
        self.gathering: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self.committer: asyncio.Task[None] | None = None

    async def append(self, values: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[None] = loop.create_future()
        self.gathering.append((values, stored))
        if self.committer is None or self.committer.done():
            # A context of its own: nothing of the first caller's (a transaction, above all) rides along.
            self.committer = loop.create_task(self._commit_while_gathering(), context=contextvars.Context())
            self.committer.add_done_callback(self._ended)
        await stored

    async def _commit_while_gathering(self) -> None:
        batch: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        try:
            while self.gathering:
                batch, self.gathering = self.gathering, []
                try:
                    await _append_all([values for values, _ in batch])
                except Exception as exc:
                    _lost(exc, [values for values, waiting in batch if waiting.done()])
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_exception(exc)
                else:
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_result(None)
        except BaseException as exc:
            self._give_up(exc, batch)
            raise

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self.committer is task:
            self.committer = None
            if task.cancelled() and self.gathering:  # stopped before it began
                self._give_up(asyncio.CancelledError(), [])

    def _give_up(self, exc: BaseException, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        """Stopped (the event loop is ending): whoever still waits is told so, not left waiting."""
        unsure, self.gathering = [*batch, *self.gathering], []
        _lost(exc, [values for values, _ in unsure], maybe=True)
        for _, waiting in unsure:
            waiting.cancel()


def _lost(exc: BaseException, events: list[dict[str, Any]], maybe: bool = False) -> None:
    """Events whose callers had stopped waiting, or were stopped, when storing them failed."""
    if events:
        log.error(
            "%d audit event(s) %s stored (%s): %s",
            len(events),
            "perhaps not" if maybe else "not",
            type(exc).__name__,
            ", ".join(f"{e['action']} {e['object_type']} {e['object_id']} at {e['at']}" for e in events[:20]),
        )


_group_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit] = weakref.WeakKeyDictionary()


def _group_commit() -> _GroupCommit:
    """This event loop's (a test, a CLI command and the web server each run their own)."""
    loop = asyncio.get_running_loop()
    if loop not in _group_commits:
        _group_commits[loop] = _GroupCommit()
    return _group_commits[loop]


async def record(
    origin: Any, actor: Principal | None, action: str, object_type: str, object_id: Any, /, **detail: Any
) -> None:
    """Append one audit event. ``request=<ref>`` ties it to a request's trail. Details must never
    carry personal data in clear. Called inside the ``writing()`` that makes a change, the event is
    part of that transaction: the change and its event are stored together, or neither."""
    request_ref = object_id if object_type == "request" else detail.pop("request", None)
    for key in AUDIT_TEXT_KEYS:
        if isinstance(detail.get(key), str):
            detail[key] = sealed_text(detail[key], AUDIT_TEXT_FIELD)
    await _append(
        {
            # Microseconds are what both engines keep, so the hash is recomputed exactly.
            "at": now(),
            "actor": actor.id if actor else None,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id)[:64],
            "request_ref": str(request_ref) if request_ref else None,
            "remote_addr": address_of(origin),
            "detail": _DETAIL_JSON.encode(detail) if detail else NO_DETAIL,
        }
    )


def address_of(origin: Any) -> str:
    """Where an act came from: an ``Actor``'s address, or an HTTP request's client ("" if unknown)."""
    if origin is None:
        return ""
    if hasattr(origin, "address"):
        return origin.address or ""
    client = getattr(origin, "client", None)
    return client.host if client else ""


def opened_detail(stored: Any) -> dict[str, Any]:
    """An event's detail as an auditor reads it: its sealed words opened."""
    detail = load_json(stored or "{}")
    for key in AUDIT_TEXT_KEYS:
        if isinstance(detail.get(key), str):
            detail[key] = opened_text(detail[key], AUDIT_TEXT_FIELD)
    return detail


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


async def ensure_chain_head() -> None:
    """Make the chain's head when there is none yet (``record`` chains every event as it writes it,
    so no event is ever left to chain). Run by ``qinqing migrate``, before any process appends, so
    that on PostgreSQL the first writers already have a head row to lock."""
    if not await AuditHead.exists():
        await AuditHead.insert(AuditHead(last_id=0, last_hash=GENESIS, count=0))


async def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole chain; every broken link or edited event is reported by its id."""
    report = ChainReport()
    prev, last_id = GENESIS, None
    while True:
        query = AuditEvent.select().order_by(AuditEvent.id).limit(batch)
        if last_id is not None:  # no lower bound at first: an event slipped in at id 0 or below is read too
            query = query.where(AuditEvent.id > last_id)
        events = await query
        for event in events:
            if event["prev_hash"] != prev:
                report.problems.append(
                    f"event {event['id']}: does not follow the event before it (an event was deleted or inserted)"
                )
            if event_hash(event["prev_hash"], event) != event["hash"]:
                report.problems.append(f"event {event['id']}: its content was changed after it was written")
            prev, last_id = event["hash"], event["id"]
            report.checked += 1
        if len(events) < batch:
            break
    heads = await AuditHead.select()
    if heads:
        head = heads[0]
        if head["last_id"] != (last_id or 0) or head["last_hash"] != prev or head["count"] != report.checked:
            report.problems.append(
                f"the chain ends at event {last_id} ({report.checked} events) but was last written at event "
                f"{head['last_id']} ({head['count']} events): events were deleted or added at the end"
            )
    elif report.checked:
        report.problems.append("the chain's head record is missing")
    return report


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
    Not a date (or one that does not exist, 2026-13-01) is a field error, and so is a date outside
    ``EARLIEST``..``LATEST``."""
    if not given:
        return None
    try:
        parsed = dt.datetime.fromisoformat(given) if len(given) != 10 else None
        day = parsed.date() if parsed else dt.date.fromisoformat(given)
    except ValueError:
        if no_such_date(given[:10]):
            raise invalid_field(field, "date_does_not_exist", day=given[:10]) from None
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


# Whose events a filter may ask for besides a username's: the hub's own (no user acted).
BY = ("system",)


class AuditFilters(msgspec.Struct, omit_defaults=True):
    """What an auditor asks of the log; dates as given (see ``moment``)."""

    action: str | None = None  # an action's code, or a family of them (``request.``: see ``actions_asked``)
    actor: str | None = None  # a username
    by: str | None = None  # "system": the events the hub recorded itself, with no user (see ``BY``)
    object_type: str | None = None
    object_id: str | None = None
    since: str | None = None
    until: str | None = None
    before: int | None = None


def actions_asked(asked: str) -> Combinable:
    """The events of one action (its exact code), or of a family of them when ``asked`` is one
    (``request.``: every ``request.*``). Anything else is taken as a code, and matches nothing
    when no action has it."""
    if is_family(asked):
        # The prefix compared as it is: LIKE would take the "_" of ``api_token.`` for any character
        # (and on SQLite ignore case). Its length is a number of ours, written into the SQL.
        return WhereRaw(f'substr("action", 1, {len(asked)}) = {{}}', asked)
    return AuditEvent.action == asked


async def read_audit_log(actor: Actor, asked: AuditFilters, limit: int = PAGE) -> AuditPage:
    """A page of the log, newest first, for the API and the auditor's page alike; the reading is
    recorded with what was asked. A date that is not one, or one out of range, is a field error
    (``since``/``until``), and so is an event id out of range (``before``), a ``by`` not in ``BY``,
    and a username asked with the system's events (``actor``: they have none)."""
    if asked.by and asked.by not in BY:
        raise invalid_field("by", "literal_error", expected=", ".join(BY))
    if asked.by == "system" and asked.actor:
        raise invalid_field("actor", "not_applicable")
    start, end = moment("since", asked.since), moment("until", asked.until, whole_day_after=True)
    if start is not None and end is not None and end <= start:
        # Nothing can match a period that ends before it starts: said next to its end.
        earliest = start.astimezone(BEIJING).date().isoformat()
        raise invalid_field("until", "date_out_of_range", earliest=earliest, latest=LATEST.isoformat())
    before = older_than(asked.before)
    where: list[Combinable] = []
    if asked.action:
        where.append(actions_asked(asked.action))
    if asked.actor:
        found = await Account.select(Account.id).where(Account.username == asked.actor).first()
        where.append(AuditEvent.actor == (found["id"] if found else 0))
    if asked.by == "system":
        where.append(AuditEvent.actor.is_null())
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
    await record(actor, actor.user, "audit.viewed", "audit_log", "all", **given)
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
