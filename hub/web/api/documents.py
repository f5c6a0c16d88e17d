"""Documents anyone can trust: the public verification of a code, and revocation by the issuer.

The verification is public: it says whether a document was revoked, when, by which department and
in which category (issued in error, fraud...), never the department's own words about why.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from forms.validation import plain_text
from hub.accounts import Principal
from hub.audit import record
from hub.catalog.presenting import DepartmentRead, department
from hub.clock import now
from hub.credentials.verifying import admit_check
from hub.db.records import load_json
from hub.db.tables import Document, ServiceRequest
from hub.db.transactions import writing
from hub.documents.issuer import REVOCATION_CATEGORIES, RevocationCategory, revoke, stated_benefit
from hub.documents.signing import KeyRing, Signature
from hub.i18n import N_, format_datetime, gettext
from hub.requests.presenter import DOCUMENT_TITLES
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.pages.render import render_page
from hub.web.problems import Problem, invalid_field, not_found, request_locale, unavailable
from hub.web.routes import get, post
from hub.web.security import STAFF_ROLES, requires_role
from workflows.names import REQUESTS_QUEUE, reissue_workflow_id
from workflows.reissue import DocumentReissueWorkflow
from workflows.types import IssueDocument, Reissue

log = logging.getLogger("qinqing.documents")
REISSUE_TIMEOUT = timedelta(minutes=2)
from hub.documents.labels import STATUS_LABELS  # noqa: E402 - re-exported for callers of this module


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
    category: RevocationCategory = "other"


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
        user: Principal = request.user
        row = await issued_document(document_id, user)
        reason = plain_text(data.reason)
        if not reason or len(reason) > 2000:
            raise invalid_field("reason", "missing")
        if row.status != "valid":
            raise Problem(409, "already-revoked", N_("Not possible now"), N_("This document is no longer valid."))
        facts = load_json(row.facts or "{}")
        new_key = f"{row.key}:reissued"
        try:
            await ctx.temporal.execute_workflow(
                DocumentReissueWorkflow.run,
                Reissue(
                    previous_key=row.key,
                    reason=reason,
                    document=IssueDocument(
                        key=new_key,
                        request_id=row.request,
                        kind=row.kind,
                        outcome=facts.get("outcome", "approved"),
                        locale=row.locale,
                        issued_at=now(),
                    ),
                ),
                id=reissue_workflow_id(row.key),
                task_queue=REQUESTS_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                execution_timeout=REISSUE_TIMEOUT,
            )
        except (WorkflowFailureError, RPCError):
            log.exception("re-issue of document %s failed", row.id)
            raise unavailable() from None
        new = await Document.objects().where(Document.key == new_key).first()
        if new is None or new.status != "valid":
            # Revoked while the correction was made: the revocation stands, and the correction with it.
            raise Problem(409, "already-revoked", N_("Not possible now"), N_("This document is no longer valid."))
        ref = await ServiceRequest.select(ServiceRequest.ref).where(ServiceRequest.id == row.request).first()
        await record(
            request,
            user,
            "document.reissued",
            "document",
            row.id,
            request=ref["ref"] if ref else None,
            new=new.id,
            reason=reason,
        )
        return ReissueRead(id=new.id, number=new.number, verification_code=new.verification_code, supersedes=row.number)

    @post(
        "/api/documents/{document_id:int}/revocation",
        status_code=200,
        guards=[requires_role(*STAFF_ROLES)],
        summary="Revoke a document your department issued; its verification then says so",
    )
    async def revoke(
        self, request: Request, ctx: HubContext, document_id: int, data: RevocationCreate
    ) -> RevocationRead:
        user: Principal = request.user
        reason = plain_text(data.reason)
        row = await issued_document(document_id, user)
        if not reason or len(reason) > 2000:
            raise invalid_field("reason", "missing")
        ref = await ServiceRequest.select(ServiceRequest.ref).where(ServiceRequest.id == row.request).first()
        async with writing():
            changed = await revoke(row.id, user.id, data.category, reason)
            if changed:
                # The department's words are kept here (the audit log seals a reason), not shown publicly.
                await record(
                    request,
                    user,
                    "document.revoked",
                    "document",
                    row.id,
                    request=ref["ref"] if ref else None,
                    category=data.category,
                    reason=reason,
                )
        if not changed:
            raise Problem(409, "already-revoked", N_("Not possible now"), N_("This document is no longer valid."))
        fresh = await Document.objects().where(Document.id == row.id).first()
        return RevocationRead(
            id=fresh.id,
            number=fresh.number,
            status=fresh.status,
            revoked_at=fresh.revoked_at,
            category=fresh.revocation_category,
        )


async def issued_document(document_id: int, user: Principal) -> Document:
    """A document the caller's department issued (anyone else's looks like none at all)."""
    row = await Document.objects().where(Document.id == document_id).first()
    if row is None or not row.is_issued() or row.department != user.department:
        raise not_found()
    return row
