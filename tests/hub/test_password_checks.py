"""A password check is one Argon2 verification, known username or not, and it runs off the event
loop: while it runs, the web process goes on answering other requests."""

from __future__ import annotations

import asyncio
import threading

import pytest

import hub.accounts as accounts
from hub import sealing
from hub.clock import now
from hub.db.engine import PooledSQLiteEngine
from hub.db.tables import Account, Enterprise


@pytest.fixture
async def db(tmp_path, monkeypatch):
    engine = PooledSQLiteEngine(path=str(tmp_path / "hub.sqlite"))
    for table in (Account, Enterprise):
        monkeypatch.setattr(table._meta, "db", engine)
    for table in (Enterprise, Account):
        await table.create_table(if_not_exists=True)
    monkeypatch.setattr(sealing, "_keys", sealing.DataKeys(tmp_path / "data-keys"))
    await Account.insert(
        Account(
            username="lisi",
            full_name=accounts.sealed_name("Li Si"),
            role="citizen",
            password_hash=accounts.hash_password("right"),
            created_at=now(),
        )
    )
    yield engine
    await engine.close_connections()


@pytest.fixture
def verifications(monkeypatch):
    """The hashes verified, and on which thread."""
    seen: list[tuple[str, int]] = []
    matches = accounts._password_matches

    def recording(password_hash: str, password: str) -> bool:
        seen.append((password_hash, threading.get_ident()))
        return matches(password_hash, password)

    monkeypatch.setattr(accounts, "_password_matches", recording)
    return seen


async def test_one_verification_off_the_loop_known_or_unknown(db, verifications):
    loop_thread = threading.get_ident()
    assert (await accounts.authenticate("lisi", "right")).username == "lisi"
    assert await accounts.authenticate("lisi", "wrong") is None
    assert await accounts.authenticate("nobody", "right") is None
    assert len(verifications) == 3
    assert verifications[2][0] == accounts._DUMMY_HASH
    assert all(thread != loop_thread for _, thread in verifications)


async def test_the_loop_keeps_running_during_a_check(db, monkeypatch):
    started, answered = threading.Event(), threading.Event()
    matches = accounts._password_matches
    loop_ran: list[bool] = []

    def slow(password_hash: str, password: str) -> bool:
        started.set()
        loop_ran.append(answered.wait(timeout=5))  # never set while the loop waits for this
        return matches(password_hash, password)

    async def answering() -> None:
        while not started.is_set():
            await asyncio.sleep(0.001)
        answered.set()

    monkeypatch.setattr(accounts, "_password_matches", slow)
    other = asyncio.create_task(answering())
    assert (await accounts.authenticate("lisi", "right")) is not None
    await other
    assert loop_ran == [True]
