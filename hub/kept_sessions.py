"""Signed-in callers kept in a web process on PostgreSQL, for as long as word of every change reaches it.

Every signed-in request starts by reading its session with the account's caller fields. On
PostgreSQL that read, a round trip to the server, was a sixth of an inbox page. So a web process
keeps what it read, and drops it as soon as PostgreSQL tells it that the session ended or changed,
or the account changed: triggers on ``api_session`` and ``account`` notify ``SIGN_IN_CHANNEL`` in
the writing transaction, whoever writes (``s:<token hash>``, ``a:<account id>``, ``*`` when a table
is emptied), and ``hub.db.notices`` passes the notices on.

What keeps this safe:

- Nothing is kept, and everything is read, while the process is not listening (before it starts,
  and from the moment its listening connection is lost or stops answering until it listens again);
  what was kept is dropped both when listening stops and when it starts again.
- A read that began before a notice (or before listening changed) is not kept: the row it read may
  be the very one the notice ended.
- A kept caller is read again after ``LIFETIME_S`` whatever was heard, and the session's expiry is
  checked on every use.
- The process that ends a session or changes an account forgets it at once itself, without waiting
  for the notice; the other processes hear it within the time the notice takes to arrive.

On SQLite the read takes microseconds in the process itself, and nothing is kept.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, NamedTuple

from hub.db.notices import VOUCHED_S

SIGN_IN_CHANNEL = "qinqing_sign_ins"
# The triggers that send the notices (the migration of 2026-12-05T13:45 makes them); while any is
# missing or switched off, nothing is kept.
SIGN_IN_TRIGGERS = {
    "api_session": ("api_session_changed", "api_session_emptied"),
    "account": ("account_changed", "account_emptied"),
}
SIGN_IN_TRIGGERS_READY = (
    "SELECT count(*) = {count} FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE t.tgenabled IN ('O', 'A') AND pg_table_is_visible(c.oid) AND (c.relname, t.tgname) IN ({pairs})"
).format(
    count=sum(len(names) for names in SIGN_IN_TRIGGERS.values()),
    pairs=", ".join(f"('{table}', '{name}')" for table, names in SIGN_IN_TRIGGERS.items() for name in names),
)
LIFETIME_S = 60.0
MOST = 10_000


class Kept(NamedTuple):
    since: float  # time.monotonic() when it was read
    account_id: int
    expires_at: dt.datetime
    caller: Any


class KeptSessions:
    """Callers by their token's hash, in one process."""

    def __init__(self, lifetime: float = LIFETIME_S, most: int = MOST):
        self.lifetime, self.most = lifetime, most
        self._kept: dict[str, Kept] = {}
        self.listening = self.given_up = False
        self.vouched_until = 0.0  # time.monotonic() until which the listening connection is vouched for
        # Moves on with every notice, every forgetting and every change of listening: a read kept
        # only if it has not moved since the read began.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._kept)

    def trusted(self) -> bool:
        return self.listening and time.monotonic() < self.vouched_until

    def get(self, token_hash: str) -> Kept | None:
        if not self.trusted():
            return None
        kept = self._kept.get(token_hash)
        if kept is not None and time.monotonic() - kept.since > self.lifetime:
            del self._kept[token_hash]
            return None
        return kept

    def keep(self, generation: int, token_hash: str, account_id: int, expires_at: dt.datetime, caller: Any) -> None:
        """Keep a caller read when ``generation`` was current, if it still is and the process listens."""
        if generation != self.generation or not self.trusted():
            return
        if len(self._kept) >= self.most:
            self._kept.pop(next(iter(self._kept)))  # the one kept longest ago
        self._kept[token_hash] = Kept(time.monotonic(), account_id, expires_at, caller)

    def heard(self, notice: str) -> None:
        """A notice from the triggers: ``s:<token hash>``, ``a:<account id>``; anything else drops all."""
        self.generation += 1
        kind, _, key = notice.partition(":")
        if kind == "s" and key:
            self._kept.pop(key, None)
        elif kind == "a" and key.isdigit():
            self.forget_account(int(key))
        else:
            self._kept.clear()

    def forget_session(self, token_hash: str) -> None:
        self.heard(f"s:{token_hash}")

    def forget_account(self, account_id: int) -> None:
        self.generation += 1
        for token_hash in [h for h, kept in self._kept.items() if kept.account_id == account_id]:
            del self._kept[token_hash]

    def listening_changed(self, listening: bool) -> None:
        self.generation += 1
        self._kept.clear()
        self.listening = listening and not self.given_up
        self.vouched_until = 0.0

    def alive(self) -> None:
        """The listening connection answered, the triggers in place: what was heard holds a while."""
        self.vouched_until = time.monotonic() + VOUCHED_S

    def give_up(self) -> None:
        """Keep nothing from now on, whatever is heard."""
        self.given_up = True
        self.listening_changed(False)
