"""Checking a credential someone shows: a credential's JWT, an SD-JWT presentation, or a shared
link. The signature against the hub's keys (rotated-out keys included), the validity period, and
the status as it stands now."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec

from hub.accounts import Principal
from hub.clock import now
from hub.credentials import jose
from hub.credentials.context import context
from hub.credentials.sharing import SHARE_PATH, open_shared, read_presentation
from hub.credentials.wallet import credential_status

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
    ctx = context()
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
    if "~" in text:
        disclosed = read_presentation(ctx, text)
        if not disclosed.signature_valid:
            return Verification(valid=False, problem="signature")
        status = await credential_status(disclosed.credential_id)
        if disclosed.expires_at is not None and disclosed.expires_at <= now():
            status = "expired"
        return Verification(
            valid=status == "valid",
            problem="" if status == "valid" else status,
            type=disclosed.type,
            status=status,
            expires_at=disclosed.expires_at,
            claims=disclosed.claims,
            shared=True,
        )
    verified = jose.verify(ctx.keys, text)
    if verified is None:
        return Verification(valid=False, problem="signature")
    _, payload = verified
    vc = payload.get("vc") or {}
    subject = dict(vc.get("credentialSubject") or {})
    subject.pop("id", None)
    status = await credential_status(str(payload.get("jti", "")))
    expires = _when(payload.get("exp"))
    if status == "valid" and expires is not None and expires <= now():
        status = "expired"
    kinds = [t for t in vc.get("type", []) if t != "VerifiableCredential"]
    type_id = next(
        (
            k.id
            for k in ctx.catalog.credentials.values()
            if kinds and "".join(p.capitalize() for p in k.id.split("-")) == kinds[0]
        ),
        kinds[0] if kinds else "",
    )
    issuer = vc.get("issuer")
    return Verification(
        valid=status == "valid",
        problem="" if status == "valid" else status,
        type=type_id,
        status=status,
        issuer=str(issuer.get("name", "")) if isinstance(issuer, dict) else str(issuer or ""),
        issued_at=_when(payload.get("iat")),
        expires_at=expires,
        claims=subject,
    )
