"""A document's page for the department that issued it: what it is and where it stands, and the
forms to correct it (a new document supersedes it) or to revoke it. The rules are the API's
(``hub.documents.corrections``)."""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Redirect

from hub.catalog.presenting import department
from hub.db.tables import Document, ServiceRequest
from hub.documents.corrections import DEPARTMENT_CATEGORIES, correct_document, issued_document, revoke_document
from hub.documents.issuer import REVOCATION_CATEGORIES
from hub.documents.labels import STATUS_LABELS
from hub.errors import HubError
from hub.i18n import N_, gettext
from hub.requests.presenter import DOCUMENT_TITLES
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import form_errors, require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import status_of
from hub.web.routes import get, post
from hub.web.security import STAFF_ROLES

DONE = {
    "corrected": N_("The corrected document is issued; the one before now reads as superseded."),
    "revoked": N_("The document is revoked; its verification now says so."),
}


async def _document_page(
    request: Request,
    ctx: HubContext,
    document_id: int,
    done: str = "",
    errors: dict[str, str] | None = None,
    failed_form: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    require(request, *STAFF_ROLES)
    locale = page_locale(request)
    row = await issued_document(document_id, actor_of(request))
    ref = await ServiceRequest.select(ServiceRequest.ref).where(ServiceRequest.id == row.request).first()
    newer = await Document.objects().where(Document.key == row.superseded_by).first() if row.superseded_by else None
    category = row.revocation_category if row.status == "revoked" else ""
    return render_page(
        request,
        "issued_document.html",
        status=status,
        d=row,
        title=gettext(locale, DOCUMENT_TITLES.get(row.kind, row.kind)),
        issuer=department(ctx.catalog, row.department, locale).name,
        status_label=gettext(locale, STATUS_LABELS.get(row.status, row.status)),
        category_label=gettext(locale, REVOCATION_CATEGORIES[category]) if category in REVOCATION_CATEGORIES else "",
        request_ref=ref["ref"] if ref else "",
        newer=newer,
        categories=[(c, gettext(locale, REVOCATION_CATEGORIES[c])) for c in DEPARTMENT_CATEGORIES],
        message=gettext(locale, DONE[done]) if done in DONE else "",
        errors=errors or {},
        failed_form=failed_form,
        values=values or {},
    )


@get("/workbench/documents/{document_id:int}", name="issued-document")
async def document_page(request: Request, ctx: HubContext, document_id: int, done: str = "") -> Response:
    return await _document_page(request, ctx, document_id, done)


async def _form_errors(
    request: Request, ctx: HubContext, document_id: int, form_name: str, problem: HubError, values: dict[str, str]
) -> Response:
    """The form again, as it was filled, with what is wrong next to its fields (a conflict above)."""
    errors = form_errors(page_locale(request), problem)
    return await _document_page(
        request, ctx, document_id, errors=errors, failed_form=form_name, status=status_of(problem), values=values
    )


@post("/workbench/documents/{document_id:int}/correction", name="document-correct")
async def correct(request: Request, ctx: HubContext, document_id: int) -> Response:
    require(request, *STAFF_ROLES)
    form = await request.form()
    values = {"reason": str(form.get("reason", ""))}
    try:
        corrected = await correct_document(ctx, actor_of(request), document_id, values["reason"])
    except HubError as problem:
        if status_of(problem) not in (409, 422):
            raise
        return await _form_errors(request, ctx, document_id, "correct", problem, values)
    return Redirect(path=f"/workbench/documents/{corrected.document.id}?done=corrected", status_code=303)


@post("/workbench/documents/{document_id:int}/revocation", name="document-revoke")
async def revoke(request: Request, ctx: HubContext, document_id: int) -> Response:
    require(request, *STAFF_ROLES)
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in ("category", "reason")}
    try:
        await revoke_document(ctx, actor_of(request), document_id, values["category"], values["reason"])
    except HubError as problem:
        if status_of(problem) not in (409, 422):
            raise
        return await _form_errors(request, ctx, document_id, "revoke", problem, values)
    return Redirect(path=f"/workbench/documents/{document_id}?done=revoked", status_code=303)


DOCUMENT_PAGES = [document_page, correct, revoke]
