"""The database engine for the configured settings: SQLite by default, PostgreSQL when a URL is set."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from hub.settings import Settings

# SQLite: writers from the web server and the worker wait for each other instead of failing.
SQLITE_BUSY_TIMEOUT_S = 30
# Open connections kept for reuse per process; a burst opens more and closes them afterwards.
SQLITE_IDLE_CONNECTIONS = 16


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, with its connections kept open and reused.

    The stock engine opens a connection, with a thread of its own, for every statement outside a
    transaction and for every transaction, and repeats ``PRAGMA foreign_keys`` before every
    statement inside one. That costs a few milliseconds of CPU per statement, more than the
    statement itself. Here a connection gets its pragma once and goes back to an idle list after
    use. A connection whose statement failed or was cancelled is closed instead: its state is unknown.

    Writers of one process also queue for SQLite's write lock in order (``writer``), so that under
    load none of them starves in SQLite's busy handler, which polls rather than queues.
    """

    def __init__(self, *args: Any, idle_connections: int = SQLITE_IDLE_CONNECTIONS, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.idle_connections = idle_connections
        self._idle: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _on_this_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (a test's, a CLI command's): what we hold belonged to the old one.
            self._idle, self._write_lock, self._loop = [], asyncio.Lock(), loop

    @asynccontextmanager
    async def writer(self):
        """This process's turn to write. Waiting longer than the busy timeout fails as SQLite would."""
        self._on_this_loop()
        lock = self._write_lock
        try:
            async with asyncio.timeout(self.connection_kwargs.get("timeout", 5.0)):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (too many writers waiting)") from None
        try:
            yield
        finally:
            lock.release()

    async def get_connection(self) -> aiosqlite.Connection:
        self._on_this_loop()
        if self._idle:
            return self._idle.pop()
        connecting = aiosqlite.connect(**self.connection_kwargs)
        # Idle connections must not keep a finished process alive; SQLite's journal makes a
        # connection dropped at exit harmless, and an idle one holds no transaction.
        connecting._thread.daemon = True
        connection = await connecting
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def release(self, connection: aiosqlite.Connection, healthy: bool = True) -> None:
        if healthy and connection.in_transaction:
            healthy = False  # never hand on a connection with a transaction left open
        if healthy and len(self._idle) < self.idle_connections and self._loop is asyncio.get_running_loop():
            self._idle.append(connection)
        else:
            await connection.close()

    async def close_connections(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return PooledSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _run_in_new_connection(
        self, query: str, args: list | None = None, query_type: str = "generic", table=None
    ):
        if query.lstrip()[:6].upper() == "SELECT":
            return await self._run_statement(query, args, commit=False)
        async with self.writer():
            return await self._run_statement(query, args, commit=True)

    async def _run_statement(self, query: str, args: list | None, commit: bool):
        connection = await self.get_connection()
        try:
            # One trip to the connection's thread for the statement and its rows (a cursor costs three).
            rows = await connection.execute_fetchall(query, args or [])
            if commit:
                await connection.commit()
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


class PooledSQLiteTransaction(SQLiteTransaction):
    """A transaction on a reused connection, handed back when the transaction ends."""

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
            await self.engine.release(self.connection, healthy=healthy)
            self.engine.current_transaction.reset(self.context)
        return exception is None


def create_engine(settings: Settings) -> Engine:
    if settings.uses_postgres:
        return PostgresEngine(config={"dsn": settings.database_url})
    settings.var_path.mkdir(parents=True, exist_ok=True)
    # Before 3.35 SQLite has no RETURNING, which the stock engine works around statement by statement.
    pooled = sqlite3.sqlite_version_info >= (3, 35)
    return (PooledSQLiteEngine if pooled else SQLiteEngine)(
        path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_S
    )
