"""Signed-in callers kept in a web process on PostgreSQL, for as long as word of every change reaches it.

Every signed-in request starts by reading its session with the account's caller fields. On
PostgreSQL that read, a round trip to the server, was a sixth of an inbox page. So a web process
keeps what it read, and drops it as soon as PostgreSQL tells it that the session ended or changed,
or the account changed: triggers on ``api_session`` and ``account`` notify ``SIGN_IN_CHANNEL`` in
the writing transaction, whoever writes (``s:<token hash>``, ``a:<account id>``, ``*`` when a table
is emptied), and ``hub.db.notices`` passes the notices on.

What keeps this safe is said in ``hub.db.kept``; besides, the session's expiry is checked on every
use.

On SQLite the read takes microseconds in the process itself, and nothing is kept.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, NamedTuple

from hub.db.kept import KeptWhileHeard, triggers_ready_sql

SIGN_IN_CHANNEL = "qinqing_sign_ins"
# The triggers that send the notices (the migration of 2026-12-05T13:45 makes them); while any is
# missing or switched off, nothing is kept.
SIGN_IN_TRIGGERS = {
    "api_session": ("api_session_changed", "api_session_emptied"),
    "account": ("account_changed", "account_emptied"),
}
SIGN_IN_TRIGGERS_READY = triggers_ready_sql(SIGN_IN_TRIGGERS)
LIFETIME_S = 60.0
MOST = 10_000


class Kept(NamedTuple):
    since: float  # time.monotonic() when it was read
    account_id: int
    expires_at: dt.datetime
    caller: Any


class KeptSessions(KeptWhileHeard):
    """Callers by their token's hash, in one process."""

    def __init__(self, lifetime: float = LIFETIME_S, most: int = MOST):
        super().__init__()
        self.lifetime, self.most = lifetime, most
        self._kept: dict[str, Kept] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        self._kept.clear()

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
