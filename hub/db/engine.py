"""The database engine for the configured settings: SQLite by default, PostgreSQL when a URL is set."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import sqlite3
import string
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from hub.settings import Settings

# SQLite: writers from the web server and the worker wait for each other instead of failing.
SQLITE_BUSY_TIMEOUT_S = 30
# Open connections kept for reuse per process; a burst opens more and closes them afterwards.
SQLITE_IDLE_CONNECTIONS = 16
# While another process writes, a writer asks again after this long (doubling up to the maximum).
# A write transaction holds the lock for well under a millisecond: a writer that slept up to 10 ms
# (as it did) left the lock free most of that time, and with two web processes a request's detail
# (its view's commit) served 8 to 14% fewer than with these. Asking a thousand times a second
# while a long transaction holds the lock costs a fraction of a percent of a core.
SQLITE_RETRY_S, SQLITE_RETRY_MAX_S = 0.0001, 0.001
# COMMITs run on the event loop's thread while none there took longer than this; after one did,
# on the writer's thread for a while (``WriterConnection._commit``). Under full load on this
# machine's disk (fsync about 0.1 ms) a commit on the loop took 0.3 to 0.5 ms, 1.3 ms at the 99th
# percentile and under 4 ms at most.
FAST_COMMIT_S = 0.005
SLOW_COMMITS_S = 5.0


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, made for many concurrent requests in one process.

    - **Reads** run on connections kept open and reused, each in a thread of its own (aiosqlite).
      The stock engine opened a connection, and a thread, for every statement: a few milliseconds
      of CPU each, more than the statement itself.
    - **Quick reads** (``quick_read``: a row by its key, a request's few tasks, an inbox page), which
      an index answers in microseconds, run at once on the event loop's thread, on a connection of
      their own: the trip to a connection's thread and back cost ten times the read itself.
    - **Writes** (write transactions, and single statements that change something) run one at a
      time per process, in order, on one connection used directly on the event loop's thread.
      SQLite lets one writer in at a time, so the write lock must be held as briefly as possible:
      a trip to a thread and back for every statement made a transaction hold it many times longer
      than its SQL took, as long as the event loop took to come round. While another process
      writes, the writer waits on the event loop, asking again every few milliseconds, rather than
      in SQLite's busy handler, which would block the loop. COMMIT, which waits for the disk (and
      now and then checkpoints the log), runs on the event loop's thread while the disk is fast
      and on a thread of the writer's own while it is slow, so that a slow disk does not hold up
      everything else the process does (``WriterConnection._commit``).

    A connection whose statement failed or was cancelled is closed, not reused: its state is unknown.
    """

    def __init__(self, *args: Any, idle_connections: int = SQLITE_IDLE_CONNECTIONS, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.idle_connections = idle_connections
        self.busy_timeout = float(self.connection_kwargs.get("timeout", SQLITE_BUSY_TIMEOUT_S))
        self._idle: list[aiosqlite.Connection] = []
        self._writer: WriterConnection | None = None
        self._write_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._quick: sqlite3.Connection | None = None

    def _on_this_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (a test's, a CLI command's): what we hold belonged to the old one.
            self._idle, self._writer, self._write_lock, self._loop = [], None, asyncio.Lock(), loop
            self._quick = None

    # Reads -----------------------------------------------------------------------------------

    async def get_connection(self) -> aiosqlite.Connection:
        self._on_this_loop()
        if self._idle:
            return self._idle.pop()
        connecting = aiosqlite.connect(**self.connection_kwargs)
        # Idle connections must not keep a finished process alive; SQLite's journal makes a
        # connection dropped at exit harmless, and an idle one holds no transaction.
        connecting._thread.daemon = True
        connection = await connecting
        # aiosqlite annotates row_factory as a class; sqlite3 takes any callable, as Piccolo's own engine sets it.
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def release(self, connection: aiosqlite.Connection, healthy: bool = True) -> None:
        if healthy and connection.in_transaction:
            healthy = False  # never hand on a connection with a transaction left open
        if healthy and len(self._idle) < self.idle_connections and self._loop is asyncio.get_running_loop():
            self._idle.append(connection)
        else:
            await connection.close()

    async def quick_read(self, sql: str, args: Sequence[Any] = (), as_dicts: bool = True) -> list[Any]:
        """The rows of a read written as SQL (``{}`` for each argument, as ``Table.raw`` takes it) that
        an index answers at once, read on the event loop's thread. Only for such reads: the loop
        waits for it. Should the database be busy at that instant (a reader waits only in SQLite's
        rare moments, such as the log being reset), it is read the usual way, in a thread. Rows are
        dicts, or with ``as_dicts=False`` sequences in the order of the statement's columns."""
        self._on_this_loop()
        if self._quick is None:
            # In autocommit mode (Piccolo's isolation_level None) each statement is its own read
            # transaction, ended once its rows are fetched; no busy handler: a busy moment falls back.
            self._quick = sqlite3.connect(**{**self.connection_kwargs, "timeout": 0, "check_same_thread": False})
        query = qmarks(sql)
        try:
            cursor = self._quick.execute(query, args)
            rows = cursor.fetchall()
            if not as_dicts:
                return rows
            # Rows as dicts, as Piccolo's ``dict_factory`` makes them, the names read once.
            names = [column[0] for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in rows]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        rows = await self._run_read(query, list(args))
        return rows if as_dicts else [tuple(row.values()) for row in rows]

    # Writes ----------------------------------------------------------------------------------

    async def acquire_writer(self) -> WriterConnection:
        """This process's turn to write, in order; waiting longer than the busy timeout fails as
        SQLite would (the web answers 503 to that)."""
        self._on_this_loop()
        try:
            async with asyncio.timeout(self.busy_timeout):
                await self._write_lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (too many writers waiting)") from None
        if self._writer is None:
            self._writer = WriterConnection(self.connection_kwargs, self.busy_timeout)
        return self._writer

    def release_writer(self, healthy: bool) -> None:
        try:
            if self._writer is not None and (not healthy or self._writer.in_transaction):
                writer, self._writer = self._writer, None
                writer.close()
        finally:
            self._write_lock.release()  # a writer that failed to close must not keep the turn

    async def close_connections(self) -> None:
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        if self._writer is not None and not self._write_lock.locked():
            self._writer.close()
            self._writer = None

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return PooledSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    # Statements ------------------------------------------------------------------------------

    async def _run_in_new_connection(
        self, query: str, args: list | None = None, query_type: str = "generic", table=None
    ):
        # PRAGMAs go with reads: some (journal_mode) may not run inside a transaction.
        if query.lstrip()[:6].upper() in ("SELECT", "PRAGMA"):
            return await self._run_read(query, args)
        async with self.transaction(TransactionType.immediate) as tx:
            return await tx.connection.execute_fetchall(query, args or [])

    async def _run_read(self, query: str, args: list | None):
        # Piccolo's connections are in autocommit mode (isolation_level None): nothing to commit.
        connection = await self.get_connection()
        try:
            # One trip to the connection's thread for the statement and its rows (a cursor costs three).
            rows = await connection.execute_fetchall(query, args or [])
        except BaseException:
            await self.release(connection, healthy=False)
            raise
        await self.release(connection)
        return rows

    async def _run_in_existing_connection(
        self, connection, query: str, args: list | None = None, query_type: str = "generic", table=None
    ):
        # The connection got its pragma when it was opened.
        return await connection.execute_fetchall(query, args or [])


# Piccolo's converters of the types every read returns, the same values made with less work (they
# were a third of reading an inbox page): SQLite hands a converter the value's text as bytes, and
# Piccolo's decoded it, checked its type and, for an integer, parsed it as a Decimal first.
_UTC = dt.UTC
_from_iso = dt.datetime.fromisoformat


def _integer_out(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:  # "1.0" (SQLite does not enforce a column's type): as Piccolo reads it
        return int(Decimal(value.decode()))


def _boolean_out(value: bytes) -> bool:
    return value == b"1"


def _timestamptz_out(value: bytes) -> dt.datetime:
    moment = _from_iso(value.decode())
    # Stored in UTC with its offset (Piccolo writes it so): read as UTC already, kept as it is.
    return moment if moment.tzinfo is _UTC else moment.replace(tzinfo=_UTC)


for _name, _converter in (("INTEGER", _integer_out), ("BOOLEAN", _boolean_out), ("TIMESTAMPTZ", _timestamptz_out)):
    sqlite3.register_converter(_name, _converter)


def _arguments(sql: str) -> int:
    """How many ``{}`` a statement written for ``Table.raw`` has."""
    return sum(1 for _, name, _, _ in string.Formatter().parse(sql) if name is not None)


@functools.lru_cache(maxsize=256)
def qmarks(sql: str) -> str:
    """SQL written for ``Table.raw`` (``{}`` for each argument) with SQLite's ``?`` instead."""
    return sql.format(*["?"] * _arguments(sql))


@functools.lru_cache(maxsize=256)
def dollars(sql: str) -> str:
    """SQL written for ``Table.raw`` (``{}`` for each argument) with PostgreSQL's ``$1``, ``$2``..."""
    return sql.format(*[f"${n}" for n in range(1, _arguments(sql) + 1)])


class WriterConnection:
    """A process's connection for writing, used on the event loop's thread. Its methods are
    coroutines only to stand in for an aiosqlite connection; only BEGIN and COMMIT ever wait."""

    def __init__(self, connection_kwargs: dict[str, Any], busy_timeout: float):
        # No busy handler (timeout 0): a busy database is waited for on the event loop instead.
        # Piccolo's isolation_level None: transactions are exactly the BEGIN/COMMIT it sends.
        # Used from two threads (COMMIT runs on the committer's), never at once: the process's
        # write lock is held throughout a transaction.
        self._conn = sqlite3.connect(**{**connection_kwargs, "timeout": 0, "check_same_thread": False})
        self._conn.row_factory = dict_factory
        self._conn.execute("PRAGMA foreign_keys = 1")
        self.busy_timeout = busy_timeout
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")
        # When a commit last took longer than FAST_COMMIT_S; a new writer, not knowing the disk
        # yet, makes its first commits on the thread.
        self.slow_at = time.monotonic()

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def execute(self, sql: str, args: list | tuple = ()) -> None:
        if sql.startswith("BEGIN"):
            await self._begin(sql)
        elif sql == "COMMIT":
            await self._commit()
        else:
            self._conn.execute(sql, args)

    async def execute_fetchall(self, sql: str, args: list | tuple = ()) -> list[dict]:
        return self._conn.execute(sql, args).fetchall()

    async def _commit(self) -> None:
        """COMMIT, which waits for the disk (fsync). While the disk is fast, at once on the event loop's
        thread: handed to a thread, a commit held SQLite's write lock for as long as that thread took
        to be given a core and the interpreter on a busy machine, and with two web processes on
        SQLite the other process's writers waited that long. After a commit on the event loop's
        thread took longer than ``FAST_COMMIT_S`` (a slow disk, a checkpoint of the log), the
        commits go to the writer's thread for ``SLOW_COMMITS_S``, so that the event loop goes on
        meanwhile with everything that does not write; then one is tried on the loop again. (Only a
        commit on the loop is timed: on the thread, the time includes waiting for the interpreter.)"""
        if time.monotonic() - self.slow_at <= SLOW_COMMITS_S:
            await asyncio.get_running_loop().run_in_executor(self._committer, self._conn.execute, "COMMIT")
            return
        started = time.monotonic()
        try:
            self._conn.execute("COMMIT")
        finally:
            if time.monotonic() - started > FAST_COMMIT_S:
                self.slow_at = time.monotonic()

    async def _begin(self, sql: str) -> None:
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self.busy_timeout, SQLITE_RETRY_S
        while True:
            try:
                self._conn.execute(sql)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or loop.time() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, SQLITE_RETRY_MAX_S)

    def close(self) -> None:
        self._committer.shutdown(wait=True)
        self._conn.close()


class PooledSQLiteTransaction(SQLiteTransaction):
    """A write transaction (IMMEDIATE, as ``hub.db.transactions.writing`` opens) on the process's
    writer, in its turn; any other on a reused read connection. Handed back when it ends."""

    engine: PooledSQLiteEngine  # only PooledSQLiteEngine.transaction makes one

    @property
    def _writes(self) -> bool:
        return self.transaction_type == TransactionType.immediate

    async def get_connection(self):
        return await (self.engine.acquire_writer() if self._writes else self.engine.get_connection())

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self._hand_back(healthy=True)  # no transaction began; the connection is as it was
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _hand_back(self, healthy: bool) -> None:
        if self._writes:
            self.engine.release_writer(healthy)
        else:
            await self.engine.release(self.connection, healthy=healthy)

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        healthy = True
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            healthy = False
            raise
        finally:
            try:
                await self._hand_back(healthy)
            finally:  # a hand-back that fails must not leave this task inside the transaction
                self.engine.current_transaction.reset(self.context)
        return exception is None


log = logging.getLogger("qinqing.db")


class HubPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, with transactions that always hand their connection back."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return ReleasingPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def quick_read(self, sql: str, args: Sequence[Any] = (), as_dicts: bool = True) -> list[Any]:
        """The rows of a short read written as SQL (``{}`` for each argument), straight from asyncpg:
        Piccolo's ``raw`` would build its query string and a dict of every row first (a third of
        an inbox page's read). Rows are dicts, or with ``as_dicts=False`` asyncpg's records (by
        position or by name), in the caller's transaction if there is one."""
        query = dollars(sql)
        transaction = self.current_transaction.get()
        if transaction is not None:
            rows = await transaction.connection.fetch(query, *args)
        elif self.pool is not None:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(query, *args)
        else:
            connection = await self.get_new_connection()
            try:
                rows = await connection.fetch(query, *args)
            finally:
                await connection.close()
        return [dict(row) for row in rows] if as_dicts else rows


class ReleasingPostgresTransaction(PostgresTransaction):
    """Piccolo's transaction kept its pooled connection when BEGIN, COMMIT or ROLLBACK failed (the
    server restarting, the connection lost): each such failure took a connection from the pool for
    good, and once all were gone every request waited forever. Here the connection always goes
    back; the pool closes a broken one and opens a new one when it is next needed."""

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._hand_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                await self._hand_back()
            finally:  # a hand-back that fails must not leave this task inside the transaction
                self.engine.current_transaction.reset(self.context)
        return exception is None

    async def _hand_back(self) -> None:
        # The pool resets a connection it gets back, and closes it if that fails.
        try:
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
        except Exception as exc:  # noqa: BLE001 - the error the transaction raised is the one to tell
            log.warning("dropped a broken database connection: %s: %s", type(exc).__name__, exc)
            if not self.engine.pool:
                self.connection.terminate()


def create_engine(settings: Settings) -> Engine:
    if settings.uses_postgres:
        return HubPostgresEngine(config={"dsn": settings.database_url})
    settings.var_path.mkdir(parents=True, exist_ok=True)
    # Before 3.35 SQLite has no RETURNING, which the stock engine works around statement by statement.
    pooled = sqlite3.sqlite_version_info >= (3, 35)
    return (PooledSQLiteEngine if pooled else SQLiteEngine)(
        path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_S
    )
