"""Write transactions that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import asynccontextmanager

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from hub.db.tables import ServiceRequest


@asynccontextmanager
async def writing():
    """A transaction for writes. On SQLite it takes the write lock up front (BEGIN IMMEDIATE), so
    a read-then-write never fails with "database is locked" when another process writes (and, with
    ``PooledSQLiteEngine``, waits its turn behind the process's other writers)."""
    engine = ServiceRequest._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as tx:
            yield tx
    else:
        async with engine.transaction() as tx:
            yield tx
