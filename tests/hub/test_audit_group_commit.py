"""Events recorded outside a transaction (a view of a request, mostly) share commits, on a real
SQLite file: each caller returns once its own event is stored, the next batch goes as soon as the
one before is stored (not once its callers have all been told), a batch that cannot be stored fails
its callers and no one else, and a caller that stops waiting still leaves its event stored, or
its loss in the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub import audit
from hub.db.records import quick_rows
from hub.db.tables import AuditEvent


async def stored(object_id: str) -> int:
    rows = await quick_rows(AuditEvent, "SELECT count(*) AS n FROM audit_event WHERE object_id = {}", object_id)
    return rows[0]["n"]


class Commits:
    """The real ``_append_all``, counted; ``during`` runs while the first commit is under way."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.answered_before: list[int] = []  # callers told their event was stored, as each commit began
        self.answered = 0
        self.during: list = []


@pytest.fixture
def commits(monkeypatch):
    counted = Commits()
    append_all = audit._append_all

    async def counting(events):
        counted.batches.append([e["object_id"] for e in events])
        counted.answered_before.append(counted.answered)
        if len(counted.batches) == 1:
            for start in counted.during:
                start()
        await append_all(events)

    monkeypatch.setattr(audit, "_append_all", counting)
    return counted


async def view(ref: str, commits: Commits | None = None) -> int:
    """Record a view of ``ref``; how many of its events are stored the moment the call returns."""
    await audit.record(None, None, "request.viewed", "request", ref)
    if commits is not None:
        commits.answered += 1
    return await stored(ref)


async def test_the_next_batch_commits_as_soon_as_the_one_before_is_stored(database, commits):
    later: list[asyncio.Task] = []
    # The second wave arrives while the first batch is being committed.
    commits.during.append(lambda: later.extend(asyncio.create_task(view(f"L{n:02}", commits)) for n in range(20)))
    first = [asyncio.create_task(view(f"F{n:02}", commits)) for n in range(20)]
    assert await asyncio.gather(*first) == [1] * 20
    assert await asyncio.gather(*later) == [1] * 20
    assert [len(b) for b in commits.batches] == [20, 20]
    # The second commit began before the first batch's callers had been told: they did not stand in
    # its way (they once took turns at a lock, and the next batch waited for all twenty).
    assert commits.answered_before == [0, 0]
    report = await audit.verify_chain()
    assert report.intact and report.checked == 40


async def test_a_batch_that_cannot_be_stored_fails_its_callers_and_no_one_else(database, commits):
    await AuditEvent.raw(
        "CREATE TRIGGER refuse_views BEFORE INSERT ON audit_event WHEN NEW.object_id LIKE 'BAD%' "
        "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
    )
    alongside: list[asyncio.Task] = []
    commits.during.append(lambda: alongside.extend(asyncio.create_task(view(f"OK{n}")) for n in range(5)))
    refused = await asyncio.gather(*(view(f"BAD{n}") for n in range(5)), return_exceptions=True)
    assert all(isinstance(r, Exception) and "audit store unavailable" in str(r) for r in refused)
    assert sum([await stored(f"BAD{n}") for n in range(5)]) == 0
    assert await asyncio.gather(*alongside) == [1] * 5  # arrived while the bad batch was failing
    assert await view("AFTER") == 1
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


async def test_an_event_no_one_waits_for_that_cannot_be_stored_is_named_in_the_log(database, commits, caplog):
    await AuditEvent.raw(
        "CREATE TRIGGER refuse_views BEFORE INSERT ON audit_event WHEN NEW.object_id = 'LOST' "
        "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
    )
    gone = asyncio.create_task(view("LOST"))
    await asyncio.sleep(0)
    gone.cancel()
    with caplog.at_level(logging.ERROR, logger="qinqing.audit"), pytest.raises(asyncio.CancelledError):
        await gone
    await asyncio.sleep(0.2)  # the batch fails after its only caller has gone
    assert await stored("LOST") == 0
    assert any(
        "not stored" in r.getMessage() and "request.viewed request LOST" in r.getMessage() for r in caplog.records
    )


async def test_a_committer_stopped_before_it_began_tells_its_callers_and_a_new_one_follows(database, commits):
    first = asyncio.create_task(view("FIRST"))
    await asyncio.sleep(0)  # FIRST is gathered and its committer made, not yet begun
    committer = audit._group_commit().committer
    assert committer is not None
    committer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first  # told, not left waiting
    assert await view("NEXT") == 1
    assert (await audit.verify_chain()).intact
