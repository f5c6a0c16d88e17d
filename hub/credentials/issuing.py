"""Issuing a verifiable credential (W3C VC data model, as a JWT signed EdDSA): with the document of
a service's approval, or from a registry's record for its holder; and taking it back with its
document (revoked, or superseded by a corrected one).

A credential states what ``forms/credentials.toml`` says its type states, and, when a document
stands behind it, that document's number and verification code (the same facts as the QR code on
the PDF). Its status is a bit in the hub's status list.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from forms.credentials import CredentialType
from hub.clock import now
from hub.credentials import jose, status
from hub.credentials.context import CredentialContext
from hub.db.records import load_json
from hub.db.tables import Account, Credential, Enterprise, ServiceRequest
from hub.sealing import keys as data_keys
from hub.sealing import open_answers, seal, unseal

CLAIMS_FIELD = "credential.claims"
JWT_FIELD = "credential.jwt"
CONTEXTS = ["https://www.w3.org/ns/credentials/v2"]


def type_name(type_id: str) -> str:
    """A credential type as the VC's ``type`` names it: talent-certificate -> TalentCertificate."""
    return "".join(part.capitalize() for part in type_id.split("-"))


def holder_subject(holder: int, enterprise: int | None = None) -> str:
    """The credential subject's id: a stable pseudonym of the holder's account (of the enterprise,
    for one it holds), not their number."""
    who = f"enterprise:{enterprise}" if enterprise is not None else f"account:{holder}"
    return "urn:qinqing:holder:" + data_keys().digest(who, "credential-holder").split(":")[-1]


def add_years(when: dt.datetime, years: int) -> dt.datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def payload(
    ctx: CredentialContext,
    *,
    jti: str,
    kind: CredentialType,
    issuer_name: str,
    holder: int,
    claims: dict[str, Any],
    issued_at: dt.datetime,
    expires_at: dt.datetime | None,
    index: int,
    registry: str | None,
    enterprise: int | None = None,
) -> dict[str, Any]:
    """The JWT claims of a credential: registered claims, and the VC under ``vc``."""
    subject = holder_subject(holder, enterprise)
    vc: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": f"urn:uuid:{jti}",
        "type": ["VerifiableCredential", type_name(kind.id)],
        "issuer": {"id": ctx.base_url, "name": issuer_name},
        "validFrom": issued_at.isoformat(),
        "credentialSubject": {"id": subject, **claims},
        "credentialStatus": status.entries(ctx.base_url, index, kind.suspendable),
        # Registry-backed: the hub signs what the registry holds, as its holder asked.
        "credentialSource": {"type": "registry", "registry": registry} if registry else {"type": "hub"},
    }
    out: dict[str, Any] = {
        "iss": ctx.base_url,
        "sub": subject,
        "iat": int(issued_at.timestamp()),
        "nbf": int(issued_at.timestamp()),
        "jti": f"urn:uuid:{jti}",
        "vc": vc,
    }
    if expires_at is not None:
        vc["validUntil"] = expires_at.isoformat()
        out["exp"] = int(expires_at.timestamp())
    return out


async def create(
    ctx: CredentialContext,
    *,
    key: str,
    kind: CredentialType,
    issuer: str,
    issuer_name: str,
    holder: int,
    claims: dict[str, Any],
    issued_at: dt.datetime,
    document: int | None = None,
    registry: str | None = None,
    digest: str = "",
    enterprise: int | None = None,
) -> Credential | None:
    """Sign and store one credential; None when one with this key exists already (a retried issue).
    ``enterprise``: held by that enterprise (whoever acts for it), ``holder`` being who it was issued
    to. Call inside a write transaction."""
    if await Credential.exists().where(Credential.key == key):
        return None
    jti = str(uuid.uuid4())
    index = await status.next_index()
    expires_at = add_years(issued_at, kind.valid_years) if kind.valid_years else None
    token, key_id = jose.sign(
        ctx.keys,
        payload(
            ctx,
            jti=jti,
            kind=kind,
            issuer_name=issuer_name,
            holder=holder,
            claims=claims,
            issued_at=issued_at,
            expires_at=expires_at,
            index=index,
            registry=registry,
            enterprise=enterprise,
        ),
    )
    row = Credential(
        jti=jti,
        key=key,
        type=kind.id,
        source="registry" if registry else "hub",
        issuer=registry or issuer,
        holder=holder,
        enterprise=enterprise,
        document=document,
        status_index=index,
        issued_at=issued_at,
        expires_at=expires_at,
        claims=seal(json.dumps(claims, ensure_ascii=False, sort_keys=True), CLAIMS_FIELD),
        jwt=seal(token, JWT_FIELD),
        key_id=key_id,
        digest=digest,
    )
    # Two first sights of the same registry record at once (two tabs opening the wallet): one is kept.
    inserted = (
        await Credential.insert(row).on_conflict(target=Credential.key, action="DO NOTHING").returning(Credential.id)
    )
    return row if inserted else None


def credential_type_for(ctx: CredentialContext, service_id: str) -> CredentialType | None:
    """The credential a service's approval issues, if any."""
    for kind in ctx.catalog.credentials.values():
        if service_id in kind.issued_by:
            return kind
    return None


async def issue_for_document(
    ctx: CredentialContext,
    *,
    document_id: int,
    document_key: str,
    service_id: str,
    holder: int,
    issuer: str,
    holder_name: str,
    holder_id: str,
    number: str,
    code: str,
    answers: dict[str, Any],
    issued_at: dt.datetime,
    enterprise: int | None = None,
) -> Credential | None:
    """The credential of an approval's document, if its service issues one (held by ``enterprise``
    when the applicant acted for one). Call inside the write transaction that registers the document."""
    kind = credential_type_for(ctx, service_id)
    if kind is None:
        return None
    department = ctx.catalog.departments.get(issuer)
    known: dict[str, Any] = {
        "holder_name": holder_name,
        "holder_id": holder_id,
        "document_number": number,
        "verification_code": code,
    }
    claims: dict[str, Any] = {}
    for claim in kind.claims:
        if claim in kind.answers:
            value = answers.get(kind.answers[claim])
            if value not in (None, ""):
                claims[claim] = value if isinstance(value, str | int | float | bool) else str(value)
        elif claim in known:
            claims[claim] = known[claim]
    return await create(
        ctx,
        key=document_key,
        kind=kind,
        issuer=issuer,
        issuer_name=department.name if department else issuer,
        holder=holder,
        claims=claims,
        issued_at=issued_at,
        document=document_id,
        enterprise=enterprise,
    )


async def revoke_for_document(document_id: int, new_status: str = "revoked") -> int:
    """Take back the credentials of a document that no longer holds; their bits in the status list
    are set. Call inside the write transaction that changes the document. Returns how many."""
    changed = (
        await Credential.update({Credential.status: new_status, Credential.revoked_at: now()})
        .where((Credential.document == document_id) & (Credential.status == "valid"))
        .returning(Credential.id)
    )
    return len(changed)


async def supersede_for_document_key(document_key: str) -> int:
    """The credential of a document a corrected one replaced is superseded (the new document's
    credential is issued with it)."""
    changed = (
        await Credential.update({Credential.status: "superseded", Credential.revoked_at: now()})
        .where((Credential.key == document_key) & (Credential.status == "valid"))
        .returning(Credential.id)
    )
    return len(changed)


def claims_digest(claims: dict[str, Any]) -> str:
    """A keyed digest of what a registry's record states (``<key id>:<hex>``), to see when the
    registry has changed it. Keyed: the claims name the holder and say little else (a disability's
    category and grade), so a plain hash of them, kept beside the sealed claims and in the
    credential's key in clear, could be confirmed by guessing."""
    return data_keys().digest(_canonical(claims), "credential-claims")


def claims_tag(digest: str) -> str:
    """The part of a claims digest a credential's key carries."""
    return digest.rsplit(":", 1)[-1][:16]


def _canonical(claims: dict[str, Any]) -> str:
    return json.dumps(claims, sort_keys=True, ensure_ascii=False)


def opened_claims(row: dict[str, Any] | Credential) -> dict[str, Any]:
    sealed = row["claims"] if isinstance(row, dict) else row.claims
    return json.loads(unseal(sealed, CLAIMS_FIELD) or "{}")


def opened_jwt(row: dict[str, Any] | Credential) -> str:
    sealed = row["jwt"] if isinstance(row, dict) else row.jwt
    return unseal(sealed, JWT_FIELD) or ""


async def holders_of(account: int, enterprise: int | None) -> list[int]:
    """The accounts acting for the caller's enterprise (just the caller for a citizen)."""
    if enterprise is None:
        return [account]
    rows = await Account.select(Account.id).where(Account.enterprise == enterprise)
    return [r["id"] for r in rows] or [account]


def held_by(account: int, enterprise: int | None):
    """Which credentials a person holds: their enterprise's when they act for one (whoever of its
    people it was issued to), their own otherwise."""
    if enterprise is not None:
        return Credential.enterprise == enterprise
    return (Credential.holder == account) & Credential.enterprise.is_null()


async def issue_for_approval(
    ctx: CredentialContext,
    *,
    document_id: int,
    document_key: str,
    request: ServiceRequest,
    issuer: str,
    holder_name: str,
    number: str,
    code: str,
    issued_at: dt.datetime,
) -> Credential | None:
    """The credential an approval's document stands for, if the service issues one: what it states
    is taken from the request's answers (opened) and the applicant's account. Call inside the write
    transaction that registers the document."""
    if credential_type_for(ctx, request.service_id) is None:
        return None
    spec = ctx.catalog.version(request.service_id, request.service_version)
    answers = open_answers(spec.personal_fields if spec else {}, load_json(request.answers))
    account = (
        await Account.select(Account.enterprise, Account.resident_id).where(Account.id == request.applicant).first()
    )
    holder_id = ""
    if account is not None and account["enterprise"]:
        found = await Enterprise.select(Enterprise.uscc).where(Enterprise.id == account["enterprise"]).first()
        holder_id = found["uscc"] if found else ""
    elif account is not None:
        holder_id = answers.get("resident_id") or unseal(account["resident_id"], "account.resident_id") or ""
    return await issue_for_document(
        ctx,
        document_id=document_id,
        document_key=document_key,
        service_id=request.service_id,
        holder=request.applicant,
        issuer=issuer,
        holder_name=holder_name,
        holder_id=str(holder_id),
        number=number,
        code=code,
        answers=answers,
        issued_at=issued_at,
        enterprise=account["enterprise"] if account is not None else None,
    )
