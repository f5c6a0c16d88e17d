"""The callers a web process keeps (hub.kept_sessions): what is kept, and what makes it go.

The notices themselves, from PostgreSQL's triggers to two web processes, are tested on the stack
(tests/stack/test_scale_out.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time

import pytest

from hub import accounts, kept_sessions
from hub.accounts import _token_hash, principal_for_token
from hub.db.notices import VOUCHED_S, NoticeListener
from hub.kept_sessions import KeptSessions

LATER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def listening(**kwargs) -> KeptSessions:
    kept = KeptSessions(**kwargs)
    kept.listening_changed(True)
    kept.alive()
    return kept


def test_nothing_is_kept_while_not_listening():
    kept = KeptSessions()
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    assert kept.get("h1") is None and len(kept) == 0


def test_a_caller_read_while_listening_is_kept():
    kept = listening()
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    assert kept.get("h1").caller == "caller 1"
    assert kept.get("h2") is None


def test_nothing_is_kept_or_used_unless_a_heartbeat_vouched_for_the_listening_lately(monkeypatch):
    kept = KeptSessions()
    kept.listening_changed(True)  # listening, but no heartbeat yet
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    assert len(kept) == 0
    kept.alive()
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    assert kept.get("h1") is not None
    # The heartbeat is overdue (a connection cut without a word): what is kept is not used.
    later = time.monotonic() + VOUCHED_S + 0.1
    monkeypatch.setattr(kept_sessions.time, "monotonic", lambda: later)
    assert kept.get("h1") is None


def test_a_listener_that_cannot_connect_never_says_it_listens():
    heard: list[object] = []
    listener = NoticeListener(
        "postgresql://nobody@127.0.0.1:9/none",
        "qinqing_test",
        "SELECT true",
        on_notice=heard.append,
        on_listening=heard.append,
        on_alive=lambda: heard.append("alive"),
    )

    async def listen_a_while() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listener.run(), 2.5)

    asyncio.run(listen_a_while())
    assert True not in heard and "alive" not in heard


def test_a_read_that_began_before_a_notice_is_not_kept():
    # The row read may be the very one the notice ended, whichever session or account it named.
    for notice in ("s:h1", "s:other", "a:7", "*"):
        kept = listening()
        began = kept.generation
        kept.heard(notice)
        kept.keep(began, "h1", 1, LATER, "caller 1")
        assert kept.get("h1") is None, notice


def test_a_read_that_began_before_listening_changed_is_not_kept():
    kept = listening()
    began = kept.generation
    kept.listening_changed(False)
    kept.listening_changed(True)
    kept.keep(began, "h1", 1, LATER, "caller 1")
    assert kept.get("h1") is None


def test_notices_drop_a_session_an_account_s_sessions_or_all():
    kept = listening()
    for token_hash, account in (("h1", 1), ("h2", 1), ("h3", 2), ("h4", 3)):
        kept.keep(kept.generation, token_hash, account, LATER, f"caller {account}")
    kept.heard("s:h3")
    assert [h for h in ("h1", "h2", "h3", "h4") if kept.get(h)] == ["h1", "h2", "h4"]
    kept.heard("a:1")
    assert [h for h in ("h1", "h2", "h3", "h4") if kept.get(h)] == ["h4"]
    kept.heard("*")
    assert len(kept) == 0


def test_a_notice_not_understood_drops_everything():
    for notice in ("", "a:", "a:x", "s:", "something"):
        kept = listening()
        kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
        kept.heard(notice)
        assert kept.get("h1") is None, notice


def test_listening_lost_or_regained_drops_everything():
    kept = listening()
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    kept.listening_changed(False)
    assert kept.get("h1") is None and len(kept) == 0
    kept.listening_changed(True)
    kept.alive()
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    assert len(kept) == 1
    kept.listening_changed(True)  # listening again after a loss not yet seen: may have missed notices
    assert len(kept) == 0


def test_after_giving_up_nothing_is_kept_even_when_listening_again():
    kept = listening()
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    kept.give_up()
    kept.listening_changed(True)
    kept.alive()
    kept.keep(kept.generation, "h2", 1, LATER, "caller 1")
    assert len(kept) == 0 and kept.get("h1") is None


def test_a_kept_caller_is_read_again_after_its_lifetime():
    kept = listening(lifetime=-1.0)
    kept.keep(kept.generation, "h1", 1, LATER, "caller 1")
    assert kept.get("h1") is None and len(kept) == 0


def test_at_most_so_many_are_kept_the_oldest_going_first():
    kept = listening(most=2)
    for n in (1, 2, 3):
        kept.keep(kept.generation, f"h{n}", n, LATER, f"caller {n}")
    assert [kept.get(h) is not None for h in ("h1", "h2", "h3")] == [False, True, True]


@pytest.fixture
def kept_here(monkeypatch):
    kept = listening()
    monkeypatch.setattr(accounts, "KEPT", kept)
    return kept


def test_a_kept_session_past_its_expiry_is_refused(kept_here):
    token = "a-token-of-a-test"
    caller = object()
    kept_here.keep(kept_here.generation, _token_hash(token), 1, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), caller)
    assert asyncio.run(principal_for_token(token)) is caller
    kept_here.keep(
        kept_here.generation, _token_hash(token), 1, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), caller
    )
    assert asyncio.run(principal_for_token(token)) is None
