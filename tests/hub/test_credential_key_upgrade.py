"""On upgrade, a disability certificate's credential stored under a key holding the certificate's
number (the holder's identity number) is keyed by the certificate's place instead, its digest kept
(so the next synchronisation finds it and makes no second one)."""

from __future__ import annotations

import importlib

from piccolo.table import Table

OLD = "registry:disability-certificate:4:33010619580908002942:866888f6271f26c6"


async def test_the_number_leaves_the_key(database, monkeypatch):
    monkeypatch.setattr(Table._meta, "db", database)  # a migration's own statements run on the base class's engine
    # A row with only what the table requires, as an older hub stored it.
    required = [c for c in await Table.raw("PRAGMA table_info(credential)") if c["notnull"] and c["name"] != "id"]

    def value(column: dict):
        kind = column["type"].upper()
        if column["name"] == "key":
            return OLD
        if "INT" in kind or "BOOL" in kind:
            return 0
        return "2026-01-01T00:00:00+00:00" if "TIME" in kind else "x"

    await Table.raw(
        f"INSERT INTO credential ({', '.join(c['name'] for c in required)}) VALUES ({', '.join(['{}'] * len(required))})",
        *[value(c) for c in required],
    )
    upgrade = importlib.import_module("hub.db.migrations.qinqing_2026_12_05t05_20_00_000000")
    await (await upgrade.forwards()).run()
    assert await Table.raw("SELECT key FROM credential") == [
        {"key": "registry:disability-certificate:4:certificate:866888f6271f26c6"}
    ]
