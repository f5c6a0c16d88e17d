"""Word from PostgreSQL that rows changed, heard by every process that listens for it.

A table's trigger (a migration makes it) calls ``pg_notify`` on a channel as part of the writing
transaction, so the notice goes out when, and only if, the change is committed, whichever process
or tool made it. A ``NoticeListener`` holds one connection of its own (not from the pool: a pooled
connection must carry no ``LISTEN``) and passes each notice's text on.

Notices sent while no one listens are lost; so whoever acts on them must know when it was not
listening: ``on_listening(False)`` as soon as the connection is lost or stops answering,
``on_listening(True)`` once it listens again (and may have missed some).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger("qinqing.db")

# How often an idle listening connection is asked whether it still answers, and how long it has to:
# a connection cut without a word (a network partition) is otherwise only found when TCP gives up.
HEARTBEAT_S = 5.0
HEARTBEAT_TIMEOUT_S = 2.0
RECONNECT_S = 1.0


class NoticeListener:
    """Listens on ``channel`` over a connection of its own, for as long as ``run`` runs, reconnecting
    after a second whenever the connection is lost."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        on_notice: Callable[[str], None],
        on_listening: Callable[[bool], None],
        application_name: str = "qinqing-notices",
    ):
        self.dsn, self.channel, self.application_name = dsn, channel, application_name
        self.on_notice, self.on_listening = on_notice, on_listening

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self.on_notice(payload)

    async def run(self) -> None:
        while True:
            await self._listen_once()
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
            self.on_listening(True)
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), HEARTBEAT_S)
                except TimeoutError:
                    await connection.fetchval("SELECT 1", timeout=HEARTBEAT_TIMEOUT_S)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("stopped listening for %s: %s: %s", self.channel, type(exc).__name__, exc)
        finally:
            self.on_listening(False)
            connection.terminate()
