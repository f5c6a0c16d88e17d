"""A department corrects or revokes a document it issued; one set of rules for its page and its API.

Only the issuing department acts on a document (anyone else's looks like none at all), only while
it is valid, and always with a reason. A correction is issued by a workflow
(``DocumentReissueWorkflow``) and supersedes the earlier document; a revocation is public in its
category, never in the department's own words, which are sealed. Both are in the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from forms.validation import FieldError, plain_text
from hub.accounts import STAFF_ROLES
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.records import add_timeline, load_json
from hub.db.tables import Document, ServiceRequest
from hub.db.transactions import writing
from hub.documents.issuer import DEPARTMENT_CATEGORIES, RevocationCategory, revoke
from hub.errors import HubError, forbidden, invalid_form, not_found, unavailable
from hub.i18n import N_
from hub.notifications import announce, document_revoked_event
from workflows.names import REQUESTS_QUEUE, reissue_workflow_id
from workflows.reissue import DocumentReissueWorkflow
from workflows.types import IssueDocument, Reissue

if TYPE_CHECKING:
    from hub.context import HubContext

log = logging.getLogger("qinqing.documents")

MAX_REASON = 2000
REISSUE_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True)
class Correction:
    """The corrected document, and the number of the one it supersedes."""

    document: Document
    supersedes: str | None


def no_longer_valid() -> HubError:
    return HubError("conflict", "already-revoked", N_("Not possible now"), N_("This document is no longer valid."))


async def issued_document(document_id: int, actor: Actor) -> Document:
    """A document the caller's department issued (anyone else's looks like none at all)."""
    if actor.user is None or actor.role not in STAFF_ROLES:
        raise forbidden()
    row = await Document.objects().where(Document.id == document_id).first()
    if row is None or not row.is_issued() or row.department != actor.user.department:
        raise not_found()
    return row


def _checked(reason: str, category: str | None = None) -> str:
    """The reason as stored (plain text), or the form's errors; nothing is changed on an error."""
    text = plain_text(reason or "")
    errors = []
    if not text:
        errors.append(FieldError(field="reason", code="missing"))
    elif len(text) > MAX_REASON:
        errors.append(FieldError(field="reason", code="string_too_long", context={"max_length": MAX_REASON}))
    if category is not None and category not in DEPARTMENT_CATEGORIES:
        errors.append(FieldError(field="category", code="invalid_choice"))
    if errors:
        raise invalid_form(errors)
    return text


async def _request_ref(request_id: int | None) -> str | None:
    row = await ServiceRequest.select(ServiceRequest.ref).where(ServiceRequest.id == request_id).first()
    return row["ref"] if row else None


async def correct_document(ctx: HubContext, actor: Actor, document_id: int, reason: str) -> Correction:
    """Issue a corrected document in place of one the caller's department issued; the earlier one
    then reads as superseded, and correcting it again is refused (the correction is corrected in
    turn). Two asking at once are given the one correction, made with the first one's reason, and
    only the first one's is in the audit log: the other changed nothing."""
    row = await issued_document(document_id, actor)
    if row.status != "valid":
        raise no_longer_valid()
    text = _checked(reason)
    if ctx.temporal is None:
        raise unavailable()
    facts = load_json(row.facts or "{}")
    new_key = f"{row.key}:reissued"
    workflow_id = reissue_workflow_id(row.key)
    reissue = Reissue(
        previous_key=row.key,
        reason=text,
        document=IssueDocument(
            key=new_key,
            request_id=row.request,
            kind=row.kind,
            outcome=facts.get("outcome", "approved"),
            locale=row.locale,
            issued_at=now(),
            corrects=row.key,
        ),
    )
    made_here = True
    try:
        try:
            handle = await ctx.temporal.start_workflow(
                DocumentReissueWorkflow.run,
                reissue,
                id=workflow_id,
                task_queue=REQUESTS_QUEUE,
                # A correction that failed may be asked for again; one that was made is joined.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                execution_timeout=REISSUE_TIMEOUT,
            )
        except WorkflowAlreadyStartedError:
            made_here = False
            handle = ctx.temporal.get_workflow_handle_for(DocumentReissueWorkflow.run, workflow_id)
        await handle.result()
    except (WorkflowFailureError, RPCError):
        log.exception("re-issue of document %s failed", row.id)
        raise unavailable() from None
    new = await Document.objects().where(Document.key == new_key).first()
    if new is None or new.status != "valid":
        # Revoked while the correction was made: the revocation stands, and the correction with it.
        raise no_longer_valid()
    if made_here:
        await record(
            actor,
            actor.user,
            "document.reissued",
            "document",
            row.id,
            request=await _request_ref(row.request),
            new=new.id,
            reason=text,
        )
    return Correction(document=new, supersedes=row.number)


async def revoke_document(ctx: HubContext, actor: Actor, document_id: int, category: str, reason: str) -> Document:
    """Revoke a document the caller's department issued: whoever verifies it reads the category,
    never the department's own words (kept sealed, and in the audit log). The applicant reads it in
    the request's timeline and is told (``hub.notifications.announce``), by the category too."""
    row = await issued_document(document_id, actor)
    if row.status != "valid":
        raise no_longer_valid()
    text = _checked(reason, category)
    ref = await _request_ref(row.request)
    async with writing():
        changed = await revoke(row.id, cast(int, actor.id), cast(RevocationCategory, category), text)
        if changed:
            await record(
                actor,
                actor.user,
                "document.revoked",
                "document",
                row.id,
                request=ref,
                category=category,
                reason=text,
            )
            await add_timeline(f"document-{row.id}:revoked", row.request, "document_revoked", now(), detail=row.kind)
    fresh = await Document.objects().where(Document.id == row.id).first()
    if not changed or fresh is None:
        raise no_longer_valid()
    await announce(ctx.temporal, document_revoked_event(row.id, row.key, row.request))
    return fresh
