"""What a web process keeps of the database's rows, for as long as PostgreSQL's notices tell it of
every change to them (``hub.db.notices``).

The rules, whatever is kept (signed-in callers in ``hub.kept_sessions``, inbox pages in
``hub.workbench.kept_inbox``, requests' details in ``hub.requests.kept_details``):

- Nothing is kept, and everything is read, while the process is not listening (before it starts,
  and from the moment its listening connection is lost or stops answering until it listens again);
  what was kept is dropped both when listening stops and when it starts again.
- A read that began before a notice that may concern it (or before listening changed) is not kept:
  the rows it read may be the very ones the notice says changed.
- What is kept is read again after its lifetime whatever was heard.
- The process that changes the rows forgets what it kept of them at once itself, without waiting
  for the notice; the other processes hear it within the time the notice takes to arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Hashable, Mapping
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from piccolo.engine.postgres import PostgresEngine

from hub.db.notices import VOUCHED_S, NoticeListener


def triggers_ready_sql(triggers: Mapping[str, tuple[str, ...]]) -> str:
    """A statement whose one value is true while every trigger named (``{table: (trigger, ...)}``)
    is in place and switched on: while one is not, notices may go unsent, and nothing is kept."""
    pairs = ", ".join(f"('{table}', '{name}')" for table, names in triggers.items() for name in names)
    count = sum(len(names) for names in triggers.values())
    return (
        f"SELECT count(*) = {count} FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        f" WHERE t.tgenabled IN ('O', 'A') AND pg_table_is_visible(c.oid) AND (c.relname, t.tgname) IN ({pairs})"
    )


class KeptWhileHeard(ABC):
    """Whether what a process keeps may be used: it listens, and a heartbeat vouched for it lately.

    ``generation`` moves on with every notice, every forgetting and every change of listening; a
    read is kept only if the generation it began in is still current. Subclasses say what they keep
    (``clear`` drops it all) and what a notice drops (``heard``)."""

    def __init__(self) -> None:
        self.listening = self.given_up = False
        self.vouched_until = 0.0  # time.monotonic() until which the listening connection is vouched for
        self.generation = 0
        self.in_use = False  # whether a ``keeping`` runs for it in this process

    def trusted(self) -> bool:
        return self.listening and time.monotonic() < self.vouched_until

    @abstractmethod
    def clear(self) -> None: ...

    @abstractmethod
    def heard(self, notice: str) -> None: ...

    def listening_changed(self, listening: bool) -> None:
        self.generation += 1
        self.clear()
        self.listening = listening and not self.given_up
        self.vouched_until = 0.0

    def alive(self) -> None:
        """The listening connection answered, the triggers in place: what was heard holds a while."""
        self.vouched_until = time.monotonic() + VOUCHED_S

    def give_up(self) -> None:
        """Keep nothing from now on, whatever is heard."""
        self.given_up = True
        self.listening_changed(False)


class Stamp(NamedTuple):
    """When a read began: the generation of everything, and of its group."""

    everything: int
    group: int


class KeptRead(NamedTuple):
    since: float  # time.monotonic() when it was read
    value: Any
    size: int  # what it counts against ``most``: an inbox page, its rows


class KeptReads(KeptWhileHeard):
    """Reads kept by group and key, such as a department's inbox pages or a request's details: a
    notice ``g:<group>`` drops one group's reads, anything else drops them all. At most ``most`` in
    all by their sizes, those kept longest ago going first.

    Groups may be many (every request is one), so each group's keys are indexed, and the groups'
    generations are forgotten together once there are ``most_groups`` of them: the generation of
    everything moves on then, so that no read begun before is kept."""

    def __init__(self, lifetime: float, most: int, most_groups: int = 100_000):
        super().__init__()
        self.lifetime, self.most, self.most_groups = lifetime, most, most_groups
        self._kept: dict[tuple[str, Hashable], KeptRead] = {}
        self._keys: dict[str, set[Hashable]] = {}  # each group's keys in ``_kept``
        self._groups: dict[str, int] = {}  # each group's generation, once it has moved
        self.size = 0

    def __len__(self) -> int:
        return len(self._kept)

    def _drop(self, key: tuple[str, Hashable]) -> None:
        self.size -= self._kept.pop(key).size
        group, within = key
        keys = self._keys[group]
        keys.discard(within)
        if not keys:
            del self._keys[group]

    def stamp(self, group: str) -> Stamp:
        return Stamp(self.generation, self._groups.get(group, 0))

    def get(self, group: str, key: Hashable) -> KeptRead | None:
        if not self.trusted():
            return None
        kept = self._kept.get((group, key))
        if kept is not None and time.monotonic() - kept.since > self.lifetime:
            self._drop((group, key))
            return None
        return kept

    def keep(self, stamp: Stamp, group: str, key: Hashable, value: Any, size: int = 1) -> None:
        """Keep a read begun at ``stamp`` if nothing about its group was heard since and the process listens."""
        if stamp != self.stamp(group) or not self.trusted() or size > self.most:
            return
        if (group, key) in self._kept:
            self._drop((group, key))
        while self.size + size > self.most:
            self._drop(next(iter(self._kept)))  # the one kept longest ago
        self._kept[group, key] = KeptRead(time.monotonic(), value, size)
        self._keys.setdefault(group, set()).add(key)
        self.size += size

    def heard(self, notice: str) -> None:
        kind, colon, group = notice.partition(":")
        if kind == "g" and colon:
            self.forget(group)
        else:
            self.generation += 1
            self.clear()

    def forget(self, group: str) -> None:
        if len(self._groups) >= self.most_groups:
            self.generation += 1  # reads in flight are not kept: their groups' generations go
            self._groups.clear()
        self._groups[group] = self._groups.get(group, 0) + 1
        for key in list(self._keys.get(group, ())):
            self._drop((group, key))

    def clear(self) -> None:
        self._kept.clear()
        self._keys.clear()
        self.size = 0


@asynccontextmanager
async def keeping(kept: KeptWhileHeard, engine: Any, channel: str, ready_sql: str, name: str) -> AsyncIterator[None]:
    """For the life of a web process on PostgreSQL: listen for the notices on ``channel`` that tell
    ``kept`` what changed, on the database it is read from. On SQLite nothing is kept."""
    if not isinstance(engine, PostgresEngine):
        yield
        return
    if kept.in_use:
        # A second app in this process (tests make them), perhaps on another database whose
        # notices nobody hears here: from now on this process keeps nothing of it.
        kept.give_up()
        yield
        return
    kept.in_use = True
    listener = NoticeListener(
        engine.config["dsn"],
        channel,
        ready_sql,
        on_notice=kept.heard,
        on_listening=kept.listening_changed,
        on_alive=kept.alive,
        application_name=f"qinqing-{name}",
    )
    listening = asyncio.create_task(listener.run(), name=f"{name} notices")
    try:
        yield
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listening
        kept.listening_changed(False)
        kept.in_use = False
