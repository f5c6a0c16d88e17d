"""Proofs the government already holds (免提交): a file field that names a credential type is
satisfied by a valid credential of the applicant instead of an upload.

The answer for such a field is ``{"credential": "<id>"}``. When it is left out and the applicant
holds a valid credential of the type, the newest one is taken (inside a repeating group, the one
whose holder is the item's person). Filing checks each reference (held by the applicant, of the
type the field asks for, valid now) and stores, next to the id, what it found: the type, the
issuer, the issue date, the status and when it was checked. The request and the clerk's task show
it, with its status checked again as they are read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from forms.catalog import Catalog
from forms.spec import FieldSpec, ServiceSpec
from forms.validation import CREDENTIAL_KEY, FieldError, credential_answers, credential_id
from hub.accounts import Principal
from hub.credentials import HeldCredential, credential_status, held_credentials
from hub.i18n import N_, format_date, gettext

VALID = "valid"
# The field error of a reference that cannot stand in for the proof, by the credential's status.
STATUS_ERRORS = {
    "revoked": "credential_revoked",
    "suspended": "credential_suspended",
    "expired": "credential_expired",
    "superseded": "credential_superseded",
}
STATUS_LABELS = {
    "valid": N_("Valid"),
    "revoked": N_("Revoked"),
    "suspended": N_("On hold"),
    "expired": N_("Expired"),
    "superseded": N_("Replaced by a newer one"),
    "unknown": N_("Not found"),
}
NO_LONGER_VALID = N_(
    "A credential this request relies on is no longer valid: {credentials}. It was valid when the request was "
    "filed. Check the proof another way (ask the applicant for it) before you decide."
)


class CredentialUsed(msgspec.Struct):
    """A credential that stands in for a proof of a request: what filing verified, and its status now."""

    field: str  # the answer's path: "birth_certificate", or "graduates.0.degree_certificate"
    label: str  # the field's label
    credential: str  # the credential's id
    type: str
    title: str  # the credential type, as people read it
    issuer: str
    issued_at: dt.datetime | None
    status_at_filing: str
    checked_at: dt.datetime | None
    status_now: str
    status_label: str
    # Valid when filed, not any more: the proof must be checked another way before deciding.
    lapsed: bool


def credential_types(spec: ServiceSpec) -> set[str]:
    """The credential types the form's fields name (inside groups too)."""
    return {p.credential for f in spec.fields for p in [f, *f.fields] if p.credential is not None}


async def held_for_form(user: Principal, spec: ServiceSpec) -> dict[str, list[HeldCredential]]:
    """The applicant's valid credentials of the types the form names, newest first, by type."""
    wanted = credential_types(spec)
    if not wanted or user.role not in ("citizen", "enterprise"):
        return {}
    found: dict[str, list[HeldCredential]] = {t: [] for t in wanted}
    # Read in English (the issuer as the catalog writes it), shown in the reader's language.
    for c in await held_credentials(msgspec.structs.replace(user, locale="en")):
        if c.type in found and c.status == VALID:
            found[c.type].append(c)
    return found


def _holder_ids(item: dict[str, Any], fields: list[FieldSpec]) -> set[str]:
    return {str(item.get(f.name) or "").strip().upper() for f in fields if f.type == "resident_id"} - {""}


def take_held(spec: ServiceSpec, answers: dict[str, Any], held: dict[str, list[HeldCredential]]) -> dict[str, Any]:
    """The answers with every credential field left empty filled with a valid credential the
    applicant holds: the newest of the type; inside a group, the one held by the item's person
    (its resident identity number). An upload, or a reference given, is kept as it is."""
    out = dict(answers)
    for f in spec.fields:
        if f.credential is not None and out.get(f.name) in (None, "") and held.get(f.credential):
            out[f.name] = {CREDENTIAL_KEY: held[f.credential][0].id}
        proofs = [s for s in f.fields if s.credential is not None] if f.type == "group" else []
        items = out.get(f.name)
        if not proofs or not isinstance(items, list):
            continue
        filled = []
        for item in items:
            item = dict(item) if isinstance(item, dict) else item
            if isinstance(item, dict):
                people = _holder_ids(item, f.fields)
                for s in proofs:
                    mine = [c for c in held.get(s.credential or "", []) if str(c.claims.get("holder_id", "")) in people]
                    if item.get(s.name) in (None, "") and mine:
                        item[s.name] = {CREDENTIAL_KEY: mine[0].id}
            filled.append(item)
        out[f.name] = filled
    return out


def _put(answers: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if len(parts) == 3:
        answers[parts[0]][int(parts[1])][parts[2]] = value
    else:
        answers[path] = value


async def verify_credentials(
    spec: ServiceSpec, answers: dict[str, Any], user: Principal, at: dt.datetime, skip: set[str] | None = None
) -> dict[str, Any]:
    """Check every credential reference of validated answers: held by the applicant, of the type the
    field asks for, valid now. Returns the answers with what was verified stored next to each id;
    raises ``CredentialsInvalid`` with one field error per reference that cannot stand in."""
    refs = [(p, f, credential_id(v)) for p, f, v in credential_answers(spec, answers) if credential_id(v)]
    refs = [(p, f, r) for p, f, r in refs if p not in (skip or set())]
    if not refs:
        return answers
    # Read in English: the issuer is stored as the catalog writes it, and shown in each reader's language.
    held = {c.id: c for c in await held_credentials(msgspec.structs.replace(user, locale="en"))}
    errors: list[FieldError] = []
    out = {
        k: ([dict(i) if isinstance(i, dict) else i for i in v] if isinstance(v, list) else v)
        for k, v in answers.items()
    }
    for path, f, ref in refs:
        c = held.get(str(ref))
        if c is None:
            errors.append(FieldError(field=path, code="credential_not_held"))
        elif c.type != f.credential:
            errors.append(FieldError(field=path, code="credential_wrong_type"))
        elif c.status != VALID:
            errors.append(FieldError(field=path, code=STATUS_ERRORS.get(c.status, "credential_not_held")))
        else:
            _put(
                out,
                path,
                {
                    CREDENTIAL_KEY: c.id,
                    "type": c.type,
                    "issuer": c.issuer,
                    "source": c.source,
                    "issued_at": c.issued_at.isoformat(),
                    "status": c.status,
                    "checked_at": at.isoformat(),
                },
            )
    if errors:
        raise CredentialsInvalid(errors)
    return out


class CredentialsInvalid(Exception):
    """References that cannot stand in for their proofs, one field error each."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _label(spec: ServiceSpec, path: str, locale: str) -> str:
    parts = path.split(".")
    top = spec.field(parts[0])
    if len(parts) == 3:
        sub = next(s for s in top.fields if s.name == parts[2])
        return f"{gettext(locale, top.label)} {int(parts[1]) + 1}: {gettext(locale, sub.label)}"
    return gettext(locale, top.label)


async def credentials_used(
    spec: ServiceSpec | None, answers: dict[str, Any] | None, catalog: Catalog, locale: str
) -> list[CredentialUsed]:
    """The credentials a filed request relies on, as verified at filing, each with its status now."""
    if spec is None or not answers:
        return []
    used = []
    for path, f, value in credential_answers(spec, answers):
        ref = credential_id(value)
        if ref is None:
            continue
        kind = catalog.credentials.get(str(value.get("type") or f.credential))
        filed = str(value.get("status") or "")
        now_status = await credential_status(ref)
        used.append(
            CredentialUsed(
                field=path,
                label=_label(spec, path, locale),
                credential=ref,
                type=kind.id if kind else str(f.credential),
                title=gettext(locale, kind.title) if kind else str(f.credential),
                issuer=gettext(locale, str(value.get("issuer") or "")),
                issued_at=_when(value.get("issued_at")),
                status_at_filing=filed,
                checked_at=_when(value.get("checked_at")),
                status_now=now_status,
                status_label=gettext(locale, STATUS_LABELS.get(now_status, now_status)),
                lapsed=filed == VALID and now_status != VALID,
            )
        )
    return used


def lapsed_warning(used: list[CredentialUsed], locale: str) -> str:
    """The warning a clerk reads before deciding when a credential was revoked (or has lapsed) since filing."""
    lapsed = [u for u in used if u.lapsed]
    if not lapsed:
        return ""
    sep = "；" if locale == "zh_CN" else "; "
    listed = sep.join(
        f"{u.title} ({u.status_label})" if locale != "zh_CN" else f"{u.title}（{u.status_label}）" for u in lapsed
    )
    return gettext(locale, NO_LONGER_VALID, credentials=listed)


async def held_proofs(
    catalog: Catalog, spec: ServiceSpec, user: Principal, answers: dict[str, Any], locale: str
) -> dict[str, dict[str, str]]:
    """The credentials the applicant holds that stand in for the form's proofs, by field, as a form
    shows them: the one the answers name, or the newest valid one when the field is empty."""
    held = await held_for_form(user, spec)
    found: dict[str, dict[str, str]] = {}
    for name, f in spec.credential_fields.items():
        mine = held.get(f.credential or "", [])
        value = answers.get(name)
        ref = value.get(CREDENTIAL_KEY) if isinstance(value, dict) else None
        chosen = next((c for c in mine if c.id == ref), None) if ref else None
        if chosen is None and mine and (ref or not value):
            chosen = mine[0]  # the one named is no longer valid (or none was): the newest held now
        if chosen is not None:
            found[name] = we_have_it(chosen, catalog, locale)
    return found


def we_have_it(held: HeldCredential, catalog: Catalog, locale: str) -> dict[str, str]:
    """A held credential as a form shows it in place of the upload."""
    kind = catalog.credentials.get(held.type)
    return {
        "id": held.id,
        "title": gettext(locale, kind.title) if kind else held.type,
        "issuer": gettext(locale, held.issuer),
        # When its issuer issued it; "" for a registry's record that does not say (only signed).
        "date": format_date(held.issued_on, locale) if held.issued_on else "",
        "signed": format_date(held.issued_at, locale),
    }
