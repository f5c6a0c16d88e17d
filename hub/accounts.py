"""Accounts: password hashing (Argon2) and bearer tokens (stored only as their SHA-256): session
tokens from signing in, and API tokens for department systems (scoped, expiring, revocable)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import os
import secrets
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.clock import now
from hub.db.kept import keeping
from hub.db.records import load_json, quick_rows
from hub.db.tables import Account, ApiSession, ApiToken
from hub.kept_sessions import SIGN_IN_CHANNEL, SIGN_IN_TRIGGERS_READY, KeptSessions
from hub.sealing import seal, unseal

_hasher = PasswordHasher()
# Verifying against this keeps the time of a sign-in with an unknown username the same.
_DUMMY_HASH = _hasher.hash("not a password of anyone")
# Password checks run here, off the event loop: an Argon2 verification takes a tenth of a second or
# more of CPU (and 64 MiB), and on the loop it held up every other request of the process meanwhile,
# sign-ins queueing behind one another. argon2-cffi releases the GIL, so checks run side by side up
# to one per core; more at once would only share the cores (and memory) and finish later each.
_PASSWORD_CHECKS = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="password-check")


# The callers this process keeps (hub.kept_sessions), while ``keeping_sessions`` listens.
KEPT = KeptSessions()

# Account names are personal data: sealed at rest under this field, like identity numbers.
NAME_FIELD = "account.full_name"


def sealed_name(name: str) -> str:
    sealed = seal(name, NAME_FIELD)
    assert sealed is not None, "seal gives None only for None"
    return sealed


def name_of(account: Account) -> str:
    """The account's name, opened (it is sealed at rest under ``NAME_FIELD``)."""
    return unseal(account.full_name, NAME_FIELD) or ""


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: what handlers and guards need to know about the signed-in account."""

    id: int
    username: str
    full_name: str
    role: str
    department: str | None
    locale: str
    resident_id: str | None = None
    enterprise: int | None = None
    # preparer | approver, for enterprise accounts.
    enterprise_role: str | None = None
    # What an API token may do (role "system"); None for people, whose role decides.
    scopes: frozenset[str] | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


# The roles an account has; the web edge guards routes with them, the domains check them too.
ALL_ROLES = ("citizen", "enterprise", "clerk", "supervisor", "auditor", "admin")
APPLICANT_ROLES = ("citizen", "enterprise")
STAFF_ROLES = ("clerk", "supervisor")
OVERSIGHT_ROLES = ("auditor", "admin")
# What a department system's token may be allowed to do.
API_SCOPES = ("tasks:read", "tasks:decide", "requests:read")
# API tokens are told apart from session tokens by this prefix.
API_TOKEN_PREFIX = "qqt_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(username: str, password: str) -> Account | None:
    """The account when the password matches; None otherwise, in the same time either way (one
    Argon2 verification, against a dummy hash for an unknown username), run off the event loop."""
    account = await Account.objects().where(Account.username == username).first()
    password_hash = account.password_hash if account else _DUMMY_HASH
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(_PASSWORD_CHECKS, _password_matches, password_hash, password):
        return None
    return account


async def issue_token(account: Account, hours: int) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    expires = now() + dt.timedelta(hours=hours)
    await ApiSession.insert(
        ApiSession(
            token_hash=_token_hash(token),
            account=account.id,
            created_at=now(),
            expires_at=expires,
        )
    )
    return token, expires


async def principal_for_token(token: str) -> Principal | None:
    if token.startswith(API_TOKEN_PREFIX):
        return await _principal_for_api_token(token)
    token_hash = _token_hash(token)
    kept = KEPT.get(token_hash)
    if kept is not None:
        return kept.caller if kept.expires_at > now() else None
    # The session with its account's caller fields, in one read: every signed-in request starts here.
    generation = KEPT.generation
    rows = await quick_rows(ApiSession, _session_sql(), token_hash)
    session = rows[0] if rows else None
    if session is None or session["id"] is None:
        return None
    expires_at = _aware(session["expires_at"])
    if expires_at <= now():
        return None
    caller = _principal(session)
    KEPT.keep(generation, token_hash, caller.id, expires_at, caller)
    return caller


async def revoke_token(token: str) -> None:
    """End a session; in a transaction, call ``forget_token`` again once it is committed (a request
    of this process may read the session, and keep it, until then)."""
    await ApiSession.delete().where(ApiSession.token_hash == _token_hash(token))
    forget_token(token)


def forget_token(token: str) -> None:
    """This process forgets the session at once, without waiting for the database's notice."""
    KEPT.forget_session(_token_hash(token))


async def set_locale(account_id: int, locale: str) -> None:
    """The language the account's pages and messages are in."""
    await Account.update({Account.locale: locale}).where(Account.id == account_id)
    KEPT.forget_account(account_id)


def keeping_sessions() -> AbstractAsyncContextManager[None]:
    """For the life of a web process on PostgreSQL: keep signed-in callers, and listen for the
    notices that end them, on the database the sessions are read from. On SQLite nothing is kept."""
    return keeping(KEPT, ApiSession._meta.db, SIGN_IN_CHANNEL, SIGN_IN_TRIGGERS_READY, "sign-ins")


async def _principal_for_api_token(token: str) -> Principal | None:
    row = await ApiToken.objects().where(ApiToken.token_hash == _token_hash(token)).first()
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= now():
        return None
    account = await Account.objects().where(Account.id == row.account).first()
    if account is None:
        return None
    await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == row.id)
    return Principal(
        id=account.id,
        username=account.username,
        full_name=name_of(account),
        role="system",
        department=row.department,
        locale=account.locale,
        scopes=frozenset(load_json(row.scopes)),
    )


def new_api_token() -> tuple[str, str]:
    """A new API token and the hash that is stored (the token itself is shown once)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, _token_hash(token)


# The account's columns a Principal is made of.
CALLER_FIELDS = (
    "id",
    "username",
    "full_name",
    "role",
    "department",
    "locale",
    "resident_id",
    "enterprise",
    "enterprise_role",
)


@functools.cache
def _session_sql() -> str:
    """The session read as SQL, written once: building it with the ORM (following the account's
    foreign key for each column) cost more than running it, on every signed-in request."""
    session, account = ApiSession._meta.tablename, Account._meta.tablename
    columns = ", ".join(f'a."{name}" AS "{name}"' for name in CALLER_FIELDS)
    return (
        f'SELECT s."expires_at" AS "expires_at", {columns} FROM "{session}" s '
        f'JOIN "{account}" a ON a."id" = s."account" WHERE s."token_hash" = {{}} LIMIT 1'
    )


def principal(account: Account) -> Principal:
    return _principal({name: getattr(account, name) for name in CALLER_FIELDS})


def _principal(account: Mapping[str, Any]) -> Principal:
    return _principal_of(*(account[name] for name in CALLER_FIELDS))


# The caller of a signed-in request is read from the database every time (a session ends, or an
# account changes, at once); the Principal made of the same row, with its name and identity number
# opened, is kept for the accounts seen lately: opening them was half of authenticating.
@functools.lru_cache(maxsize=1024)
def _principal_of(*values: Any) -> Principal:
    account = dict(zip(CALLER_FIELDS, values, strict=True))
    return Principal(
        id=account["id"],
        username=account["username"],
        full_name=unseal(account["full_name"], NAME_FIELD) or "",
        role=account["role"],
        department=account["department"],
        locale=account["locale"],
        resident_id=unseal(account["resident_id"], "account.resident_id"),
        enterprise=account["enterprise"],
        enterprise_role=(account["enterprise_role"] or "approver") if account["role"] == "enterprise" else None,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def delegate_of(account_id: int) -> int:
    """Who receives new work for this clerk: their delegate while they are away, else themselves.
    A delegate who went away since is passed over to their own delegate, and so on; where the
    chain comes back to someone already passed (all of them away), the work stays with the clerk."""
    seen = [account_id]
    while True:
        row = await Account.select(Account.delegate).where(Account.id == seen[-1]).first()
        if not row or not row["delegate"]:
            return seen[-1]
        if row["delegate"] in seen:
            return account_id
        seen.append(row["delegate"])
