"""On upgrade, a draft says whose form it is: every draft saved before (a service's form, or a
claim's, which is its program's service's form) is a service's draft, and stays where My requests
takes it up again; a life event's one form is saved beside them afterwards."""

from __future__ import annotations

import importlib

from piccolo.table import Table

from hub.db.tables import Draft

MIGRATION = "hub.db.migrations.qinqing_2026_12_06t00_15_00_000000"


async def columns(table: str) -> list[str]:
    return [c["name"] for c in await Table.raw(f"PRAGMA table_info({table})")]


async def an_account() -> int:
    """An account with only what the table requires, as any hub stored it."""
    required = [c for c in await Table.raw("PRAGMA table_info(account)") if c["notnull"] and c["name"] != "id"]

    def value(column: dict):
        kind = column["type"].upper()
        if "INT" in kind or "BOOL" in kind:
            return 0
        return "2026-01-01T00:00:00+00:00" if "TIME" in kind else f"draft-{column['name']}"

    await Table.raw(
        f"INSERT INTO account ({', '.join(c['name'] for c in required)}) VALUES ({', '.join(['{}'] * len(required))})",
        *[value(c) for c in required],
    )
    return (await Table.raw("SELECT max(id) AS id FROM account"))[0]["id"]


async def test_drafts_saved_before_are_a_service_s_drafts(database, monkeypatch):
    monkeypatch.setattr(Table._meta, "db", database)  # a migration's own statements run on the base class's engine
    upgrade = importlib.import_module(MIGRATION)
    await (await upgrade.forwards()).run(backwards=True)
    assert "kind" not in await columns("draft")
    account = await an_account()
    stamp = "2026-12-01T08:00:00+00:00"
    for scope, service in ((f"{account}:shop-sign-permit", "shop-sign-permit"), (f"{account}:claim:rd-2026", "x")):
        await Table.raw(
            "INSERT INTO draft (scope, account, service_id, service_version, answers, created_at, updated_at)"
            " VALUES ({}, {}, {}, 1, {}, {}, {})",
            scope,
            account,
            service,
            "{}",
            stamp,
            stamp,
        )

    await (await upgrade.forwards()).run()

    assert "kind" in await columns("draft")
    assert [d.kind for d in await Draft.objects().order_by(Draft.id)] == ["service", "service"]
