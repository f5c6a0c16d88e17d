"""Opening and closing the database for a process; migrations and pragmas."""

from __future__ import annotations

from contextlib import asynccontextmanager

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from hub.db.engine import PooledSQLiteEngine
from hub.db.tables import Account
from hub.settings import Settings


def engine():
    return Account._meta.db


async def keep_session(connection) -> None:
    """How a pooled connection is made ready for its next user, on PostgreSQL. asyncpg's default
    sends ``RESET ALL``, ``CLOSE ALL``, ``UNLISTEN *`` and an advisory-lock release to the server
    each time a connection goes back to the pool: a round trip per short read, about 5% of an inbox
    page. The hub leaves nothing of the kind on a session (no ``SET`` outside a transaction, no
    cursor held, no ``LISTEN``, no advisory lock: ``tests/hub/test_pool_reset.py`` keeps it so), and
    asyncpg still rolls back a transaction left open before this is called."""


@asynccontextmanager
async def database(settings: Settings):
    """A connection pool on PostgreSQL for the life of the process; on SQLite the engine keeps
    its connections itself, and they are closed at the end."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10, reset=keep_session)
        try:
            yield db
        finally:
            await db.close_connection_pool()
    else:
        try:
            yield db
        finally:
            if isinstance(db, PooledSQLiteEngine):
                await db.close_connections()


async def migrate(settings: Settings) -> None:
    """Bring the schema up to date (both engines use the same Piccolo migrations)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets the web server read while the worker writes; the setting persists in the file.
        await db.run_ddl("PRAGMA journal_mode=WAL;")
    response = await run_forwards(app_name="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migrations failed: {response.message}")


async def pending_migrations() -> list[str]:
    """The migrations this version of the hub brings that the database has not run, oldest first:
    code started on a schema behind it fails on the first statement that needs what is missing (on
    PostgreSQL, every audited action), so the web server and the worker refuse to start instead."""
    statuses = await CheckMigrationManager(app_name="all").get_migration_statuses()
    return sorted(s.migration_id for s in statuses if not s.has_ran)
