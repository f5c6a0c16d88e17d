"""A request's parts as its detail shows them (its tasks, its timeline, its documents), read in the
statement that reads the request.

Each part comes back as one column, a JSON array of its rows (SQLite's ``json_group_array``,
PostgreSQL's ``json_agg``), so that a detail is two statements (the session, the request with its
parts) where it was five. On PostgreSQL every statement is a round trip that cost the web process
more than the database spent answering it; on a database on another machine, a network's latency
each.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

from hub.db.records import quick_rows
from hub.db.tables import Document, ReviewTask, ServiceRequest, TimelineEntry

# What a detail shows of each part, and what orders it: the JSON arrays keep no order of their own,
# so each part is sorted once decoded, by the columns named last.
TASK_COLUMNS = (
    "stage_id",
    "stage_title",
    "department",
    "state",
    "due_at",
    "decided_at",
    "provisional",
    "request_message",
    "requested_fields",
    "paused_at",
    "opened_at",
    "id",
)
ENTRY_COLUMNS = ("at", "kind", "stage_id", "department", "detail", "id")
DOCUMENT_COLUMNS = (
    "id",
    "kind",
    "media_type",
    "size",
    "sha256",
    "content",
    "issued_at",
    "number",
    "verification_code",
    "status",
)
# Times come back as text inside JSON; flags as 0/1 from SQLite. A JSON column (a task's
# ``requested_fields``) comes back as its text from SQLite and parsed from PostgreSQL: read it with
# ``load_json``, which takes either.
MOMENTS = frozenset({"due_at", "decided_at", "opened_at", "paused_at", "at", "issued_at"})
FLAGS = frozenset({"provisional"})
PART_NAMES = ("tasks_json", "entries_json", "documents_json")

_PARTS = (
    (ReviewTask, TASK_COLUMNS, attrgetter("opened_at", "id")),
    (TimelineEntry, ENTRY_COLUMNS, attrgetter("at", "id")),
    (Document, DOCUMENT_COLUMNS, attrgetter("issued_at", "id")),
)


@dataclass(frozen=True)
class RequestParts:
    tasks: list[SimpleNamespace]
    entries: list[SimpleNamespace]
    documents: list[SimpleNamespace]


def on_postgres() -> bool:
    return isinstance(ServiceRequest._meta.db, PostgresEngine)


@functools.cache
def parts_columns(postgres: bool, request_id: str) -> str:
    """The three parts as columns of a SELECT (``tasks_json``, ``entries_json``, ``documents_json``)
    of the request whose id is the SQL expression ``request_id`` (a column of the statement)."""
    aggregate, array = ("json_agg", "json_build_array") if postgres else ("json_group_array", "json_array")
    columns = []
    for (table, names, _), name in zip(_PARTS, PART_NAMES, strict=True):
        listed = ", ".join(f'p."{c}"' for c in names)
        columns.append(
            f'(SELECT {aggregate}({array}({listed})) FROM "{table._meta.tablename}" p '
            f'WHERE p."request" = {request_id}) AS "{name}"'
        )
    return ", ".join(columns)


@functools.cache
def _parts_sql(postgres: bool) -> str:
    columns = parts_columns(postgres, 'r."id"')
    return f'SELECT {columns} FROM "{ServiceRequest._meta.tablename}" r WHERE r."id" = {{}}'


async def read_parts(request_id: int) -> RequestParts:
    """A request's parts, for a detail of a request read without them."""
    rows = await quick_rows(ServiceRequest, _parts_sql(on_postgres()), request_id)
    return parts_of(rows[0]) if rows else RequestParts([], [], [])


def parts_of(row: Mapping[str, Any]) -> RequestParts:
    """The parts decoded from a row that has the columns ``parts_columns`` makes."""
    tasks, entries, documents = (
        sorted(_records(row[name], names), key=order)
        for (_, names, order), name in zip(_PARTS, PART_NAMES, strict=True)
    )
    return RequestParts(tasks, entries, documents)


def _records(value: str | bytes | None, names: tuple[str, ...]) -> list[SimpleNamespace]:
    if value is None:  # PostgreSQL's aggregate of no rows
        return []
    moments, flags = MOMENTS.intersection(names), FLAGS.intersection(names)
    records = []
    for values in msgspec.json.decode(value):
        record = dict(zip(names, values, strict=True))
        for name in moments:
            if record[name] is not None:
                record[name] = _moment(record[name])
        for name in flags:
            # As the engines' own converters read a flag: true, or 1 (SQLite's, as a number or text).
            record[name] = record[name] in (True, "1")
        records.append(SimpleNamespace(**record))
    return records


def _moment(text: str) -> dt.datetime:
    """A time as the engine wrote it in JSON (SQLite: as stored, in UTC; PostgreSQL: in the
    session's time zone), in UTC as a column of it would be read."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment if moment.utcoffset() == dt.timedelta(0) else moment.astimezone(dt.UTC)
