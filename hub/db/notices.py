"""Word from PostgreSQL that rows changed, heard by every process that listens for it.

A table's trigger (a migration makes it) calls ``pg_notify`` on a channel as part of the writing
transaction, so the notice goes out when, and only if, the change is committed, whichever process
or tool made it. A ``NoticeListener`` holds one connection of its own (not from the pool: a pooled
connection must carry no ``LISTEN``) and passes each notice's text on.

Notices sent while no one listens are lost, and none are sent while the triggers are missing or
switched off. So whoever acts on them is told when it may not have heard everything:
``on_listening(False)`` as soon as the connection is lost, stops answering, or the triggers are
found missing; ``on_listening(True)`` once it listens again (and may have missed some). And
``on_alive()`` each time the connection has answered and the triggers were found in place, at
least every ``HEARTBEAT_S``: past ``VOUCHED_S`` without it, nothing heard can be trusted (a
connection cut without a word, as a network partition cuts it, is otherwise only found when TCP
gives up).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger("qinqing.db")

HEARTBEAT_S = 1.0
HEARTBEAT_TIMEOUT_S = 1.0
# How long one good heartbeat vouches for the notices: the next one, late by its timeout and a
# busy event loop's delay.
VOUCHED_S = HEARTBEAT_S + HEARTBEAT_TIMEOUT_S + 1.0
RECONNECT_S = 1.0


class NoticeListener:
    """Listens on ``channel`` over a connection of its own, for as long as ``run`` runs, reconnecting
    a second after the connection is lost. ``ready_sql``: a statement whose one value is true while
    the triggers that send the notices are in place (asked at every heartbeat)."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        ready_sql: str,
        on_notice: Callable[[str], None],
        on_listening: Callable[[bool], None],
        on_alive: Callable[[], None],
        application_name: str = "qinqing-notices",
    ):
        self.dsn, self.channel, self.ready_sql, self.application_name = dsn, channel, ready_sql, application_name
        self.on_notice, self.on_listening, self.on_alive = on_notice, on_listening, on_alive

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self.on_notice(payload)

    async def run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except Exception:  # noqa: BLE001 - whatever it was, listen again: the hub must not stop hearing
                log.exception("listening for %s failed", self.channel)
            await asyncio.sleep(RECONNECT_S)

    async def _listen_once(self) -> None:
        try:
            connection = await asyncpg.connect(
                self.dsn, timeout=HEARTBEAT_TIMEOUT_S, server_settings={"application_name": self.application_name}
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("cannot listen for %s: %s: %s", self.channel, type(exc).__name__, exc)
            return
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(self.channel, self._heard)
            listening: bool | None = None
            while not lost.is_set():
                # Listening first, then the triggers checked: a change committed in between is heard.
                ready = bool(await connection.fetchval(self.ready_sql, timeout=HEARTBEAT_TIMEOUT_S))
                if ready != listening:
                    if not ready:
                        log.warning("the triggers that send %s are missing or switched off", self.channel)
                    self.on_listening(ready)
                    listening = ready
                if ready:
                    self.on_alive()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), HEARTBEAT_S)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("stopped listening for %s: %s: %s", self.channel, type(exc).__name__, exc)
        finally:
            self.on_listening(False)
            connection.terminate()
