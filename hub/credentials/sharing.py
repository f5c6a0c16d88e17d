"""Sharing a credential with consent: the holder chooses the fields to disclose and for how long;
the hub signs a derived credential in SD-JWT form (RFC 9901: every claim of the subject a salted
digest under ``_sd``, disclosures appended with ``~``) and keeps only the presentation with the
chosen disclosures (the others are never stored, so no one can be shown them). The link's page
verifies it, shows the chosen fields, and logs every view in the holder's access log; the holder
takes a share back at any time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import uuid
from typing import Any

import msgspec

from hub.accounts import Principal
from hub.audit import record
from hub.clock import now
from hub.credentials import jose
from hub.credentials.context import CredentialContext, context
from hub.credentials.issuing import opened_claims, type_name
from hub.credentials.status import entries
from hub.credentials.wallet import credential_status as held_status
from hub.credentials.wallet import holder_row, status_now
from hub.db.tables import Account, CredentialShare, CredentialShareView
from hub.db.transactions import writing
from hub.errors import HubError, not_found
from hub.i18n import N_
from hub.sealing import seal, unseal

TOKEN_FIELD = "credential_share.token"
RECIPIENT_FIELD = "credential_share.recipient"
PRESENTATION_FIELD = "credential_share.presentation"
# How long a share may last: an hour at least, thirty days at most.
MIN_HOURS, MAX_HOURS = 1, 30 * 24
SHARE_PATH = "/verify/shared/"


def refused(detail: str) -> HubError:
    """The share cannot be made as asked; ``detail`` says why."""
    return HubError("invalid", "share-refused", N_("The credential cannot be shared"), detail)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def disclosure(name: str, value: Any) -> str:
    """One disclosure: base64url of the JSON array [salt, claim name, value]."""
    return b64(json.dumps([b64(secrets.token_bytes(16)), name, value], ensure_ascii=False).encode())


def digest_of(encoded_disclosure: str) -> str:
    return b64(hashlib.sha256(encoded_disclosure.encode("ascii")).digest())


def presentation(
    ctx: CredentialContext, row: dict[str, Any], fields: list[str], expires_at: dt.datetime, share_id: str
) -> str:
    """The SD-JWT of the credential with every claim of its subject selectively disclosable, followed
    by the disclosures of ``fields`` alone (``<jwt>~<disclosure>~...~``)."""
    claims = opened_claims(row)
    disclosures = {name: disclosure(name, value) for name, value in claims.items()}
    kind = ctx.catalog.credentials.get(row["type"])
    issued = now()
    # A subject of its own: two shares cannot be linked to one holder by it.
    subject = f"urn:uuid:{uuid.uuid4()}"
    payload = {
        "iss": ctx.base_url,
        "sub": subject,
        "iat": int(issued.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": f"urn:uuid:{share_id}",
        "_sd_alg": "sha-256",
        "vc": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", type_name(row["type"])],
            "issuer": ctx.base_url,
            "validFrom": issued.isoformat(),
            "validUntil": expires_at.isoformat(),
            # The credential it discloses fields of: its status is that credential's.
            "relatedResource": [{"id": f"urn:uuid:{row['jti']}"}],
            "credentialSubject": {"id": subject, "_sd": sorted(digest_of(d) for d in disclosures.values())},
            "credentialStatus": entries(ctx.base_url, row["status_index"], bool(kind and kind.suspendable)),
            "credentialType": kind.id if kind else row["type"],
        },
    }
    token, _ = jose.sign(ctx.keys, payload, typ="vc+sd-jwt")
    return token + "~" + "".join(disclosures[f] + "~" for f in fields if f in disclosures)


class Disclosed(msgspec.Struct):
    """What an SD-JWT presentation shows, once checked."""

    signature_valid: bool
    type: str = ""
    credential_id: str = ""
    claims: dict[str, Any] = {}
    expires_at: dt.datetime | None = None


def read_presentation(ctx: CredentialContext, text: str) -> Disclosed:
    """Check an SD-JWT presentation: the issuer's signature, and every disclosure against a digest
    the issuer signed (a disclosure that is not signed for is refused with the whole)."""
    parts = text.strip().split("~")
    verified = jose.verify(ctx.keys, parts[0])
    if verified is None:
        return Disclosed(signature_valid=False)
    _, payload = verified
    vc = payload.get("vc") or {}
    signed = set((vc.get("credentialSubject") or {}).get("_sd") or [])
    shown: dict[str, Any] = {}
    for item in parts[1:]:
        if not item:
            continue
        if digest_of(item) not in signed:
            return Disclosed(signature_valid=False)
        try:
            _, name, value = json.loads(unb64(item))
        except (ValueError, TypeError):
            return Disclosed(signature_valid=False)
        shown[str(name)] = value
    related = (vc.get("relatedResource") or [{}])[0].get("id", "")
    expires = dt.datetime.fromtimestamp(payload["exp"], dt.UTC) if payload.get("exp") else None
    return Disclosed(
        signature_valid=True,
        type=str(vc.get("credentialType", "")),
        credential_id=str(related).removeprefix("urn:uuid:"),
        claims=shown,
        expires_at=expires,
    )


class ShareMade(msgspec.Struct):
    id: int
    url: str
    expires_at: dt.datetime
    fields: list[str]


async def share(user: Principal, credential_id: str, fields: list[str], hours: int, recipient: str = "") -> ShareMade:
    """Share one of the caller's credentials: the chosen fields, for ``hours``. not found when it
    is not theirs (not found); refused (invalid) when it cannot be shared as asked."""
    ctx = context()
    row = await holder_row(user, credential_id)
    if row is None:
        raise not_found()
    if status_now(row) != "valid":
        raise refused(N_("Only a valid credential can be shared."))
    claims = opened_claims(row)
    chosen = [f for f in dict.fromkeys(fields) if f in claims]
    if not chosen or len(chosen) != len(set(fields)):
        raise refused(N_("Choose at least one of the credential's fields to share."))
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise refused(N_("A share lasts between one hour and thirty days."))
    token = secrets.token_urlsafe(24)
    created = now()
    expires_at = created + dt.timedelta(hours=hours)
    share_id = str(uuid.uuid4())
    sd_jwt = presentation(ctx, row, chosen, expires_at, share_id)
    async with writing():
        inserted = await CredentialShare.insert(
            CredentialShare(
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                token=seal(token, TOKEN_FIELD),
                credential=row["id"],
                holder=user.id,
                fields=json.dumps(chosen),
                recipient=seal(recipient.strip()[:200], RECIPIENT_FIELD) if recipient.strip() else "",
                presentation=seal(sd_jwt, PRESENTATION_FIELD),
                presentation_id=share_id,
                created_at=created,
                expires_at=expires_at,
            )
        ).returning(CredentialShare.id)
        await record(None, user, "credential.shared", "credential", row["jti"], fields=",".join(chosen), hours=hours)
    return ShareMade(id=inserted[0]["id"], url=ctx.base_url + SHARE_PATH + token, expires_at=expires_at, fields=chosen)


class ShareView(msgspec.Struct):
    viewed_at: dt.datetime
    outcome: str
    viewer: str
    fields: list[str]


class ShareRead(msgspec.Struct):
    id: int
    credential_id: str
    type: str
    url: str
    fields: list[str]
    recipient: str
    created_at: dt.datetime
    expires_at: dt.datetime
    state: str  # active | expired | revoked
    views: list[ShareView]


def share_state(row: dict[str, Any], at: dt.datetime | None = None) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    return "expired" if row["expires_at"] <= (at or now()) else "active"


async def shares_of(user: Principal, share_id: int | None = None) -> list[ShareRead]:
    """The caller's own shares (newest first) with each one's access log."""
    ctx = context()
    query = CredentialShare.select(
        *CredentialShare.all_columns(),
        CredentialShare.credential.jti.as_alias("jti"),
        CredentialShare.credential.type.as_alias("type"),
    ).where(CredentialShare.holder == user.id)
    if share_id is not None:
        query = query.where(CredentialShare.id == share_id)
    rows = await query.order_by(CredentialShare.id, ascending=False)
    if not rows:
        return []
    views = (
        await CredentialShareView.select(
            CredentialShareView.share,
            CredentialShareView.viewed_at,
            CredentialShareView.outcome,
            CredentialShareView.viewer.username.as_alias("viewer"),
        )
        .where(CredentialShareView.share.is_in([r["id"] for r in rows]))
        .order_by(CredentialShareView.id, ascending=False)
    )
    out = []
    for r in rows:
        fields = json.loads(r["fields"]) if isinstance(r["fields"], str) else list(r["fields"])
        out.append(
            ShareRead(
                id=r["id"],
                credential_id=r["jti"],
                type=r["type"],
                url=ctx.base_url + SHARE_PATH + (unseal(r["token"], TOKEN_FIELD) or ""),
                fields=fields,
                recipient=unseal(r["recipient"], RECIPIENT_FIELD) or "" if r["recipient"] else "",
                created_at=r["created_at"],
                expires_at=r["expires_at"],
                state=share_state(r),
                views=[
                    ShareView(
                        viewed_at=v["viewed_at"],
                        outcome=v["outcome"],
                        viewer=v["viewer"] or "",
                        fields=fields if v["outcome"] == "shown" else [],
                    )
                    for v in views
                    if v["share"] == r["id"]
                ],
            )
        )
    return out


async def revoke_share(user: Principal, share_id: int) -> bool:
    """Take back one of the caller's shares; not found when it is not theirs. False when it was
    no longer active."""
    async with writing():
        row = (
            await CredentialShare.select(CredentialShare.id, CredentialShare.revoked_at)
            .where((CredentialShare.id == share_id) & (CredentialShare.holder == user.id))
            .first()
        )
        if row is None:
            raise not_found()
        if row["revoked_at"] is not None:
            return False
        await CredentialShare.update({CredentialShare.revoked_at: now()}).where(CredentialShare.id == share_id)
        await record(None, user, "credential.share_revoked", "credential_share", share_id)
    return True


class SharedView(msgspec.Struct):
    """What a shared link shows: nothing when it is no longer shared."""

    shared: bool
    # active | expired | revoked, or unknown for a link the hub never made
    state: str = "unknown"
    type: str = ""
    claims: dict[str, Any] = {}
    signature_valid: bool = False
    # The credential's status now: valid | revoked | expired | superseded
    status: str = ""
    expires_at: dt.datetime | None = None
    issuer: str = ""
    # The SD-JWT with the chosen disclosures, for a verifier's own system to check.
    presentation: str = ""


async def open_shared(token: str, viewer: Principal | None, user_agent: str = "") -> SharedView:
    """Open a shared link (public): verified, the chosen fields only; the view is logged for the holder."""
    ctx = context()
    if not token or len(token) > 64:
        return SharedView(shared=False, state="unknown")
    row = (
        await CredentialShare.select(
            *CredentialShare.all_columns(),
            CredentialShare.credential.jti.as_alias("jti"),
            CredentialShare.credential.type.as_alias("type"),
            CredentialShare.credential.source.as_alias("source"),
            CredentialShare.credential.issuer.as_alias("issuer"),
        )
        .where(CredentialShare.token_hash == hashlib.sha256(token.encode()).hexdigest())
        .first()
    )
    if row is None:
        return SharedView(shared=False, state="unknown")
    state = share_state(row)
    viewer_id = viewer.id if viewer is not None else None
    if viewer_id is not None and not await Account.exists().where(Account.id == viewer_id):
        viewer_id = None
    async with writing():
        await CredentialShareView.insert(
            CredentialShareView(
                share=row["id"],
                viewed_at=now(),
                viewer=viewer_id,
                outcome="shown" if state == "active" else "refused",
                user_agent=user_agent[:200],
            )
        )
    if state != "active":
        return SharedView(shared=False, state=state)
    presented = unseal(row["presentation"], PRESENTATION_FIELD) or ""
    disclosed = read_presentation(ctx, presented)
    credential_status = await held_status(row["jti"])
    kind = ctx.catalog.credentials.get(row["type"])
    department = ctx.catalog.departments.get(row["issuer"])
    issuer = (kind.issuer_name() if kind and row["source"] == "registry" else "") or (
        department.name if department else ""
    )
    return SharedView(
        shared=True,
        state=state,
        type=row["type"],
        claims=disclosed.claims,
        signature_valid=disclosed.signature_valid,
        status=credential_status,
        expires_at=row["expires_at"],
        issuer=issuer,
        presentation=presented,
    )
