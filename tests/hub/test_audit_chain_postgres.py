"""The audit chain on a real PostgreSQL server, where the database chains a batch itself
(``qinqing_audit_append``): its hashes are the ones ``verify_chain`` recomputes in Python, for any
text an event can carry; writers on many connections at once still make one chain; and a batch or a
transaction that fails leaves neither its events nor a moved head behind."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import inspect
import os

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.table import Table

import hub.db.piccolo_conf as piccolo_conf
import hub.db.tables as tables
from hub import audit
from hub.accounts import Principal
from hub.db.engine import HubPostgresEngine
from hub.db.lifecycle import migrate
from hub.db.records import quick_rows
from hub.db.tables import AuditEvent, AuditHead
from hub.db.transactions import writing
from hub.settings import load_settings

ADMIN_URL = os.environ.get("QINQING_TEST_DATABASE_URL", "")
# Run by the PostgreSQL suite (``-m stack``): the database server is the part under test.
pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(not ADMIN_URL.startswith("postgres"), reason="needs QINQING_TEST_DATABASE_URL"),
]


@pytest.fixture
async def postgres(tmp_path, monkeypatch):
    """Every table (and the migrations) in a fresh PostgreSQL database of the test's own."""
    from tests.stack.harness import create_postgres_database, drop_postgres_database

    url, name = await asyncio.to_thread(create_postgres_database, ADMIN_URL)
    engine = HubPostgresEngine(config={"dsn": url})
    monkeypatch.setattr(piccolo_conf, "DB", engine)
    for _, table in inspect.getmembers(tables, lambda t: inspect.isclass(t) and issubclass(t, Table)):
        if table is not Table:
            monkeypatch.setattr(table._meta, "db", engine)
    monkeypatch.setattr(Migration._meta, "db", engine)
    monkeypatch.setattr(Table._meta, "db", engine)
    try:
        await migrate(load_settings({"QINQING_VAR_DIR": str(tmp_path), "QINQING_DATABASE_URL": url}))
        await engine.start_connection_pool(min_size=1, max_size=8)
        yield engine
    finally:
        await engine.close_connection_pool()
        await asyncio.to_thread(drop_postgres_database, ADMIN_URL, name)


async def head() -> dict:
    (row,) = await quick_rows(AuditHead, 'SELECT "last_id", "last_hash", "count" FROM "audit_head"')
    return row


async def events() -> list[dict]:
    return await quick_rows(AuditEvent, 'SELECT * FROM "audit_event" ORDER BY "id"')


# Text an event may carry: every kind the canonical form escapes, and what it keeps as it is.
AWKWARD = [
    "查阅申请人材料",
    "emoji 🧾 and a flag 🇨🇳",
    "quotes \" and ' and a backslash \\ and \\n written out",
    "a newline\nand a tab\tand a carriage return\r",
    "control \x01\x1f characters and a NUL \x00",
    "\u2028 line and paragraph \u2029 separators",
    "",
    "长" * 3000,
]


async def test_the_database_computes_the_hashes_python_recomputes(postgres):
    account = await tables.Account.insert(tables.Account(username="auditor.one", role="auditor"))
    principal = Principal(
        id=account[0]["id"], username="auditor.one", full_name="", role="auditor", department=None, locale="zh_CN"
    )
    # Recorded at once, so that they share commits; some with no actor. ``note`` is kept as given
    # (a ``reason`` would be sealed first).
    await asyncio.gather(
        *(
            audit.record(None, principal if n % 2 else None, "request.viewed", "request", f"R{n}", note=text)
            for n, text in enumerate(AWKWARD)
        ),
        audit.record(None, None, "policy.changed", "policy", "p-1", nested={"b": [1, 2.5, None], "a": "二"}),
    )
    # The awkward text in every column the hash covers, not only in the detail (but NUL, which no
    # text column of PostgreSQL can hold).
    columns = [text.replace("\x00", "") for text in AWKWARD]
    await audit._append_all(
        [{**_event(text[:64]), "request_ref": text[:32] or None, "remote_addr": text[:64]} for text in columns]
    )
    async with writing():  # inside a transaction: part of it
        await audit.record(None, principal, "document.revoked", "document", "d-1", request="R1", at=dt.date(2026, 1, 1))

    stored = await events()
    assert len(stored) == 2 * len(AWKWARD) + 2
    # Each stored hash is Python's own over the stored event, chained to the one before.
    prev = audit.GENESIS
    for event in stored:
        assert event["prev_hash"] == prev
        assert event["hash"] == audit.event_hash(prev, event)
        prev = event["hash"]
    assert {audit.opened_detail(e["detail"]).get("note") for e in stored} >= set(AWKWARD)
    assert {e["object_id"] for e in stored} >= {text[:64] for text in columns}
    assert await head() == {"last_id": stored[-1]["id"], "last_hash": prev, "count": len(stored)}
    report = await audit.verify_chain()
    assert report.intact and report.checked == len(stored), report.problems


async def test_the_database_hashes_the_bytes_it_is_given(postgres):
    """The function's hash over canonical forms that no event has: whatever bytes come, it is
    SHA-256 of the previous hash, a newline and those bytes."""
    given = [text.encode() for text in AWKWARD] + [b"\\x0a \\\\ E'\\n'", bytes(range(256))]
    columns = [[value] * len(given) for value in _event("x").values()]
    await quick_rows(AuditEvent, audit.POSTGRES_APPEND_SQL, *columns, given)
    prev = audit.GENESIS
    for event, canonical in zip(await events(), given, strict=True):
        expected = hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()
        assert (event["prev_hash"], event["hash"]) == (prev, expected)
        prev = expected


async def test_writers_on_many_connections_make_one_chain(postgres):
    async def writer(n: int) -> None:
        for m in range(15):
            if m % 3:
                await audit._append_all([_event(f"W{n}-{m}-{k}") for k in range(m % 4 + 1)])
            else:
                async with writing():
                    await audit.record(None, None, "request.viewed", "request", f"T{n}-{m}")

    await asyncio.gather(*(writer(n) for n in range(8)))
    stored = await events()
    assert len({e["object_id"] for e in stored}) == len(stored) > 100
    report = await audit.verify_chain()
    assert report.intact and report.checked == len(stored), report.problems
    assert (await head())["count"] == len(stored)


async def test_a_batch_that_fails_leaves_nothing_behind(postgres):
    await audit._append_all([_event("before")])
    before = await head()
    await AuditEvent.raw(
        "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.object_id = 'BAD' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$"
    )
    await AuditEvent.raw(
        "CREATE TRIGGER refuse_bad BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION refuse_bad()"
    )
    with pytest.raises(Exception, match="audit store unavailable"):
        await audit._append_all([_event("good-1"), _event("BAD"), _event("good-2")])
    # A transaction that fails after its event was chained takes the event with it.
    with pytest.raises(RuntimeError, match="changed its mind"):
        async with writing():
            await audit.record(None, None, "request.viewed", "request", "rolled-back")
            raise RuntimeError("changed its mind")
    assert [e["object_id"] for e in await events()] == ["before"]
    assert await head() == before
    await audit._append_all([_event("after")])
    report = await audit.verify_chain()
    assert report.intact and report.checked == 2, report.problems


async def test_functions_planted_on_the_search_path_do_not_stand_in(postgres):
    """Someone who may create functions in the hub's schema makes better matches for what the
    append calls: it still calls PostgreSQL's own."""
    await AuditEvent.raw("CREATE FUNCTION array_length(bytea[], integer) RETURNS integer LANGUAGE sql AS 'SELECT 0'")
    await AuditEvent.raw(
        "CREATE FUNCTION convert_to(text, text) RETURNS bytea LANGUAGE sql AS 'SELECT ''forged''::bytea'"
    )
    await audit._append_all([_event("one"), _event("two")])
    assert [e["object_id"] for e in await events()] == ["one", "two"]
    report = await audit.verify_chain()
    assert report.intact and report.checked == 2, report.problems


def _event(object_id: str) -> dict:
    return {
        "at": audit.now(),
        "actor": None,
        "action": "request.viewed",
        "object_type": "request",
        "object_id": object_id,
        "request_ref": None,
        "remote_addr": "203.0.113.9",
        "detail": audit.NO_DETAIL,
    }
