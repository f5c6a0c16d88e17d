"""A request's detail kept in a web process on PostgreSQL, for as long as word of every change
reaches it.

"Where is my request?" is the page applicants open most, and each is one statement to the
database (the request with its tasks, timeline and documents) besides the record of the view. With
two web processes on one machine, that statement's share of the database's CPU held a detail back
(bench/README.md). So a web process keeps the row it read, by request and by the reader's
department, and drops a request's as soon as PostgreSQL tells it that the request, one of its
tasks, timeline entries or documents changed. Triggers notify ``REQUEST_CHANNEL`` in the writing
transaction, whoever writes (a workflow's activity, the web process, an operator's SQL):
``g:<ref>`` for a change of a request or of one of its parts, ``*`` when a table is emptied or an
account's enterprise (which decides who reads a request as its applicant) changes.

What keeps this safe is said in ``hub.db.kept``. Only the row is kept: who may see it is decided
anew from it for every reader (``hub.requests.access.viewed_request``), every view is still
recorded, and every detail is presented anew in the reader's language at the present moment. A
department's reader gets the row read for that department (whether it has a task of the request
is part of it). A change made through this process forgets its request at once (``forget_request``,
called by ``hub.requests.access.reread`` and a task's move).

On SQLite the read takes well under a millisecond in the process itself, and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from hub.db.kept import KeptReads, keeping, triggers_ready_sql
from hub.db.tables import ServiceRequest

REQUEST_CHANNEL = "qinqing_requests"
# The triggers that send the notices (the migration of 2026-12-06T16:00 makes them); while any is
# missing or switched off, nothing is kept.
REQUEST_TRIGGERS = {
    "service_request": ("detail_request_changed", "detail_requests_emptied"),
    "review_task": ("detail_task_changed", "detail_tasks_emptied"),
    "timeline_entry": ("detail_entry_changed", "detail_entries_emptied"),
    "document": ("detail_document_changed", "detail_documents_emptied"),
    "account": ("detail_account_moved", "detail_accounts_emptied"),
}
REQUEST_TRIGGERS_READY = triggers_ready_sql(REQUEST_TRIGGERS)
LIFETIME_S = 60.0
# Requests' rows, each with its parts (a few kilobytes): some tens of megabytes at most, in each
# web process.
MOST_DETAILS = 10_000

KEPT_DETAILS = KeptReads(LIFETIME_S, MOST_DETAILS)

Row = dict[str, Any]


async def kept_or_read(ref: str, department: str | None, read: Callable[[], Awaitable[list[Row]]]) -> list[Row]:
    """The rows ``read`` returns for request ``ref`` as read for a reader of ``department`` (none for
    applicants and oversight): as kept, or read and kept when the request was found. Each caller
    gets rows of its own, which it may change."""
    key = department or ""
    kept = KEPT_DETAILS.get(ref, key)
    if kept is not None:
        return [dict(row) for row in kept.value]
    stamp = KEPT_DETAILS.stamp(ref)
    rows = await read()
    if rows and KEPT_DETAILS.trusted():  # not copied for nothing where nothing is kept (SQLite)
        KEPT_DETAILS.keep(stamp, ref, key, [dict(row) for row in rows])
    return rows


def forget_request(ref: str) -> None:
    """This process forgets a request's detail at once, without waiting for the database's notice."""
    KEPT_DETAILS.forget(ref)


def keeping_details() -> AbstractAsyncContextManager[None]:
    """For the life of a web process on PostgreSQL: keep requests' details, and listen for the
    notices that drop them, on the database they are read from. On SQLite nothing is kept."""
    return keeping(KEPT_DETAILS, ServiceRequest._meta.db, REQUEST_CHANNEL, REQUEST_TRIGGERS_READY, "details")
