"""Signing in with a password, with lockout and rate limits: one mechanism for the API and pages.

Attempts are counted per username and per client address over a window; reaching the limit locks
that username (or address) for a while, and while locked even the right password is refused, so
guessing gains nothing. Counters live in the database, so every web process shares them. Unknown
usernames are counted like known ones: a lockout says nothing about whether an account exists.

Simultaneous guesses must not get more checks than the limit, so an attempt is counted *before*
its password is checked, by one atomic statement per scope (an upsert that increments and returns
the count). N attempts at once see N different counts:

- an attempt whose count is within the limit has its password checked; the rest are refused
  unchecked and their count is taken back (they guessed nothing);
- while its password is checked an attempt stays counted, so a scope's count is its failures in
  the window plus the checks under way;
- a wrong password that brings the count to the limit sets the lock (and restarts the count for
  after it);
- a right password takes its own attempt back: it clears the username's count (a success forgives
  the typos before it) and takes one off the address's (one account must not unlock a whole
  address that is guessing others). It leaves a username alone while it is locked.

Nothing but an administrator's ``unlock`` ever lifts or shortens a lockout: setting one only
extends it, counting leaves it as it is, and a success does not clear a locked username.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from hub import sealing
from hub.accounts import Principal, authenticate, forget_token, issue_token, principal, revoke_token
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.tables import Account, SignInThrottle
from hub.db.transactions import writing
from hub.settings import Settings

THROTTLE = SignInThrottle._meta.tablename

# Count one attempt: a fresh row, a window that has passed starts over, a locked scope is left as
# it is (its attempts are refused unchecked). Returns the count with this attempt and the lock.
COUNT_ATTEMPT = f"""
INSERT INTO {THROTTLE} (scope, failures, window_start, locked_until) VALUES ({{}}, 1, {{}}, NULL)
ON CONFLICT (scope) DO UPDATE SET
    failures = CASE
        WHEN {THROTTLE}.locked_until > {{}} THEN {THROTTLE}.failures
        WHEN {THROTTLE}.window_start < {{}} THEN 1
        ELSE {THROTTLE}.failures + 1
    END,
    window_start = CASE
        WHEN {THROTTLE}.locked_until > {{}} THEN {THROTTLE}.window_start
        WHEN {THROTTLE}.window_start < {{}} THEN {{}}
        ELSE {THROTTLE}.window_start
    END
RETURNING failures, locked_until
"""


@dataclass(frozen=True)
class SignInResult:
    account: Account | None = None
    # Seconds until the caller may try again, when locked out (then ``account`` is None).
    retry_after: int = 0
    # Which limit refused: "username" or "address".
    locked: str = ""
    # What the audit log may say about a refused or failed attempt (see ``audit_subject``).
    audit_id: str = ""
    audit_detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.account is not None


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite may hand back a RETURNING timestamp as its text
        value = dt.datetime.fromisoformat(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def _normal(username: str) -> str:
    return username.strip().lower()[:64]


def scopes(username: str, address: str) -> dict[str, str]:
    # The name typed is counted by its keyed digest: it is often a password typed into the wrong
    # box, and is kept nowhere in clear (as in the audit log).
    return {"username": f"user:{username_digest(username)}", "address": f"addr:{address[:64]}"}


def _seconds_until(until: dt.datetime, stamp: dt.datetime) -> int:
    return max(1, math.ceil((until - stamp).total_seconds()))


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
                return kind, _seconds_until(until, stamp)
    return "", 0


async def _count(scope: str, stamp: dt.datetime, settings: Settings) -> tuple[int, dt.datetime | None]:
    """Count one attempt for a scope (inside a write transaction): (count, active lock's end)."""
    cutoff = stamp - dt.timedelta(seconds=settings.signin_window_seconds)
    rows = await SignInThrottle.raw(COUNT_ATTEMPT, scope, stamp, stamp, cutoff, stamp, cutoff, stamp)
    until = _aware(rows[0]["locked_until"])
    return rows[0]["failures"], until if until and until > stamp else None


async def _take_back(scope: str) -> None:
    """Uncount an attempt that was not a failure (refused unchecked, or the right password)."""
    await SignInThrottle.update({SignInThrottle.failures: SignInThrottle.failures - 1}).where(
        (SignInThrottle.scope == scope) & (SignInThrottle.failures > 0)
    )


async def _admit(keys: dict[str, str], limits: dict[str, int], settings: Settings) -> tuple[dict[str, int], str, int]:
    """Count the attempt in both scopes, atomically. Returns the counts, or the scope that refuses
    it ("username" | "address") and the seconds to wait; a refused attempt leaves no count."""
    stamp = now()
    counts: dict[str, int] = {}
    async with writing():
        for kind in ("username", "address"):
            count, locked_until = await _count(keys[kind], stamp, settings)
            if locked_until is not None or count > limits[kind]:
                if locked_until is None:
                    counts[kind] = count  # counted, over the limit: taken back below
                for taken in counts:
                    await _take_back(keys[taken])
                # Over the limit without a lock: the checks under way decide within moments.
                return {}, kind, _seconds_until(locked_until, stamp) if locked_until else 1
            counts[kind] = count
    return counts, "", 0


async def _lock(scope: str, settings: Settings) -> None:
    """Lock a scope for the lockout period from now; an existing longer lock stays as it is."""
    until = now() + dt.timedelta(seconds=settings.signin_lockout_seconds)
    await SignInThrottle.update({SignInThrottle.locked_until: until, SignInThrottle.failures: 0}).where(
        (SignInThrottle.scope == scope)
        & (SignInThrottle.locked_until.is_null() | (SignInThrottle.locked_until < until))
    )


async def sign_in(username: str, password: str, address: str, settings: Settings) -> SignInResult:
    """Check a username and password, unless the username or the address is locked out."""
    keys = scopes(username, address)
    limits = {"username": settings.signin_max_failures, "address": settings.signin_max_failures_per_address}
    counts, kind, seconds = await _admit(keys, limits, settings)
    if kind:
        return SignInResult(retry_after=seconds, locked=kind, **await audit_subject(username))
    try:
        account = await authenticate(username, password)
    except BaseException:
        async with writing():  # not checked after all: the attempt is no failure
            for scope in keys.values():
                await _take_back(scope)
        raise
    if account is None:
        reached = [kind for kind, count in counts.items() if count >= limits[kind]]
        if reached:
            async with writing():
                for kind in reached:
                    await _lock(keys[kind], settings)
        kind, seconds = await lockout(username, address)
        return SignInResult(retry_after=seconds, locked=kind, **await audit_subject(username))
    stamp = now()
    async with writing():
        await SignInThrottle.delete().where(
            (SignInThrottle.scope == keys["username"])
            & (SignInThrottle.locked_until.is_null() | (SignInThrottle.locked_until <= stamp))
        )
        await _take_back(keys["address"])
    return SignInResult(account=account)


async def audit_subject(username: str) -> dict[str, Any]:
    """How the audit log names a failed or refused sign-in's username (``SignInResult.audit_id`` and
    ``audit_detail``): an account's own username, or, for a name that belongs to no account (often
    a password typed into the wrong box), only a keyed digest of it, so that an auditor can tell
    repeated attempts with one name from scattered ones without reading the name."""
    found = await Account.select(Account.username).where(Account.username == username).first()
    if found is not None:
        return {"audit_id": found["username"]}
    return {"audit_id": "", "audit_detail": {"username_digest": username_digest(username)}}


def username_digest(username: str) -> str:
    """``<data key id>:<HMAC-SHA256>`` of a normalised username, keyed by a key derived from the
    current sealing key (a rotation starts new digests; the key id says which key made one)."""
    return sealing.keys().digest(_normal(username), "sign-in username digest")


async def unlock(username: str) -> bool:
    """Lift a username's lockout (an administrator's act); True if it was counted or locked."""
    scope = scopes(username, "")["username"]
    existed = await SignInThrottle.exists().where(SignInThrottle.scope == scope)
    await SignInThrottle.delete().where(SignInThrottle.scope == scope)
    return existed


class SignInLocked(Exception):
    """Too many failed sign-ins: the caller may try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    """A sign-in that succeeded: who, and the bearer token (or session cookie) until ``expires_at``."""

    principal: Principal
    token: str
    expires_at: dt.datetime


async def open_session(
    actor: Actor, settings: Settings, username: str, password: str, channel: str | None = None
) -> Session | None:
    """Sign in from the actor's address, for the API and the pages alike: the check, the lockout and
    the rate limits of ``sign_in``, every outcome audited (``channel`` names where it came from, for
    the pages). None when the username or password is wrong; raises ``SignInLocked``."""
    where = {"channel": channel} if channel else {}
    result = await sign_in(username, password, actor.address, settings)
    if result.retry_after:
        await record(
            actor,
            None,
            "auth.locked_out",
            "account",
            result.audit_id,
            **result.audit_detail,
            limit=result.locked,
            **where,
        )
        raise SignInLocked(result.retry_after)
    account = result.account
    if account is None:
        await record(actor, None, "auth.failed", "account", result.audit_id, **result.audit_detail, **where)
        return None
    who = principal(account)
    async with writing():
        token, expires = await issue_token(account, settings.session_hours)
        await record(actor, who, "auth.signed_in", "account", account.id, **where)
    return Session(who, token, expires)


async def close_session(actor: Actor, token: str | None, channel: str | None = None) -> None:
    """Sign out: the token is revoked and, when someone was signed in, that is audited."""
    where = {"channel": channel} if channel else {}
    async with writing():
        if token:
            await revoke_token(token)
        if actor.user is not None:
            await record(actor, actor.user, "auth.signed_out", "account", actor.user.id, **where)
    if token:
        forget_token(token)


async def release_lock(actor: Actor, username: str) -> bool:
    """An administrator lifts a username's lockout, audited; True if it was counted or locked."""
    async with writing():
        was_locked = await unlock(username)
        await record(actor, actor.user, "auth.unlocked", "account", username[:64])
    return was_locked


async def purge_stale(settings: Settings) -> int:
    """Forget counters whose window and lockout have both passed."""
    stamp = now()
    cutoff = stamp - dt.timedelta(seconds=max(settings.signin_window_seconds, settings.signin_lockout_seconds))
    stale = (SignInThrottle.window_start < cutoff) & (
        SignInThrottle.locked_until.is_null() | (SignInThrottle.locked_until < stamp)
    )
    count = await SignInThrottle.count().where(stale)
    await SignInThrottle.delete().where(stale)
    return count
