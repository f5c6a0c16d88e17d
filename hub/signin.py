"""Signing in with a password, with lockout and rate limits: one mechanism for the API and pages.

Failures are counted per username and per client address over a window; reaching the limit locks
that username (or address) for a while, and while locked even the right password is refused, so
guessing gains nothing. Counters live in the database, so every web process shares them. Unknown
usernames are counted like known ones: a lockout says nothing about whether an account exists.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from hub.accounts import authenticate, now
from hub.db.tables import Account, SignInThrottle
from hub.db.transactions import writing
from hub.settings import Settings


@dataclass(frozen=True)
class SignInResult:
    account: Account | None = None
    # Seconds until the caller may try again, when locked out (then ``account`` is None).
    retry_after: int = 0
    # Which limit refused: "username" or "address".
    locked: str = ""

    @property
    def ok(self) -> bool:
        return self.account is not None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def scopes(username: str, address: str) -> dict[str, str]:
    return {"username": f"user:{username.strip().lower()[:64]}", "address": f"addr:{address[:64]}"}


async def lockout(username: str, address: str) -> tuple[str, int]:
    """("username" | "address", seconds left) if sign-in is locked for either; ("", 0) otherwise."""
    rows = await SignInThrottle.select(SignInThrottle.scope, SignInThrottle.locked_until).where(
        SignInThrottle.scope.is_in(list(scopes(username, address).values()))
    )
    stamp = now()
    for kind, scope in scopes(username, address).items():
        for row in rows:
            until = _aware(row["locked_until"])
            if row["scope"] == scope and until and until > stamp:
                return kind, max(1, math.ceil((until - stamp).total_seconds()))
    return "", 0


async def _count_failure(scope: str, limit: int, settings: Settings) -> None:
    stamp = now()
    window = dt.timedelta(seconds=settings.signin_window_seconds)
    async with writing():
        row = await SignInThrottle.objects().where(SignInThrottle.scope == scope).first()
        if row is None:
            failures, start = 1, stamp
        elif _aware(row.window_start) + window < stamp:
            failures, start = 1, stamp  # the window has passed: count afresh
        else:
            failures, start = row.failures + 1, _aware(row.window_start)
        locked = stamp + dt.timedelta(seconds=settings.signin_lockout_seconds) if failures >= limit else None
        values = {"failures": 0 if locked else failures, "window_start": start, "locked_until": locked}
        if row is None:
            await SignInThrottle.insert(SignInThrottle(scope=scope, **values)).on_conflict(
                target=SignInThrottle.scope, action="DO NOTHING"
            )
        else:
            await SignInThrottle.update({getattr(SignInThrottle, k): v for k, v in values.items()}).where(
                SignInThrottle.id == row.id
            )


async def sign_in(username: str, password: str, address: str, settings: Settings) -> SignInResult:
    """Check a username and password, unless the username or the address is locked out."""
    kind, seconds = await lockout(username, address)
    if kind:
        return SignInResult(retry_after=seconds, locked=kind)
    account = await authenticate(username, password)
    keys = scopes(username, address)
    if account is None:
        await _count_failure(keys["username"], settings.signin_max_failures, settings)
        await _count_failure(keys["address"], settings.signin_max_failures_per_address, settings)
        kind, seconds = await lockout(username, address)
        return SignInResult(retry_after=seconds, locked=kind)
    # A success clears the username's count (not the address's: one account must not unlock a
    # whole address that is guessing others).
    await SignInThrottle.delete().where(SignInThrottle.scope == keys["username"])
    return SignInResult(account=account)


async def unlock(username: str) -> bool:
    """Lift a username's lockout (an administrator's act); True if it was counted or locked."""
    scope = scopes(username, "")["username"]
    existed = await SignInThrottle.exists().where(SignInThrottle.scope == scope)
    await SignInThrottle.delete().where(SignInThrottle.scope == scope)
    return existed


async def purge_stale(settings: Settings) -> int:
    """Forget counters whose window and lockout have both passed."""
    stamp = now()
    cutoff = stamp - dt.timedelta(seconds=max(settings.signin_window_seconds, settings.signin_lockout_seconds))
    stale = SignInThrottle.window_start < cutoff
    stale &= SignInThrottle.locked_until.is_null() | (SignInThrottle.locked_until < stamp)
    count = await SignInThrottle.count().where(stale)
    await SignInThrottle.delete().where(stale)
    return count
