"""Checking a credential someone shows: a credential's JWT, an SD-JWT presentation, or a shared
link. The signature against the hub's keys (rotated-out keys included), the validity period, and
the status as it stands now."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from typing import Any

import msgspec

from hub.accounts import Principal
from hub.clock import now
from hub.credentials import jose
from hub.credentials.context import context
from hub.credentials.sharing import SHARE_PATH, open_shared, read_presentation
from hub.credentials.wallet import credential_status
from hub.db.tables import CredentialShare, SignInThrottle
from hub.db.transactions import writing
from hub.errors import HubError
from hub.i18n import N_

MAX_TEXT = 20_000
SHARED_LINK = re.compile(re.escape(SHARE_PATH) + r"([A-Za-z0-9_-]{1,64})")


class Verification(msgspec.Struct):
    """What a verifier learns: whether it holds (``valid``), and if not why."""

    valid: bool
    # signature | expired | revoked | superseded | not_shared | unreadable ; "" when valid
    problem: str = ""
    type: str = ""
    status: str = ""
    issuer: str = ""
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    claims: dict[str, Any] = {}
    shared: bool = False


def _when(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, int | float) else None


async def verify_text(text: str, viewer: Principal | None = None) -> Verification:
    """Check a pasted credential (JWT or SD-JWT) or shared link."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        return Verification(valid=False, problem="unreadable")
    link = SHARED_LINK.search(text)
    if link is not None:
        seen = await open_shared(link.group(1), viewer)
        if not seen.shared:
            return Verification(valid=False, problem="not_shared", shared=True)
        valid = seen.signature_valid and seen.status == "valid"
        return Verification(
            valid=valid,
            problem="" if valid else ("signature" if not seen.signature_valid else seen.status),
            type=seen.type,
            status=seen.status,
            issuer=seen.issuer,
            expires_at=seen.expires_at,
            claims=seen.claims,
            shared=True,
        )
    # Pasted text is judged exactly as a verifier's system is (``check_credential``): a share its
    # holder took back, or a credential not valid yet, is not shown as valid on the page either.
    try:
        checked = await check_credential(text)
    except Unreadable:
        return Verification(valid=False, problem="unreadable")
    if checked.signature != "valid":
        return Verification(valid=False, problem="signature")
    if checked.status == "not_shared":
        return Verification(valid=False, problem="not_shared", shared=True)
    return Verification(
        valid=checked.valid,
        problem="" if checked.valid else checked.status,
        type=checked.type,
        status=checked.status,
        issuer=checked.issuer_name,
        issued_at=checked.issued_at,
        expires_at=checked.valid_until,
        claims=checked.claims,
        shared=checked.format == "sd-jwt",
    )


class CredentialCheck(msgspec.Struct):
    """What a verifier's system learns of a credential JWT or SD-JWT presentation, checked now."""

    # The signature holds against the hub's keys and its status is "valid".
    valid: bool
    # "valid" | "invalid": whether the signature holds against the hub's keys (JWKS).
    signature: str
    # "jwt" | "sd-jwt"
    format: str
    # valid | revoked | suspended | expired | superseded | not_yet_valid | unknown, and for a
    # presentation whose share its holder took back, not_shared; "" when the signature does not
    # hold (nothing in the token can then be believed).
    status: str = ""
    issuer: str = ""
    issuer_name: str = ""
    # The signing key's id as the token's header names it (``kid`` in the JWKS).
    key_id: str = ""
    credential_id: str = ""
    type: str = ""
    issued_at: dt.datetime | None = None
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    # The claims it states (a presentation: only those it discloses).
    claims: dict[str, Any] = {}
    checked_at: dt.datetime | None = None


class Unreadable(ValueError):
    """The text is neither a compact JWT nor an SD-JWT presentation."""


def _header(token: str) -> dict[str, Any]:
    """A compact JWT's header, read without trusting it; Unreadable when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise Unreadable(token[:20])
    try:
        header = msgspec.json.decode(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        msgspec.json.decode(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, msgspec.DecodeError) as exc:
        raise Unreadable(token[:20]) from exc
    if not isinstance(header, dict):
        raise Unreadable(token[:20])
    return header


def _issuer_name(payload: dict[str, Any]) -> str:
    issuer = (payload.get("vc") or {}).get("issuer")
    return str(issuer.get("name", "")) if isinstance(issuer, dict) else ""


def _type_id(ctx: Any, vc: dict[str, Any]) -> str:
    if vc.get("credentialType"):
        return str(vc["credentialType"])
    kinds = [t for t in vc.get("type", []) if t != "VerifiableCredential"]
    for kind in ctx.catalog.credentials.values():
        if kinds and "".join(p.capitalize() for p in kind.id.split("-")) == kinds[0]:
            return str(kind.id)
    return kinds[0] if kinds else ""


async def _share_taken_back(presentation_jti: str) -> bool:
    """Whether the holder took back the share this SD-JWT presentation was made for."""
    row = (
        await CredentialShare.select(CredentialShare.revoked_at)
        .where(CredentialShare.presentation_id == presentation_jti.removeprefix("urn:uuid:")[:64])
        .first()
    )
    return row is not None and row["revoked_at"] is not None


async def check_credential(text: str) -> CredentialCheck:
    """Check a credential's JWT or an SD-JWT presentation for a verifier's system: the signature
    against the hub's keys, the issuer and key, the status as it stands now (revoked, suspended,
    expired...), the validity dates and the claims stated or disclosed. Unreadable when ``text`` is
    neither (nothing is looked up then)."""
    ctx = context()
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise Unreadable(text[:20])
    presented = "~" in text
    issuer_jwt = text.split("~", 1)[0]
    header = _header(issuer_jwt)
    checked_at = now()
    form, key_id = "sd-jwt" if presented else "jwt", str(header.get("kid", ""))
    verified = jose.verify(ctx.keys, issuer_jwt)
    disclosed = read_presentation(ctx, text) if presented else None
    if verified is None or (disclosed is not None and not disclosed.signature_valid):
        return CredentialCheck(valid=False, signature="invalid", format=form, key_id=key_id, checked_at=checked_at)
    _, payload = verified
    vc = payload.get("vc") or {}
    if disclosed is not None:
        credential_id, claims = disclosed.credential_id, disclosed.claims
    else:
        credential_id = str(payload.get("jti", "")).removeprefix("urn:uuid:")
        claims = {k: v for k, v in (vc.get("credentialSubject") or {}).items() if k != "id"}
    status = await credential_status(credential_id)
    if disclosed is not None and status == "valid" and await _share_taken_back(str(payload.get("jti", ""))):
        status = "not_shared"
    starts, ends = _when(payload.get("nbf") or payload.get("iat")), _when(payload.get("exp"))
    if status == "valid" and ends is not None and ends <= checked_at:
        status = "expired"
    elif status == "valid" and starts is not None and starts > checked_at + dt.timedelta(minutes=5):
        status = "not_yet_valid"
    return CredentialCheck(
        valid=status == "valid",
        signature="valid",
        status=status,
        issuer=str(payload.get("iss", "")),
        issuer_name=_issuer_name(payload),
        credential_id=credential_id,
        type=_type_id(ctx, vc),
        issued_at=_when(payload.get("iat")),
        valid_from=starts,
        valid_until=ends,
        claims=claims,
        format=form,
        key_id=key_id,
        checked_at=checked_at,
    )


THROTTLE = SignInThrottle._meta.tablename
WINDOW = dt.timedelta(minutes=1)
# Checks one client address may ask for in a minute: a verifier's system checking what its customers
# show, not someone walking through the status of every credential.
CHECKS_PER_MINUTE = 60
# Count one check for a scope in a one-minute window (a window that has passed starts over), in one
# statement, so checks made at once each see their own count. Returns the count and the window.
COUNT_CHECK = f"""
INSERT INTO {THROTTLE} (scope, failures, window_start, locked_until) VALUES ({{}}, 1, {{}}, NULL)
ON CONFLICT (scope) DO UPDATE SET
    failures = CASE WHEN {THROTTLE}.window_start < {{}} THEN 1 ELSE {THROTTLE}.failures + 1 END,
    window_start = CASE WHEN {THROTTLE}.window_start < {{}} THEN {{}} ELSE {THROTTLE}.window_start END
RETURNING failures, window_start
"""


async def admit_check(address: str, per_minute: int = CHECKS_PER_MINUTE) -> None:
    """Count a verification asked from ``address``; too_many (with when to try again) beyond
    ``per_minute`` in its minute. The counters are the database's, shared by every web process
    (the sign-in counters' table, under scopes of their own; the same housekeeping forgets them)."""
    stamp = now()
    cutoff = stamp - WINDOW
    async with writing():
        rows = await SignInThrottle.raw(COUNT_CHECK, f"verify:{address[:64]}", stamp, cutoff, cutoff, stamp)
    started = rows[0]["window_start"]
    if isinstance(started, str):  # SQLite may hand back a RETURNING timestamp as its text
        started = dt.datetime.fromisoformat(started)
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    if rows[0]["failures"] > per_minute:
        wait = max(1, math.ceil((started + WINDOW - stamp).total_seconds()))
        raise HubError(
            "too_many",
            "rate-limited",
            N_("Too many checks"),
            N_("This address has asked for too many checks in a minute. Try again in {seconds} seconds."),
            params={"seconds": wait},
            retry_after=wait,
        )
