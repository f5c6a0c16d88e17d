"""Inbox pages kept in a web process on PostgreSQL, for as long as word of every change reaches it.

A clerk's inbox is the page staff open most, and each is one statement to the database: with two
web processes on one machine, that statement's share of the database's CPU was what held an inbox
page back. So a web process keeps the rows of the pages it read (and a department's counts) by
department, and drops a department's as soon as PostgreSQL tells it that one of its tasks changed.
Triggers notify ``TASK_CHANNEL`` in the writing transaction, whoever writes (a workflow's
activity, the web process, an operator's SQL): ``g:<department>`` for a task inserted, changed or
deleted, in its department before and after a move, and ``*`` when a table is emptied, a request's
reference or service changes, or an account's sign-in name (which an inbox row shows) changes.

What keeps this safe is said in ``hub.db.kept``. Only rows are kept: every page is presented anew
for its reader, in their language and at the present moment (a time limit's days left). The
department is the key's first part, and every read is of the reader's own department, so no page
is ever served to another department. A move made through this process forgets its department at
once (``forget_department``).

On SQLite the read takes well under a millisecond in the process itself, and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from hub.db.kept import KeptReads, keeping, triggers_ready_sql
from hub.db.tables import ReviewTask

TASK_CHANNEL = "qinqing_tasks"
# The triggers that send the notices (the migration of 2026-12-06T12:00 makes them); while any is
# missing or switched off, nothing is kept.
TASK_TRIGGERS = {
    "review_task": ("inbox_task_changed", "inbox_tasks_emptied"),
    "service_request": ("inbox_request_changed", "inbox_requests_emptied"),
    "account": ("inbox_account_renamed", "inbox_accounts_emptied"),
}
TASK_TRIGGERS_READY = triggers_ready_sql(TASK_TRIGGERS)
LIFETIME_S = 60.0
# Rows of pages (a department's counts count as one), of every department together: some tens of
# megabytes at most, in each web process.
MOST_ROWS = 20_000

KEPT_INBOX = KeptReads(LIFETIME_S, MOST_ROWS)

Value = TypeVar("Value")


async def kept_or_read(
    department: str, key: Hashable, read: Callable[[], Awaitable[Value]], size: Callable[[Value], int] = lambda _: 1
) -> Value:
    """What ``read`` returns for ``department``'s ``key``: as kept, or read and kept (counted by ``size``)."""
    kept = KEPT_INBOX.get(department, key)
    if kept is not None:
        value: Value = kept.value
        return value
    stamp = KEPT_INBOX.stamp(department)
    value = await read()
    KEPT_INBOX.keep(stamp, department, key, value, size(value))
    return value


def forget_department(department: str) -> None:
    """This process forgets a department's pages at once, without waiting for the database's notice."""
    KEPT_INBOX.forget(department)


def keeping_inboxes() -> AbstractAsyncContextManager[None]:
    """For the life of a web process on PostgreSQL: keep inbox pages, and listen for the notices
    that drop them, on the database the tasks are read from. On SQLite nothing is kept."""
    return keeping(KEPT_INBOX, ReviewTask._meta.db, TASK_CHANNEL, TASK_TRIGGERS_READY, "inboxes")
