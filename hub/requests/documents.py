"""Downloads of a request's files: its documents for whoever may see the request (staff after a
reveal, or with a reason), its attachments for the applicant. Each download is audited."""

from __future__ import annotations

from datetime import timedelta

from forms.validation import plain_text
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.tables import AuditEvent, Document
from hub.documents.issuer import make_on_download
from hub.documents.storage import read_document
from hub.errors import HubError, invalid_field, not_found
from hub.i18n import N_
from hub.requests.access import applicant_side, load_own_request, load_visible_request, signed_in
from hub.requests.presenter import stored_answers
from hub.uploads.files import FileContent, attached_field, open_upload

MAX_REVEAL_REASON = 2000
# A reveal (with its recorded reason) opens the request's documents to the same person for this long.
REVEAL_OPENS_DOCUMENTS_FOR = timedelta(minutes=30)


async def revealed_lately(user: Principal, ref: str) -> bool:
    """Whether this account revealed the applicant's personal data on this request lately."""
    return await AuditEvent.exists().where(
        (AuditEvent.actor == user.id)
        & (AuditEvent.action == "personal_data.revealed")
        & (AuditEvent.request_ref == ref)
        & (AuditEvent.at >= now() - REVEAL_OPENS_DOCUMENTS_FOR)
    )


async def request_document(
    ctx: HubContext, actor: Actor, ref: str, document_id: int, reason: str | None = None
) -> tuple[FileContent, str]:
    """A document of a request the caller may see, and its SHA-256; the download is audited.

    Documents name the applicant in clear. Anyone but the applicant opens one only after revealing
    the personal data on the request's task, or by giving the reason here (recorded as a reveal)."""
    user = signed_in(actor)
    row = await load_visible_request(ref, user)
    doc = await Document.objects().where((Document.id == document_id) & (Document.request == row.id)).first()
    if doc is None or not doc.is_issued():
        raise not_found()
    if not await applicant_side(row, user):
        reason = plain_text(reason or "")
        if reason:
            if len(reason) < 4:
                raise invalid_field("reason", "missing", N_("Say why you need to see this personal data."))
            if len(reason) > MAX_REVEAL_REASON:
                raise invalid_field("reason", "string_too_long", max_length=MAX_REVEAL_REASON)
            await record(actor, user, "personal_data.revealed", "document", doc.id, request=row.ref, reason=reason)
        elif not await revealed_lately(user, row.ref):
            raise HubError(
                "forbidden",
                "reveal-first",
                N_("Reveal the personal data first"),
                N_(
                    "Documents name the applicant. Reveal the applicant's personal data on the task, "
                    "or give your reason (the reason parameter), to open one; the reason is recorded."
                ),
            )
    if doc.sha256:
        data = await read_document(ctx.documents, doc.key, doc.sha256, doc.stored_as)
    else:
        data = await make_on_download(ctx.documents, ctx.renderer, doc)
    await record(actor, user, "document.downloaded", "document", doc.id, request=row.ref, sha256=doc.sha256)
    return FileContent(data, doc.media_type, f"{row.ref}-{doc.kind}.pdf"), doc.sha256


async def own_attachment(ctx: HubContext, actor: Actor, ref: str, path: str) -> FileContent:
    """A file attached to the caller's own request (or their enterprise's); the download is audited."""
    user = signed_in(actor)
    row = await load_own_request(ref, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    _, token = attached_field(spec, stored_answers(spec, row), path)
    file = await open_upload(ctx, token, f"{row.ref}-{path}")
    await record(actor, user, "attachment.downloaded", "request", row.ref, field=path)
    return file
