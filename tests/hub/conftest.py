"""Fixtures of the in-process tests of ``hub``."""

from __future__ import annotations

import inspect

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.table import Table

import hub.db.piccolo_conf as piccolo_conf
import hub.db.tables as tables
from hub.db.engine import PooledSQLiteEngine
from hub.db.lifecycle import migrate
from hub.settings import load_settings


@pytest.fixture
async def database(tmp_path, monkeypatch):
    """Every table (and the migrations) on a fresh SQLite file of their own for the test."""
    engine = PooledSQLiteEngine(path=str(tmp_path / "hub.sqlite"))
    monkeypatch.setattr(piccolo_conf, "DB", engine)
    for _, table in inspect.getmembers(tables, lambda t: inspect.isclass(t) and issubclass(t, Table)):
        if table is not Table:
            monkeypatch.setattr(table._meta, "db", engine)
    monkeypatch.setattr(Migration._meta, "db", engine)  # which migrations ran: in the same file
    # ``Table.raw`` (the migrations' own statements, such as their partial indexes) runs on the base
    # class's engine, kept once found: the first test's file, for every test after it.
    monkeypatch.setattr(Table._meta, "db", engine)
    await migrate(load_settings({"QINQING_VAR_DIR": str(tmp_path)}))
    yield engine
    await engine.close_connections()
