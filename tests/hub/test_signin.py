"""Sign-in throttling when attempts overlap, against a real SQLite database file: a success under
way never lifts a lockout set meanwhile, an attempt over the limit is refused without a check and
leaves no count, and a lockout is never shortened. (Bursts of guesses through the running hub, on
either engine: tests/stack/test_signin_races.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import msgspec
import pytest

import hub.signin as signin
from hub import sealing
from hub.db.engine import PooledSQLiteEngine
from hub.db.tables import Account, Enterprise, ServiceRequest, SignInThrottle
from hub.settings import Settings

SETTINGS = Settings(signin_max_failures=5, signin_max_failures_per_address=50)
ADDRESS = "192.0.2.10"


@pytest.fixture
async def db(tmp_path, monkeypatch):
    engine = PooledSQLiteEngine(path=str(tmp_path / "hub.sqlite"))
    await engine.run_ddl("PRAGMA journal_mode=WAL;")
    for table in (SignInThrottle, Account, Enterprise, ServiceRequest):
        monkeypatch.setattr(table._meta, "db", engine)
    for table in (Enterprise, Account, SignInThrottle):
        await table.create_table(if_not_exists=True)
    monkeypatch.setattr(sealing, "_keys", sealing.DataKeys(tmp_path / "data-keys"))
    yield engine
    await engine.close_connections()


class Passwords:
    """Stands in for the password check: "right" opens an account, but only once ``release`` is
    set, so a test decides what happens while a check is under way."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.checked = 0

    async def __call__(self, username: str, password: str):
        self.checked += 1
        if password != "right":
            return None
        await self.release.wait()
        return SimpleNamespace(id=1, username=username)


@pytest.fixture
def passwords(monkeypatch):
    check = Passwords()
    monkeypatch.setattr(signin, "authenticate", check)
    return check


async def wrong(username: str, n: int = 1) -> list[signin.SignInResult]:
    return [await signin.sign_in(username, "wrong", ADDRESS, SETTINGS) for _ in range(n)]


async def test_a_success_under_way_does_not_lift_a_lockout_set_meanwhile(db, passwords):
    right = asyncio.create_task(signin.sign_in("wangwu", "right", ADDRESS, SETTINGS))
    while passwords.checked == 0:  # its attempt is counted and its password being checked
        await asyncio.sleep(0.01)
    assert (await wrong("wangwu", 5))[-1].locked == "username"
    passwords.release.set()
    assert (await right).ok  # its check was within the limit
    assert (await signin.lockout("wangwu", ADDRESS))[0] == "username"
    assert not (await signin.sign_in("wangwu", "right", ADDRESS, SETTINGS)).ok


async def test_an_attempt_over_the_limit_is_refused_unchecked_and_uncounted(db, passwords):
    await wrong("zhaoliu", 4)
    # Submitted twice at once after four typos: the fifth attempt is checked, the sixth is not.
    tries = [asyncio.create_task(signin.sign_in("zhaoliu", "right", ADDRESS, SETTINGS)) for _ in range(2)]
    await asyncio.wait(tries, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert passwords.checked == 5  # the refused one finished while the other's check is under way
    passwords.release.set()
    results = await asyncio.gather(*tries)
    assert passwords.checked == 5
    assert sorted(r.ok for r in results) == [False, True]
    refused = next(r for r in results if not r.ok)
    assert refused.locked == "username" and refused.retry_after == 1
    # No lockout follows, and the success cleared the username's count.
    assert await signin.lockout("zhaoliu", ADDRESS) == ("", 0)
    assert not await SignInThrottle.exists().where(SignInThrottle.scope == signin.scopes("zhaoliu", "")["username"])
    # The address counts only the four failures.
    row = await SignInThrottle.select(SignInThrottle.failures).where(SignInThrottle.scope == f"addr:{ADDRESS}").first()
    assert row["failures"] == 4


async def test_a_lockout_is_never_shortened(db, passwords):
    assert (await wrong("sunqi", 5))[-1].locked == "username"
    # The name typed (often a password in the wrong box) is counted by its digest, not kept.
    assert all("sunqi" not in r["scope"] for r in await SignInThrottle.select(SignInThrottle.scope))
    until = (await SignInThrottle.select(SignInThrottle.locked_until).first())["locked_until"]
    await signin._lock(
        signin.scopes("sunqi", "")["username"], msgspec.structs.replace(SETTINGS, signin_lockout_seconds=60)
    )
    assert (await SignInThrottle.select(SignInThrottle.locked_until).first())["locked_until"] == until
    assert until - dt.datetime.now(dt.UTC) > dt.timedelta(seconds=800)
    # Attempts while locked are refused unchecked and do not count.
    assert (await wrong("sunqi"))[0].locked == "username" and passwords.checked == 5


async def test_an_unknown_username_is_audited_only_as_a_keyed_digest(db):
    subject = await signin.audit_subject("MyS3cret-Password")
    digest = subject["audit_detail"]["username_digest"]
    assert subject["audit_id"] == "" and "s3cret" not in digest.lower()
    # The same name (as the throttle normalises it) gives the same digest; another name another.
    assert digest == signin.username_digest(" mys3cret-password ") != signin.username_digest("other")


async def test_counts_kept_under_a_name_in_clear_are_dropped_on_upgrade(db, monkeypatch):
    import importlib

    from piccolo.table import Table

    monkeypatch.setattr(Table._meta, "db", db)  # a migration's own statements run on the base class's engine
    upgrade = importlib.import_module("hub.db.migrations.qinqing_2026_12_05t05_00_00_000000")
    stamp = dt.datetime.now(dt.UTC)
    for scope in ("user:my-password-123", f"addr:{ADDRESS}"):
        await SignInThrottle.insert(SignInThrottle(scope=scope, failures=3, window_start=stamp))
    await (await upgrade.forwards()).run()
    assert [r["scope"] for r in await SignInThrottle.select(SignInThrottle.scope)] == [f"addr:{ADDRESS}"]
