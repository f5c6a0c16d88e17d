"""The ``notification`` table, which nothing wrote, is gone after the upgrade; a database that
holds rows in it anyway keeps them."""

from __future__ import annotations

import importlib

from piccolo.table import Table

MIGRATION = "hub.db.migrations.qinqing_2026_12_06t02_40_00_000000"


async def tables() -> set[str]:
    return {r["name"] for r in await Table.raw("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_the_empty_table_is_dropped_and_one_with_rows_kept(database, monkeypatch):
    monkeypatch.setattr(Table._meta, "db", database)  # a migration's own statements run on the base class's engine
    upgrade = importlib.import_module(MIGRATION)
    assert "notification" not in await tables()  # the schema every test starts from is upgraded

    await Table.raw("CREATE TABLE notification (id INTEGER PRIMARY KEY, key VARCHAR(120))")
    await Table.raw("INSERT INTO notification (key) VALUES ('kept')")
    await (await upgrade.forwards()).run()
    assert [r["key"] for r in await Table.raw("SELECT key FROM notification")] == ["kept"]

    await Table.raw("DELETE FROM notification")
    await (await upgrade.forwards()).run()
    assert "notification" not in await tables()
