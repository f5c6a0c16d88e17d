"""Documents anyone can trust: the public verification of a code, and revocation by the issuer.

The verification is public: it says whether a document was revoked, when, by which department and
in which category (issued in error, fraud...), never the department's own words about why.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide

from hub.catalog.presenting import DepartmentRead, department
from hub.credentials.verifying import admit_check
from hub.db.records import load_json
from hub.db.tables import Document, ServiceRequest
from hub.documents.corrections import correct_document, revoke_document
from hub.documents.issuer import REVOCATION_CATEGORIES, DepartmentCategory, stated_benefit
from hub.documents.labels import STATUS_LABELS  # re-exported for callers of this module
from hub.documents.signing import KeyRing, Signature
from hub.i18n import format_datetime, gettext
from hub.requests.presenter import DOCUMENT_TITLES
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.pages.render import render_page
from hub.web.problems import request_locale
from hub.web.routes import get, post
from hub.web.security import STAFF_ROLES, requires_role


class StatedBenefit(msgspec.Struct):
    """The benefit a decision grants, as signed: the amount (CNY, per month or once; null while its
    payment is suspended), band, first month, how and into which account (masked) it is paid."""

    kind: str
    state: str
    reason: str
    amount: str | None
    band: str
    start_period: str
    payment_method: str
    payee_account: str
    payment_day: int


class VerificationRead(msgspec.Struct):
    code: str
    found: bool
    genuine: bool = False
    status: str = "unknown"
    status_label: str = ""
    kind: str = ""
    title: str = ""
    number: str = ""
    issuer: DepartmentRead | None = None
    issued_at: dt.datetime | None = None
    request_ref: str = ""
    applicant: str = ""
    sha256: str = ""
    key_id: str = ""
    # For a revoked document: when, by which department (only the issuing one revokes), and why as
    # a category (its code and label; empty for documents revoked before there were categories).
    revoked_at: dt.datetime | None = None
    revoked_by: DepartmentRead | None = None
    revocation_category: str = ""
    revocation_category_label: str = ""
    # For a superseded document: the number and code of the document that replaces it.
    superseded_by: str = ""
    superseded_by_code: str = ""
    # A decision: the benefit it grants, and whether it states the rights to challenge it.
    benefit: StatedBenefit | None = None
    states_rights: bool = False


class RevocationCreate(msgspec.Struct):
    # The department's own words, for the audit trail; the category is what the public reads.
    reason: str
    category: DepartmentCategory = "other"


class ReissueCreate(msgspec.Struct):
    reason: str


class ReissueRead(msgspec.Struct):
    id: int
    number: str | None
    verification_code: str | None
    supersedes: str | None


class RevocationRead(msgspec.Struct):
    id: int
    number: str | None
    status: str
    revoked_at: dt.datetime | None
    category: str = ""


def genuine(row: Document, keys: KeyRing) -> bool:
    """The signature holds for the stored facts, and the facts are those of this row."""
    facts = load_json(row.facts or "{}")
    if not isinstance(facts, dict) or not row.signature:
        return False
    consistent = (
        facts.get("code") == row.verification_code
        and facts.get("number") == row.number
        and facts.get("kind") == row.kind
        and facts.get("issuer") == row.department
    )
    return consistent and keys.verify(facts, Signature(key_id=row.key_id, value=row.signature))


class DocumentController(Controller):
    tags = ["documents"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get(
        "/verify/{code:str}",
        summary="Is this document genuine and still valid? (public; JSON with Accept: application/json)",
        media_type="text/html",
    )
    async def verify(self, request: Request, ctx: HubContext, code: str) -> Response:
        # Counted against the address's checks, as the verification page and API are: a document's
        # code is not to be guessed in bulk (a hit names the holder and what was granted).
        await admit_check(actor_of(request).address)
        locale = request_locale(request)
        clean = code.strip().upper()[:32]
        row = await Document.objects().where(Document.verification_code == clean).first() if clean.isalnum() else None
        result = VerificationRead(code=clean, found=False, status_label=gettext(locale, STATUS_LABELS["unknown"]))
        benefit, rights = None, ""
        if row is not None and row.is_issued():
            facts = load_json(row.facts or "{}")
            request_row = (
                await ServiceRequest.select(ServiceRequest.ref).where(ServiceRequest.id == row.request).first()
            )
            newer = (
                await Document.objects().where(Document.key == row.superseded_by).first() if row.superseded_by else None
            )
            revoked = row.status == "revoked"
            # What the decision says of a benefit and of the rights, worded as on the PDF.
            benefit, rights = stated_benefit(facts, ctx.catalog, locale)
            category = row.revocation_category if revoked and row.revocation_category in REVOCATION_CATEGORIES else ""
            result = VerificationRead(
                code=clean,
                found=True,
                genuine=genuine(row, ctx.signing_keys),
                status=row.status,
                status_label=gettext(locale, STATUS_LABELS.get(row.status, row.status)),
                kind=row.kind,
                title=gettext(locale, DOCUMENT_TITLES.get(row.kind, row.kind)),
                number=row.number or "",
                issuer=department(ctx.catalog, row.department, locale),
                issued_at=row.issued_at,
                request_ref=request_row["ref"] if request_row else "",
                applicant=str(facts.get("applicant", "")),
                sha256=row.sha256,
                key_id=row.key_id,
                revoked_at=row.revoked_at if revoked else None,
                revoked_by=department(ctx.catalog, row.department, locale) if revoked else None,
                revocation_category=category,
                revocation_category_label=gettext(locale, REVOCATION_CATEGORIES[category]) if category else "",
                superseded_by=newer.number if newer else "",
                superseded_by_code=newer.verification_code if newer else "",
                benefit=msgspec.convert(facts["benefit"], StatedBenefit) if benefit is not None else None,
                states_rights=bool(rights),
            )
        status = 200 if result.found else 404
        if "application/json" in request.headers.get("accept", "") or request.query_params.get("format") == "json":
            return Response(result, status_code=status, media_type="application/json")
        issued = format_datetime(result.issued_at, locale) if result.issued_at else ""
        revoked_on = format_datetime(result.revoked_at, locale) if result.revoked_at else ""
        return render_page(
            request,
            "verify.html",
            status=status,
            v=result,
            issued=issued,
            revoked_on=revoked_on,
            benefit=benefit,
            rights=rights,
        )

    @post(
        "/api/documents/{document_id:int}/reissue",
        status_code=201,
        guards=[requires_role(*STAFF_ROLES)],
        summary="Issue a corrected document in place of one your department issued; the old one reads as superseded",
    )
    async def reissue(self, request: Request, ctx: HubContext, document_id: int, data: ReissueCreate) -> ReissueRead:
        corrected = await correct_document(ctx, actor_of(request), document_id, data.reason)
        new = corrected.document
        return ReissueRead(
            id=new.id, number=new.number, verification_code=new.verification_code, supersedes=corrected.supersedes
        )

    @post(
        "/api/documents/{document_id:int}/revocation",
        status_code=200,
        guards=[requires_role(*STAFF_ROLES)],
        summary="Revoke a document your department issued; its verification then says so",
    )
    async def revoke(
        self, request: Request, ctx: HubContext, document_id: int, data: RevocationCreate
    ) -> RevocationRead:
        revoked = await revoke_document(ctx, actor_of(request), document_id, data.category, data.reason)
        return RevocationRead(
            id=revoked.id,
            number=revoked.number,
            status=revoked.status,
            revoked_at=revoked.revoked_at,
            category=revoked.revocation_category,
        )
