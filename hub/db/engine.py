"""The database engine for the configured settings: SQLite by default, PostgreSQL when a URL is set."""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from hub.settings import Settings

# SQLite: writers from the web server and the worker wait for each other instead of failing.
SQLITE_BUSY_TIMEOUT_S = 30


def create_engine(settings: Settings) -> Engine:
    if settings.uses_postgres:
        return PostgresEngine(config={"dsn": settings.database_url})
    settings.var_path.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(path=str(settings.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_S)
