"""The wallet: every credential a person holds, the hub's and the registries', with its status as
it stands now. Someone acting for an enterprise holds the enterprise's: its business licence, and
what was issued to any of its people for it.

Registry-held credentials (identity card, household registration, business licence, degrees) are
read from the registries when the wallet is opened, and signed by the hub the first time it sees
them (again, the earlier one superseded, when the registry's record has changed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from piccolo.columns.combination import Combinable

from forms.credentials import CredentialType
from hub.accounts import Principal
from hub.audit import record
from hub.clock import beijing_date, now
from hub.credentials.context import CredentialContext, context
from hub.credentials.issuing import claims_digest, claims_tag, create, held_by, holders_of, opened_claims
from hub.credentials.status import with_ended
from hub.db.tables import Credential, Document
from hub.db.transactions import writing
from hub.errors import not_found
from hub.i18n import N_, gettext
from hub.privacy import mask
from hub.registry import degree_registry, disability_registry, enterprise_registry, person_registry, population_registry

CredentialStatus = str  # "valid" | "revoked" | "suspended" | "expired" | "superseded"
PURPOSE = "wallet"
# Claims the wallet shows masked until their holder asks to see them, as forms and documents mask
# them (``hub.privacy.mask`` kinds): identity numbers and credit codes, and the disability
# certificate's number, which is the holder's identity number with two digits.
MASKED_CLAIMS = {"holder_id": "resident_id", "certificate_number": "resident_id"}
# A registry record's own date of issue, when the registry states it (the hub's signature is not it).
ISSUE_DATE_CLAIM = "issued_on"


class HeldCredential(msgspec.Struct):
    id: str  # the credential's id (jti)
    type: str  # a CredentialType id
    issuer: str  # display name of the issuing department or registry
    source: str  # "hub" | "registry"
    issued_at: dt.datetime  # when the hub issued (or, for a registry's record, signed) it
    status: str  # "valid" | "revoked" | "suspended" | "expired" | "superseded"
    claims: dict[str, Any]
    # When its issuer issued what it states: None for a registry's record that does not say.
    issued_on: dt.date | None = None


def issued_on(row: dict[str, Any], claims: dict[str, Any]) -> dt.date | None:
    """The date the credential's issuer issued it: the hub's issue date for its own, the record's
    date of issue for a registry's (None when the registry does not state one: the hub only signed it)."""
    if row["source"] != "registry":
        return beijing_date(row["issued_at"])
    try:
        return dt.date.fromisoformat(str(claims.get(ISSUE_DATE_CLAIM) or ""))
    except ValueError:
        return None


def status_now(row: dict[str, Any], at: dt.datetime | None = None) -> str:
    if row["status"] != "valid":
        return str(row["status"])
    expires = row.get("expires_at")
    return "expired" if expires is not None and expires <= (at or now()) else "valid"


def _issuer_display(ctx: CredentialContext, row: dict[str, Any], locale: str) -> str:
    kind = ctx.catalog.credentials.get(row["type"])
    if row["source"] == "registry" and kind is not None:
        return gettext(locale, kind.issuer_name())
    department = ctx.catalog.departments.get(row["issuer"])
    return gettext(locale, department.name) if department else str(row["issuer"])


async def _registry_records(
    ctx: CredentialContext, user: Principal
) -> list[tuple[CredentialType, str, dict[str, Any]]]:
    """What the registries hold for the caller: (type, item key, claims) for each credential."""
    types = ctx.catalog.credentials
    found: list[tuple[CredentialType, str, dict[str, Any]]] = []
    if user.enterprise is not None:
        kind = types.get("business-licence")
        record = await enterprise_registry().record(user.enterprise, PURPOSE, account=user.id)
        if kind is not None and record:
            claims = {
                "holder_name": record.get("name"),
                "holder_id": record.get("uscc"),
                "business_name": record.get("name"),
                "legal_representative": record.get("legal_representative"),
                "founded_on": str(record["founded_on"]) if record.get("founded_on") else None,
                "registered_capital": str(record["registered_capital"]) if record.get("registered_capital") else None,
            }
            found.append((kind, str(record.get("uscc")), {k: v for k, v in claims.items() if v not in (None, "")}))
        return found
    person = await person_registry().person(user.id, PURPOSE)
    resident_id = (person.get("resident_id") or "").strip().upper()
    if not resident_id:
        return found
    name = person.get("full_name") or ""
    facts = (await population_registry().facts([resident_id], beijing_date(now()), PURPOSE)).get(resident_id)
    card, household = types.get("resident-identity-card"), types.get("household-registration")
    if facts is not None and card is not None:
        found.append(
            (card, "card", {"holder_name": name, "holder_id": resident_id, "born_on": facts.born_on.isoformat()})
        )
    if facts is not None and facts.resident and household is not None:
        found.append((household, "hukou", {"holder_name": name, "holder_id": resident_id, "hukou_local": True}))
    degree = types.get("degree-certificate")
    if degree is not None:
        for record in await degree_registry().degrees(resident_id, PURPOSE):
            claims = {"holder_name": name, "holder_id": resident_id}
            claims.update({k: record[k] for k in ("institution", "degree", "major", "graduated_on") if record.get(k)})
            found.append((degree, str(record.get("record_id")), claims))
    disability = types.get("disability-certificate")
    if disability is not None:
        for record in await disability_registry().certificates(resident_id, PURPOSE):
            claims = {"holder_name": name, "holder_id": resident_id}
            claims.update({k: record[k] for k in disability.claims if record.get(k)})
            # Not named by its number, which is the holder's identity number (with the category and
            # grade) while the credential's key is kept in clear: a person holds one certificate
            # (several disabilities are one certificate's), and a new one supersedes the one before.
            found.append((disability, "certificate", claims))
    return found


async def sync_registry_credentials(user: Principal, ctx: CredentialContext | None = None) -> None:
    """Sign what the registries hold for the caller that the hub has not signed yet; a credential
    whose record has changed is superseded by a new one."""
    ctx = ctx or context()
    holder = min(await holders_of(user.id, user.enterprise))
    records = await _registry_records(ctx, user)
    if not records:
        return
    wanted: dict[str, tuple[CredentialType, str, dict[str, Any], str]] = {}
    for kind, item, claims in records:
        digest = claims_digest(claims)
        wanted[f"registry:{kind.id}:{holder}:{item}:{claims_tag(digest)}"] = (kind, item, claims, digest)
    if len(await _stored(list(wanted))) == len(wanted):
        return
    async with writing():
        await _key_older_rows({key.rsplit(":", 1)[0] + ":" for key in wanted})
        stored = await _stored(list(wanted))
        for key, (kind, item, claims, digest) in wanted.items():
            if key in stored:
                continue
            prefix = f"registry:{kind.id}:{holder}:{item}:"
            created = await create(
                ctx,
                key=key,
                kind=kind,
                issuer=kind.registry or "",
                issuer_name=kind.issuer_name(),
                holder=holder,
                claims=claims,
                issued_at=now(),
                registry=kind.registry,
                digest=digest,
                enterprise=user.enterprise,
            )
            if created is not None:
                await Credential.update({Credential.status: "superseded", Credential.revoked_at: now()}).where(
                    Credential.key.like(prefix + "%") & (Credential.key != key) & (Credential.status == "valid")
                )


async def _stored(keys: list[str]) -> set[str]:
    return {r["key"] for r in await Credential.select(Credential.key).where(Credential.key.is_in(keys))}


async def _key_older_rows(prefixes: set[str]) -> None:
    """Registry credentials an older version keyed by a plain hash of their claims (a digest with no
    key id), valid or superseded: keyed now in place, the same credentials (their shares and status
    as they were), so the hash of what they state is kept nowhere."""
    if not prefixes:
        return
    first, *others = sorted(prefixes)
    where: Combinable = Credential.key.like(first + "%")
    for prefix in others:
        where = where | Credential.key.like(prefix + "%")
    older = await Credential.select(Credential.id, Credential.key, Credential.claims).where(
        where & (Credential.digest != "") & Credential.digest.not_like("%:%")
    )
    for row in older:
        digest = claims_digest(opened_claims(row))
        key = row["key"].rsplit(":", 1)[0] + ":" + claims_tag(digest)
        await Credential.update({Credential.key: key, Credential.digest: digest}).where(Credential.id == row["id"])


COLUMNS = (
    Credential.id,
    Credential.jti,
    Credential.key,
    Credential.type,
    Credential.source,
    Credential.issuer,
    Credential.holder,
    Credential.issued_at,
    Credential.expires_at,
    Credential.status,
    Credential.claims,
    Credential.document,
    Credential.status_index,
)


async def held_rows(user: Principal, type_id: str | None = None) -> list[dict[str, Any]]:
    """The caller's credential rows, newest first (registry-held ones synchronised first)."""
    if user.role not in ("citizen", "enterprise"):
        return []
    await sync_registry_credentials(user)
    query = Credential.select(*COLUMNS).where(held_by(user.id, user.enterprise))
    if type_id is not None:
        query = query.where(Credential.type == type_id)
    rows = await query.order_by(Credential.issued_at, ascending=False).order_by(Credential.id, ascending=False)
    return await with_ended(list(rows))


def held(row: dict[str, Any], locale: str, ctx: CredentialContext | None = None) -> HeldCredential:
    ctx = ctx or context()
    claims = opened_claims(row)
    return HeldCredential(
        id=row["jti"],
        type=row["type"],
        issuer=_issuer_display(ctx, row, locale),
        source=row["source"],
        issued_at=row["issued_at"],
        status=status_now(row),
        claims=claims,
        issued_on=issued_on(row, claims),
    )


async def held_credentials(user: Principal, type_id: str | None = None) -> list[HeldCredential]:
    """Every credential the caller (a citizen, or an enterprise's people) holds, newest first,
    registry-held ones included, each with its status as it stands now."""
    ctx = context()
    return [held(r, user.locale, ctx) for r in await held_rows(user, type_id)]


async def credential_status(credential_id: str) -> str:
    """ "valid" | "revoked" | "suspended" | "expired" | "superseded", or "unknown" for an id the hub never issued."""
    jti = credential_id.removeprefix("urn:uuid:")
    row = (
        await Credential.select(Credential.id, Credential.status, Credential.expires_at, Credential.document)
        .where(Credential.jti == jti)
        .first()
    )
    return status_now((await with_ended([row]))[0]) if row is not None else "unknown"


async def holder_row(user: Principal, credential_id: str) -> dict[str, Any] | None:
    """One of the caller's credentials by id; None when it is not theirs (or does not exist)."""
    jti = credential_id.removeprefix("urn:uuid:")
    if user.role not in ("citizen", "enterprise") or len(jti) > 64:
        return None
    row = (
        await Credential.select(*COLUMNS, Credential.jwt)
        .where((Credential.jti == jti) & held_by(user.id, user.enterprise))
        .first()
    )
    return (await with_ended([row]))[0] if row is not None else None


async def document_numbers(document_ids: list[int]) -> dict[int, str]:
    if not document_ids:
        return {}
    rows = await Document.select(Document.id, Document.number).where(Document.id.is_in(document_ids))
    return {r["id"]: r["number"] or "" for r in rows}


class ClaimLine(msgspec.Struct):
    name: str
    label: str
    value: Any
    # The value as the wallet shows it until its holder asks to see it in full ("": not masked).
    masked: str = ""


class WalletEntry(msgspec.Struct):
    id: str
    type: str
    title: str
    issuer: str
    source: str  # hub | registry
    issued_at: dt.datetime  # when the hub issued (or, for a registry's record, signed) it
    expires_at: dt.datetime | None
    status: str  # valid | revoked | suspended | expired | superseded
    claims: list[ClaimLine]
    download_url: str
    # When its issuer issued it: None for a registry's record that does not say (see ``issued_on``).
    issued_on: dt.date | None = None


def claim_line(name: str, value: Any, locale: str) -> ClaimLine:
    """One claim as the wallet lists it, masked where forms and documents mask it."""
    from forms.credentials import CLAIM_LABELS

    kind = MASKED_CLAIMS.get(name)
    return ClaimLine(
        name=name,
        label=gettext(locale, CLAIM_LABELS.get(name, name)),
        value=claim_value(value, locale),
        masked=mask(value, kind) if kind and value not in (None, "") else "",
    )


def claim_value(value: Any, locale: str) -> Any:
    if isinstance(value, bool):
        return gettext(locale, N_("Yes") if value else N_("No"))
    return value


async def wallet_entries(user: Principal, locale: str | None = None) -> list[WalletEntry]:
    """The caller's wallet: each credential with its title, issuer and claims in their language."""
    ctx = context()
    locale = locale or user.locale
    out = []
    for row in await held_rows(user):
        kind = ctx.catalog.credentials.get(row["type"])
        claims = opened_claims(row)
        order = kind.claims if kind else list(claims)
        out.append(
            WalletEntry(
                id=row["jti"],
                type=row["type"],
                title=gettext(locale, kind.title) if kind else row["type"],
                issuer=_issuer_display(ctx, row, locale),
                source=row["source"],
                issued_at=row["issued_at"],
                expires_at=row["expires_at"],
                status=status_now(row),
                claims=[claim_line(name, claims[name], locale) for name in order if name in claims],
                download_url=f"/api/wallet/credentials/{row['jti']}/jwt",
                issued_on=issued_on(row, claims),
            )
        )
    return out


async def reveal(user: Principal, credential_id: str) -> list[str]:
    """The holder asks to see one of their credentials' masked claims in full: recorded as any
    reveal of personal data is. Returns the claims it unmasks; not found when it is not theirs."""
    row = await holder_row(user, credential_id)
    if row is None:
        raise not_found()
    fields = [name for name in opened_claims(row) if name in MASKED_CLAIMS]
    async with writing():
        await record(None, user, "personal_data.revealed", "credential", row["jti"], fields=fields)
    return fields
