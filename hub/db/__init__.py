"""Piccolo tables and migrations. The engine comes from settings (see ``piccolo_conf``)."""

import os
import sqlite3

# Piccolo binds tables to the engine named by PICCOLO_CONF when they are defined.
os.environ.setdefault("PICCOLO_CONF", "hub.db.piccolo_conf")

# Row ids are 32-bit integers on both engines.
MAX_ID = 2**31 - 1


def is_unique_violation(exc: BaseException) -> bool:
    """A write refused because a unique key is taken, on either engine: on PostgreSQL two
    transactions may both read that a key is free, and the second to write it is refused."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(exc)
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover - asyncpg comes with piccolo[postgres]
        return False
    return isinstance(exc, UniqueViolationError)
