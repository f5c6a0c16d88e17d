"""The SQLite engine's writer: transactions of one process in turn, commits waited for off the event
loop, and a writer that stays usable whatever happens to a transaction. Against a real database file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from piccolo.engine.sqlite import TransactionType

from hub.db.engine import PooledSQLiteEngine


@pytest.fixture
async def engine(tmp_path):
    db = PooledSQLiteEngine(path=str(tmp_path / "hub.sqlite"))
    await db.run_ddl("PRAGMA journal_mode=WAL;")
    await db.run_ddl("CREATE TABLE entry (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    yield db
    await db.close_connections()


async def entries(db: PooledSQLiteEngine) -> list[int]:
    rows = await db._run_read("SELECT n FROM entry ORDER BY n", [])
    return [r["n"] for r in rows]


async def insert(db: PooledSQLiteEngine, *ns: int) -> None:
    """One write transaction inserting ``ns``; between rows the event loop may run other work."""
    async with db.transaction(TransactionType.immediate) as tx:
        for n in ns:
            await tx.connection.execute("INSERT INTO entry (n) VALUES (?)", [n])
            await asyncio.sleep(0)


async def test_concurrent_transactions_each_commit_whole(engine):
    # Another transaction's turn comes only after each one ends: no pair is split.
    await asyncio.gather(*(insert(engine, 2 * i, 2 * i + 1) for i in range(40)))
    assert await entries(engine) == list(range(80))


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_writes(engine):
    with pytest.raises(RuntimeError):
        async with engine.transaction(TransactionType.immediate) as tx:
            await tx.connection.execute("INSERT INTO entry (n) VALUES (?)", [1])
            raise RuntimeError("the caller's own failure")
    await insert(engine, 2)
    assert await entries(engine) == [2]


class SlowCommit:
    """The writer's connection, with a commit that takes a while on its thread (a slow disk)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.committing = threading.Event()

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self.committing.set()
            time.sleep(0.3)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.fixture
async def slow_disk(engine) -> SlowCommit:
    writer = await engine.acquire_writer()
    engine.release_writer(healthy=True)
    writer._conn = slow = SlowCommit(writer._conn)
    return slow


async def started_committing(engine, slow: SlowCommit, n: int) -> asyncio.Task:
    """A transaction inserting ``n``, let run until its commit is under way."""
    task = asyncio.create_task(insert(engine, n))
    while not slow.committing.is_set():
        await asyncio.sleep(0.01)
    return task


async def test_the_event_loop_goes_on_while_a_commit_waits_for_the_disk(engine, slow_disk):
    task = await started_committing(engine, slow_disk, 1)
    # The commit is under way on its thread; reads on the loop are answered meanwhile.
    started = time.perf_counter()
    assert await entries(engine) == []  # not committed yet, and not blocked by it
    assert time.perf_counter() - started < 0.2
    await task
    assert await entries(engine) == [1]


async def test_a_transaction_cancelled_during_its_commit_leaves_a_usable_writer(engine, slow_disk):
    task = await started_committing(engine, slow_disk, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The commit that was under way finished before its connection was let go; the next
    # transaction gets a fresh writer and nothing is half done.
    await insert(engine, 2)
    assert await entries(engine) == [1, 2]
