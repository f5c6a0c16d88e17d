"""Events recorded outside a transaction (a view of a request, mostly) share commits, on a real
SQLite file: each caller returns once its own event is stored, a batch that cannot be stored fails
its callers and no one else, and a caller that gives up waiting still leaves its event stored."""

from __future__ import annotations

import asyncio

import pytest

from hub import audit
from hub.db.records import quick_rows
from hub.db.tables import AuditEvent


async def stored(object_id: str) -> int:
    rows = await quick_rows(AuditEvent, "SELECT count(*) AS n FROM audit_event WHERE object_id = {}", object_id)
    return rows[0]["n"]


@pytest.fixture
def commits(monkeypatch):
    """How many transactions stored the events (the real ``_append_all``, counted)."""
    counted = [0]
    append_all = audit._append_all

    async def counting(events):
        counted[0] += 1
        await append_all(events)

    monkeypatch.setattr(audit, "_append_all", counting)
    return counted


async def view(ref: str) -> int:
    """Record a view of ``ref``; how many of its events are stored the moment the call returns."""
    await audit.record(None, None, "request.viewed", "request", ref)
    return await stored(ref)


async def test_views_arriving_together_share_commits_and_each_returns_once_stored(database, commits):
    first = [asyncio.create_task(view(f"R{n:03}")) for n in range(40)]
    await asyncio.sleep(0)  # the first batch is on its way while more arrive
    later = [asyncio.create_task(view(f"R{n:03}")) for n in range(40, 80)]
    assert await asyncio.gather(*first, *later) == [1] * 80
    assert 2 <= commits[0] < 20
    report = await audit.verify_chain()
    assert report.intact and report.checked == 80


async def test_a_batch_that_cannot_be_stored_fails_its_callers_and_the_next_goes_through(database, commits):
    await AuditEvent.raw(
        "CREATE TRIGGER refuse_views BEFORE INSERT ON audit_event WHEN NEW.object_id LIKE 'BAD%' "
        "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
    )
    refused = await asyncio.gather(*(view(f"BAD{n}") for n in range(5)), return_exceptions=True)
    assert all(isinstance(r, Exception) and "audit store unavailable" in str(r) for r in refused)
    assert sum([await stored(f"BAD{n}") for n in range(5)]) == 0
    assert await asyncio.gather(*(view(f"OK{n}") for n in range(5))) == [1] * 5
    assert (await audit.verify_chain()).intact


async def test_a_caller_that_stops_waiting_still_leaves_its_event_stored(database, commits):
    gone = asyncio.create_task(view("GONE"))
    staying = asyncio.create_task(view("STAYING"))
    await asyncio.sleep(0)
    gone.cancel()
    assert await staying == 1
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await stored("GONE") == 1
    assert await view("AFTER") == 1
    assert (await audit.verify_chain()).intact
