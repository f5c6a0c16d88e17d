"""The SQLite engine's writer: transactions of one process in turn, commits made at once while the
disk is fast and waited for off the event loop while it is slow, and a writer that stays usable
whatever happens to a transaction. Against a real database file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from piccolo.engine.sqlite import TransactionType

from hub.db.engine import SLOW_COMMITS_S, PooledSQLiteEngine


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
    """The writer's connection, with a commit that takes a while (a slow disk) while ``slow`` is set,
    and which thread made each commit."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.committing = threading.Event()
        self.slow = True
        self.threads: list[str] = []

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self.threads.append(threading.current_thread().name)
            self.committing.set()
            if self.slow:
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


async def test_commits_run_on_the_event_loop_while_the_disk_is_fast_and_on_the_thread_after_a_slow_one(
    engine, slow_disk, monkeypatch
):
    # A real commit on a machine busy with other tests can take longer than 5 ms; here "slow" is
    # only the simulated disk's 0.3 s, so that what is tested is the rule, not this machine's load.
    monkeypatch.setattr("hub.db.engine.FAST_COMMIT_S", 0.2)
    writer = engine._writer
    slow_disk.slow = False
    await insert(engine, 1)  # a new writer does not know the disk yet: its thread
    assert slow_disk.threads == ["sqlite-commit_0"]
    # Once no commit has been slow for a while, they run at once on the event loop's thread.
    writer.slow_at = time.monotonic() - SLOW_COMMITS_S - 1
    await insert(engine, 2)
    await insert(engine, 3)
    assert slow_disk.threads[1:] == ["MainThread", "MainThread"]
    # One that takes long there (the loop waits for it, once) sends the next ones to the thread,
    # where the event loop goes on meanwhile.
    slow_disk.slow = True
    await insert(engine, 4)
    assert slow_disk.threads[3] == "MainThread"
    slow_disk.committing.clear()
    task = await started_committing(engine, slow_disk, 5)
    started = time.perf_counter()
    assert await entries(engine) == [1, 2, 3, 4]
    assert time.perf_counter() - started < 0.2
    await task
    assert slow_disk.threads[4] == "sqlite-commit_0"
    assert await entries(engine) == [1, 2, 3, 4, 5]
    # And a while later, the loop is tried again.
    writer.slow_at = time.monotonic() - SLOW_COMMITS_S - 1
    slow_disk.slow = False
    await insert(engine, 6)
    assert slow_disk.threads[5] == "MainThread"


async def test_a_transaction_cancelled_during_its_commit_leaves_a_usable_writer(engine, slow_disk):
    task = await started_committing(engine, slow_disk, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The commit that was under way finished before its connection was let go; the next
    # transaction gets a fresh writer and nothing is half done.
    await insert(engine, 2)
    assert await entries(engine) == [1, 2]
