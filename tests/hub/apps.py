"""The hub's web app in the test's own process, on a SQLite file of its own: for the page tests
that need no Temporal (the stack tests run the real processes)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from piccolo.table import Table

import hub.db.tables as tables
from hub.db.engine import PooledSQLiteEngine
from hub.settings import load_settings
from hub.web.app import create_app

ALL_TABLES = [
    t
    for _, t in inspect.getmembers(tables, inspect.isclass)
    if issubclass(t, Table) and t.__module__ == tables.__name__
]


@contextmanager
def app_of_its_own(var: Path, seed: Callable[[], Awaitable[Any]]) -> Iterator[tuple[TestClient, Path, Any]]:
    """(a client of the app, its database file, what ``seed`` returned): every table points at a
    file in ``var`` while it lasts, seeded before the app starts (which seals with ``var``'s keys)."""
    path = var / "hub.sqlite"
    db = PooledSQLiteEngine(path=str(path))
    patch = pytest.MonkeyPatch()
    for table in ALL_TABLES:
        patch.setattr(table._meta, "db", db)
    try:
        app = create_app(load_settings({"QINQING_VAR_DIR": str(var)}))
        seeded = asyncio.run(seed())
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, path, seeded
    finally:
        patch.undo()
