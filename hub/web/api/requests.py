"""Service requests: file one (idempotently), follow it, download its documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from forms.clock import beijing_today
from forms.rules import compute_amount, context, evaluate
from forms.spec import ServiceSpec
from forms.validation import FieldError, FormInvalid, plain_text, validate_form
from hub.accounts import Principal, delegate_of, now
from hub.audit import opened_detail, record
from hub.db.records import (
    MESSAGE_FIELD,
    PUBLIC_STEPS,
    RATING_FIELD,
    add_timeline,
    load_json,
    opened_text,
    sealed_text,
    timeline_text,
)
from hub.db.tables import (
    AuditEvent,
    Claim,
    Document,
    Rating,
    ReviewTask,
    ServiceRequest,
    Supplement,
    TimelineEntry,
)
from hub.db.transactions import writing
from hub.documents.issuer import make_on_download
from hub.documents.storage import open_document
from hub.enterprises import (
    enterprise_account_ids,
    may_submit,
    require_approver,
    require_approver_to_withdraw,
    same_enterprise,
)
from hub.i18n import N_, gettext
from hub.intake import start_workflow
from hub.privacy import masked_answers
from hub.profiles import applicant_data
from hub.sealing import open_answers, seal_answers
from hub.sla.calendar import shanghai_date
from hub.subsidies.claims import CLAIM_REASONS, withdraw_prepared
from hub.web.api.audit import AuditRead, actors_of
from hub.web.api.services import DepartmentRead, department
from hub.web.api.uploads import AttachmentRead, attached_field, attachment_response, attachments, check_uploads
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem, invalid_field, invalid_form, not_found, request_locale, unavailable
from hub.web.security import ALL_ROLES, APPLICANT_ROLES, OVERSIGHT_ROLES, requires_role
from workflows.names import request_workflow_id
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import FINAL_STATES, SupplementNotice, Withdrawal

log = logging.getLogger("qinqing.requests")
UPDATE_TIMEOUT = timedelta(seconds=30)

MAX_ANSWERS = 200
MAX_RATING_COMMENT = 1000
MAX_REVEAL_REASON = 2000
RATEABLE_STATES = ("approved", "rejected")
# Unambiguous characters for public references (no 0/O, 1/I/L).
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

STATE_LABELS = {
    "prepared": N_("Prepared, waiting for the approver to submit"),
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
    "open": N_("Waiting for review"),
    "claimed": N_("Being reviewed"),
    "waiting_applicant": N_("Waiting for the applicant"),
    "transferred": N_("Transferred"),
    "withdrawn": N_("Withdrawn"),
    "awaiting_confirmation": N_("Waiting for a second clerk's confirmation"),
    "cancelled": N_("No longer needed"),
}
TIMELINE_LABELS = {
    "submitted": N_("Request submitted"),
    "stage_opened": N_("Review started: {stage}"),
    "task_approved": N_("Approved by {department}"),
    "task_rejected": N_("Not approved by {department}"),
    "request_approved": N_("Request approved"),
    "request_rejected": N_("Request not approved"),
    "document_issued": N_("Document issued: {document}"),
    "stage_skipped": N_("Not needed for this request: {stage}"),
    "check_passed": N_("Automatic check passed: {stage}"),
    "check_failed": N_("Automatic check failed: {stage}"),
    "information_requested": N_("{department} asks for more information"),
    "information_supplied": N_("More information supplied"),
    "task_transferred": N_("Passed on by {department}"),
    "task_claimed": N_("Taken up by a clerk of {department}"),
    "task_released": N_("Put back in the inbox of {department}"),
    "task_assigned": N_("Assigned by the supervisor of {department}"),
    "task_reminder": N_("Reminder: the time limit of {stage} is near"),
    "task_escalated": N_("Time limit exceeded: {stage}; escalated to the supervisor"),
    "request_withdrawn": N_("Request withdrawn by the applicant"),
    "decision_proposed": N_("Approval proposed in {department}, waiting for a second clerk"),
    "decision_returned": N_("Approval sent back for another look in {department}"),
    "eligibility_passed": N_("Eligibility confirmed from registry data"),
    "eligibility_failed": N_("Eligibility not met"),
    "claim_approved": N_("Claim approved"),
    "payment_made": N_("Subsidy paid"),
    "claim_refused": N_("Claim refused"),
    "payment_failed": N_("Payment failed"),
}
DOCUMENT_TITLES = {
    "receipt": N_("Acceptance receipt"),
    "decision": N_("Decision notice"),
    "certificate": N_("Certificate of approval"),
    "information_request": N_("Notice to supply more information"),
    "payment_notice": N_("Subsidy payment notice"),
}


class RatingCreate(msgspec.Struct):
    score: int
    comment: str = ""


class RatingRead(msgspec.Struct):
    score: int
    comment: str
    created_at: dt.datetime


class SupplementCreate(msgspec.Struct):
    answers: dict[str, Any]


class WithdrawalCreate(msgspec.Struct):
    reason: str = ""


class RequestCreate(msgspec.Struct):
    service_id: str
    answers: dict[str, Any]


class RuleResultRead(msgspec.Struct):
    rule: str
    passed: bool
    message: str


class TimelineRead(msgspec.Struct):
    at: dt.datetime
    kind: str
    title: str
    department: DepartmentRead | None = None
    comment: str = ""


class TaskSummary(msgspec.Struct):
    stage_id: str
    stage_title: str
    department: DepartmentRead
    state: str
    state_label: str
    due_at: dt.datetime
    decided_at: dt.datetime | None
    # The time limit was counted before that year's holiday schedule was known (see TaskRead).
    provisional: bool = False


class DocumentRead(msgspec.Struct):
    id: int
    kind: str
    title: str
    media_type: str
    # Both 0 and empty for a payment notice whose PDF is made on its first download, until then.
    size: int
    sha256: str
    issued_at: dt.datetime
    download_url: str
    number: str | None
    verification_code: str | None
    status: str


class FieldLabel(msgspec.Struct):
    name: str
    label: str


class InformationNeeded(msgspec.Struct):
    """What a department asked the applicant for; answered with POST .../supplements."""

    department: DepartmentRead
    message: str
    fields: list[FieldLabel]


class RequestRead(msgspec.Struct):
    ref: str
    workflow_id: str
    service_id: str
    service_version: int
    service_title: str
    state: str
    state_label: str
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    answers: dict[str, Any]
    rules: list[RuleResultRead]
    checks: list[CheckResultRead]
    amount: str | None
    overdue: bool
    needs_from_applicant: list[InformationNeeded]
    tasks: list[TaskSummary]
    timeline: list[TimelineRead]
    documents: list[DocumentRead]
    # The files the answers refer to (download: .../attachments/{field}).
    attachments: list[AttachmentRead] = []


class CheckResultRead(msgspec.Struct):
    stage_id: str
    rule: str
    passed: bool
    message: str


class RequestListItem(msgspec.Struct):
    ref: str
    service_id: str
    service_title: str
    state: str
    state_label: str
    created_at: dt.datetime
    updated_at: dt.datetime


def stored_answers(spec: ServiceSpec | None, row: ServiceRequest) -> dict[str, Any]:
    """A request's answers with personal values opened (they are sealed at rest)."""
    return open_answers(spec.personal_fields if spec else {}, load_json(row.answers))


def sealed(spec: ServiceSpec, answers: dict[str, Any]) -> str:
    """Answers as stored: JSON with every personal value sealed."""
    return json.dumps(seal_answers(spec.personal_fields, answers), ensure_ascii=False)


def timeline_comment(entry: TimelineEntry, locale: str) -> str:
    """What a timeline step says beyond its title: a clerk's comment, or why a check failed."""
    if entry.kind in ("task_approved", "task_rejected", "task_transferred", "information_requested"):
        return timeline_text(entry.kind, entry.detail)
    if entry.kind == "payment_made":
        return entry.detail
    if entry.kind in ("claim_refused", "payment_failed") and entry.detail in CLAIM_REASONS:
        return gettext(locale, CLAIM_REASONS[entry.detail])
    if entry.kind in ("check_failed", "eligibility_failed") and entry.detail:
        separator = "；" if locale == "zh_CN" else "; "
        return separator.join(gettext(locale, m) for m in load_json(entry.detail))
    return ""


def new_ref(at: dt.datetime) -> str:
    """A request's reference: its day of filing (Beijing time, as the documents date it) and 8 random characters."""
    return f"QQ{shanghai_date(at):%y%m%d}" + "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def expected_amount(spec: ServiceSpec, names: dict[str, Any]) -> str | None:
    """The amount the formula gives for the answers as filed (None without a formula, or if it fails)."""
    if not spec.outcome.amount:
        return None
    try:
        return str(compute_amount(spec.outcome.amount, names))
    except Exception:  # noqa: BLE001 - the final amount is settled (and checked) on approval
        return None


def payload_hash(service_id: str, answers: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"service_id": service_id, "answers": answers},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def prefill(spec: ServiceSpec, answers: dict[str, Any], sources: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """Fill fields the government already holds; a different value from the applicant is refused."""
    filled = dict(answers)
    errors = []
    for f in spec.fields:
        if not f.prefill:
            continue
        source, _, key = f.prefill.partition(".")
        known = (sources.get(source) or {}).get(key)
        if isinstance(known, (dt.date, int)) and not isinstance(known, bool):
            known = known.isoformat() if isinstance(known, dt.date) else known
        if known in (None, ""):
            continue
        given = filled.get(f.name)
        if given in (None, ""):
            filled[f.name] = known
        elif str(given).strip().upper() != str(known).upper():
            errors.append(FieldError(field=f.name, code="prefilled_mismatch"))
    if errors:
        raise FormInvalid(errors)
    return filled


async def send_update(ctx: HubContext, row: ServiceRequest, update, payload, refused: str) -> None:
    """Send an applicant's update to the request's workflow; 409 with ``refused`` when the request's
    state does not allow it (the workflow's validator said no, or the workflow has finished)."""
    closed = Problem(409, "request-closed", N_("Not possible now"), refused)
    if row.state in FINAL_STATES:
        raise closed
    try:
        await ctx.temporal.get_workflow_handle(row.workflow_id).execute_update(
            update, payload, rpc_timeout=UPDATE_TIMEOUT
        )
    except WorkflowUpdateFailedError:
        raise closed from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise closed from None
        log.warning("update to %s not confirmed: %s", row.ref, exc)
        raise unavailable() from None


async def withdraw_request(request: Request, ctx: HubContext, ref: str, reason: str) -> ServiceRequest:
    """The applicant withdraws their request before its final decision (the API and the pages both
    come here); the request as it stands. Raises 409 once it is decided or being decided, and 403
    when an enterprise's preparer would withdraw what the approver submitted."""
    user: Principal = request.user
    row = await load_own_request(ref, user)
    # A claim's request is stored with its claim; whether it is only prepared is the claim's state.
    claim = await Claim.objects().where(Claim.request == row.id).first()
    if (claim.state if claim else row.state) == "prepared":  # never started: nothing to tell a workflow
        async with writing():
            if claim is not None:
                withdrawn = await withdraw_prepared(claim)
            else:
                withdrawn = await (
                    ServiceRequest.update(
                        {
                            ServiceRequest.state: "withdrawn",
                            ServiceRequest.closed_at: now(),
                            ServiceRequest.updated_at: now(),
                        }
                    )
                    .where((ServiceRequest.id == row.id) & (ServiceRequest.state == "prepared"))
                    .returning(ServiceRequest.id)
                )
            if withdrawn:
                await record(request, user, "request.withdrawn", "request", row.ref)
        if withdrawn:
            return await ServiceRequest.objects().where(ServiceRequest.id == row.id).first()
        # Submitted by the approver meanwhile: withdrawn, if at all, as a submitted request is.
    # Only the approver submits an enterprise's request, and only the approver takes it back.
    require_approver_to_withdraw(user)
    await send_update(
        ctx,
        row,
        ServiceRequestWorkflow.withdraw,
        Withdrawal(reason=plain_text(reason)[:2000]),
        N_("This request is already decided or being decided, and can no longer be withdrawn."),
    )
    await record(request, user, "request.withdrawn", "request", row.ref)
    return row


async def load_own_request(ref: str, user: Principal) -> ServiceRequest:
    """The caller's own request (or their enterprise's); anyone else's looks like one that does not exist."""
    row = await ServiceRequest.objects().where(ServiceRequest.ref == ref).first()
    if row is None or (row.applicant != user.id and not await same_enterprise(user, row.applicant)):
        raise not_found()
    return row


async def load_visible_request(ref: str, user: Principal) -> ServiceRequest:
    """The request if the caller may see it: its applicant, a department that reviews it, or oversight.
    Anyone else gets the same 404 as for a request that does not exist."""
    row = await ServiceRequest.objects().where(ServiceRequest.ref == ref).first()
    if row is None:
        raise not_found()
    if row.applicant == user.id or user.role in OVERSIGHT_ROLES or await same_enterprise(user, row.applicant):
        return row
    if user.department and await ReviewTask.exists().where(
        (ReviewTask.request == row.id) & (ReviewTask.department == user.department)
    ):
        return row
    raise not_found()


async def request_read(row: ServiceRequest, ctx: HubContext, locale: str, staff: bool = False) -> RequestRead:
    """The request as its applicant sees it; ``staff`` adds the internal steps (claims, reminders...)."""
    catalog = ctx.catalog
    spec = catalog.version(row.service_id, row.service_version)
    tasks = (
        await ReviewTask.objects()
        .where(ReviewTask.request == row.id)
        .order_by(ReviewTask.opened_at)
        .order_by(ReviewTask.id)
    )
    entries = (
        await TimelineEntry.objects()
        .where(TimelineEntry.request == row.id)
        .order_by(TimelineEntry.at)
        .order_by(TimelineEntry.id)
    )
    documents = await Document.objects().where(Document.request == row.id).order_by(Document.issued_at)
    stage_titles = {s.id: s.title for s in spec.route} if spec else {}
    if not staff:
        entries = [e for e in entries if e.kind in PUBLIC_STEPS]
    labels = {f.name: gettext(locale, f.label) for f in spec.fields} if spec else {}
    answers = stored_answers(spec, row)

    def timeline_title(e: TimelineEntry) -> str:
        dept = department(catalog, e.department, locale).name if e.department else ""
        stage = gettext(locale, stage_titles.get(e.stage_id, e.stage_id)) if e.stage_id else ""
        document = gettext(locale, DOCUMENT_TITLES.get(e.detail, e.detail)) if e.kind == "document_issued" else ""
        return gettext(
            locale,
            TIMELINE_LABELS.get(e.kind, e.kind),
            department=dept,
            stage=stage,
            document=document,
        )

    return RequestRead(
        ref=row.ref,
        workflow_id=row.workflow_id,
        service_id=row.service_id,
        service_version=row.service_version,
        service_title=gettext(locale, spec.title) if spec else row.service_id,
        state=row.state,
        state_label=gettext(locale, STATE_LABELS.get(row.state, row.state)),
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        answers=masked_answers(spec, answers),
        attachments=await attachments(spec, answers, locale),
        rules=[
            RuleResultRead(
                rule=r["rule"],
                passed=r["passed"],
                message=gettext(locale, r["message"]),
            )
            for r in load_json(row.rule_results)
        ],
        checks=[
            CheckResultRead(
                stage_id=c["stage"], rule=c["rule"], passed=c["passed"], message=gettext(locale, c["message"])
            )
            for c in load_json(row.check_results or "[]")
        ],
        amount=row.amount,
        overdue=row.overdue,
        needs_from_applicant=[
            InformationNeeded(
                department=department(catalog, t.department, locale),
                message=opened_text(t.request_message, MESSAGE_FIELD),
                fields=[FieldLabel(name=f, label=labels.get(f, f)) for f in load_json(t.requested_fields or "[]")],
            )
            for t in tasks
            if t.state == "waiting_applicant"
        ],
        tasks=[
            TaskSummary(
                stage_id=t.stage_id,
                stage_title=gettext(locale, stage_titles.get(t.stage_id, t.stage_title)),
                department=department(catalog, t.department, locale),
                state=t.state,
                state_label=gettext(locale, STATE_LABELS.get(t.state, t.state)),
                due_at=t.due_at,
                decided_at=t.decided_at,
                provisional=bool(t.provisional),
            )
            for t in tasks
        ],
        timeline=[
            TimelineRead(
                at=e.at,
                kind=e.kind,
                title=timeline_title(e),
                department=department(catalog, e.department, locale) if e.department else None,
                comment=timeline_comment(e, locale),
            )
            for e in entries
        ],
        documents=[
            DocumentRead(
                id=d.id,
                kind=d.kind,
                title=gettext(locale, DOCUMENT_TITLES.get(d.kind, d.kind)),
                media_type=d.media_type,
                size=d.size,
                sha256=d.sha256,
                issued_at=d.issued_at,
                download_url=f"/api/requests/{row.ref}/documents/{d.id}",
                number=d.number,
                verification_code=d.verification_code,
                status=d.status,
            )
            for d in documents
            # Listed once it is issued: when its PDF is stored, or at once if the PDF is made on download.
            if d.is_issued()
        ],
    )


async def checked_answers(
    spec: ServiceSpec, answers_in: dict[str, Any], user: Principal
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The answers prefilled from what the government holds and validated, uploads included; raises
    invalid_form with every problem at once. Also returns the profile and registry data it used."""
    profile, enterprise = await applicant_data(user.id, purpose=f"prefill and eligibility of {spec.id}")
    errors: list[FieldError] = []
    try:
        answers = validate_form(spec, prefill(spec, answers_in, {"profile": profile, "enterprise": enterprise}))
    except FormInvalid as exc:
        errors, answers = exc.errors, answers_in
    try:
        # Checked even when other fields are wrong, so the applicant sees every problem at once.
        await check_uploads(spec, answers, user, skip={e.field for e in errors})
    except FormInvalid as exc:
        errors += exc.errors
    if errors:
        raise invalid_form(errors)
    return answers, profile, enterprise


def eligibility(
    spec: ServiceSpec,
    answers: dict[str, Any],
    profile: dict[str, Any],
    enterprise: dict[str, Any] | None,
    locale: str,
) -> tuple[str, str | None]:
    """The service's rules over the answers and what the registries hold: their results as stored
    and the amount the formula gives. Raises not-eligible (nothing is saved) when one fails."""
    names = context(spec, answers, profile, enterprise, beijing_today())
    results = evaluate(spec.rules, names)
    if not all(r.passed for r in results):
        raise Problem(
            422,
            "not-eligible",
            N_("Not eligible"),
            N_("The request does not meet the service's conditions. Nothing was saved."),
            rules=[{"rule": r.rule, "passed": r.passed, "message": gettext(locale, r.message)} for r in results],
        )
    return json.dumps([r.model_dump() for r in results], ensure_ascii=False), expected_amount(spec, names)


async def submit_request(
    request: Request,
    ctx: HubContext,
    user: Principal,
    service_id: str,
    answers_in: dict[str, Any],
    idempotency_key: str,
) -> tuple[ServiceRequest, bool]:
    """File a request (the API and the portal both come here): prefill, validate, check uploads and
    eligibility, store it and start its workflow. Returns the row and whether it is new (a repeat with
    the same key returns the first one). Raises Problem for field errors, ineligibility and the like."""
    locale = request_locale(request)
    scope = f"{user.id}:{idempotency_key}"
    digest = payload_hash(service_id, answers_in)

    existing = await ServiceRequest.objects().where(ServiceRequest.idempotency_scope == scope).first()
    if existing is not None:
        return await _repeat(ctx, existing, digest), False

    spec = ctx.catalog.latest(service_id)
    if spec is None:
        raise Problem(
            422,
            "unknown-service",
            N_("Unknown service"),
            N_("There is no service {service}."),
            params={"service": service_id[:64]},
        )
    if user.role not in spec.audience:
        raise Problem(
            422,
            "wrong-audience",
            N_("Not available to you"),
            N_("This service is for enterprises only.")
            if spec.audience == ["enterprise"]
            else N_("This service is for citizens only."),
        )
    if len(answers_in) > MAX_ANSWERS:
        raise invalid_form([FieldError(field="answers", code="too_many_fields")])
    answers, profile, enterprise = await checked_answers(spec, answers_in, user)
    results, expected = eligibility(spec, answers, profile, enterprise, locale)

    # An enterprise's preparer stores the request; its approver submits it (POST .../submission).
    state = "submitted" if may_submit(user) else "prepared"
    stamp = now()
    ref = new_ref(stamp)
    async with writing():
        inserted = (
            await ServiceRequest.insert(
                ServiceRequest(
                    ref=ref,
                    workflow_id=request_workflow_id(ref),
                    service_id=spec.id,
                    service_version=spec.version,
                    applicant=user.id,
                    idempotency_scope=scope,
                    payload_hash=digest,
                    state=state,
                    answers=sealed(spec, answers),
                    rule_results=results,
                    expected_amount=expected,
                    locale=locale,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            .on_conflict(target=ServiceRequest.idempotency_scope, action="DO NOTHING")
            .returning(ServiceRequest.id)
        )
        if inserted and state == "submitted":
            await add_timeline(f"request:{inserted[0]['id']}:submitted", inserted[0]["id"], "submitted", stamp)
        if inserted:
            action = "request.filed" if state == "submitted" else "request.prepared"
            await record(request, user, action, "request", ref, service=spec.id, version=spec.version)
    row = await ServiceRequest.objects().where(ServiceRequest.idempotency_scope == scope).first()
    if not inserted:  # a concurrent submission with the same key won the race
        return await _repeat(ctx, row, digest), False
    if state == "submitted":
        await _start(ctx, row, spec)
    return row, True


async def _repeat(ctx: HubContext, row: ServiceRequest, digest: str) -> ServiceRequest:
    if row.payload_hash != digest:
        raise Problem(
            409,
            "idempotency-key-reused",
            N_("Idempotency key already used"),
            N_("This Idempotency-Key was used for a different submission. Use a new key for a new request."),
        )
    spec = ctx.catalog.version(row.service_id, row.service_version)
    if spec is not None and row.state != "prepared":
        await _start(ctx, row, spec)  # completes a first attempt that stored the row but failed to start
    return row


async def _start(ctx: HubContext, row: ServiceRequest, spec: ServiceSpec) -> None:
    try:
        if ctx.temporal is None:
            raise RuntimeError("no Temporal client")
        await start_workflow(ctx.temporal, row, spec)
    except Exception:
        log.exception("could not start the workflow of %s", row.ref)
        raise Problem(
            503,
            "workflow-unavailable",
            N_("Request saved, processing not started yet"),
            N_(
                "Your request {ref} was saved but could not be passed on yet. Send it again with the same Idempotency-Key to continue."
            ),
            params={"ref": row.ref},
            headers={"Retry-After": "5"},
        ) from None


class RequestController(Controller):
    path = "/api/requests"
    tags = ["requests"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post(
        "/",
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="File a request",
        description="Send an Idempotency-Key header; repeating a submission with the same key returns the same request.",
        status_code=201,
    )
    async def file_request(
        self,
        request: Request,
        ctx: HubContext,
        data: RequestCreate,
        idempotency_key: str = Parameter(header="Idempotency-Key", min_length=8, max_length=128),
    ) -> Response[RequestRead]:
        row, created = await submit_request(request, ctx, request.user, data.service_id, data.answers, idempotency_key)
        return Response(await request_read(row, ctx, request_locale(request)), status_code=201 if created else 200)

    @post(
        "/{ref:str}/submission",
        status_code=200,
        guards=[requires_role("enterprise")],
        summary="Submit a request a preparer of my enterprise prepared (the enterprise's approver)",
    )
    async def submit_prepared(self, request: Request, ctx: HubContext, ref: str) -> RequestRead:
        user: Principal = request.user
        row = await load_own_request(ref, user)
        require_approver(user)
        spec = ctx.catalog.version(row.service_id, row.service_version)
        if spec is None:
            raise not_found()
        if row.state == "prepared":
            stamp = now()
            async with writing():
                moved = (
                    await ServiceRequest.update(
                        {
                            ServiceRequest.state: "submitted",
                            ServiceRequest.submitted_by: user.id,
                            ServiceRequest.updated_at: stamp,
                        }
                    )
                    .where((ServiceRequest.id == row.id) & (ServiceRequest.state == "prepared"))
                    .returning(ServiceRequest.id)
                )
                if moved:
                    await add_timeline(f"request:{row.id}:submitted", row.id, "submitted", stamp)
                    await record(request, user, "request.submitted", "request", row.ref, prepared_by=row.applicant)
        row = await ServiceRequest.objects().where(ServiceRequest.id == row.id).first()
        if row.state == "submitted":
            await _start(ctx, row, spec)  # also when repeated: starting twice is harmless
        return await request_read(row, ctx, request_locale(request))

    @get("/", summary="My requests (for enterprise accounts: my enterprise's)")
    async def list_requests(self, request: Request, ctx: HubContext) -> list[RequestListItem]:
        return await my_requests(ctx, request.user, request_locale(request))

    @get(
        "/{ref:str}",
        guards=[requires_role(*ALL_ROLES, scope="requests:read")],
        summary="One request: status, timeline and documents",
    )
    async def get_request(self, request: Request, ctx: HubContext, ref: str) -> RequestRead:
        row = await load_visible_request(ref, request.user)
        await record(request, request.user, "request.viewed", "request", row.ref)
        applicant_side = row.applicant == request.user.id or await same_enterprise(request.user, row.applicant)
        return await request_read(row, ctx, request_locale(request), staff=not applicant_side)

    @post(
        "/{ref:str}/supplements",
        status_code=200,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Supply the information a department asked for; the review resumes",
    )
    async def supplement(self, request: Request, ctx: HubContext, ref: str, data: SupplementCreate) -> RequestRead:
        return await supply_information(request, ctx, ref, data.answers)

    @post(
        "/{ref:str}/withdrawal",
        status_code=202,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Withdraw a request before its final decision",
    )
    async def withdraw(self, request: Request, ctx: HubContext, ref: str, data: WithdrawalCreate) -> RequestRead:
        row = await withdraw_request(request, ctx, ref, data.reason)
        return await request_read(row, ctx, request_locale(request))

    @get(
        "/{ref:str}/audit",
        guards=[requires_role("supervisor", "auditor", "admin")],
        summary="Who saw and changed this request, when and from where (supervisors and auditors)",
    )
    async def audit_trail(self, request: Request, ref: str) -> list[AuditRead]:
        row = await load_visible_request(ref, request.user)
        events = (
            await AuditEvent.objects()
            .where(AuditEvent.request_ref == row.ref)
            .order_by(AuditEvent.at)
            .order_by(AuditEvent.id)
            .limit(1000)
        )
        actors = await actors_of([e.actor for e in events])
        await record(request, request.user, "audit.viewed", "request", row.ref)
        return [
            AuditRead(
                at=e.at,
                actor=actors[e.actor]["username"] if e.actor in actors else None,
                actor_role=actors[e.actor]["role"] if e.actor in actors else None,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                remote_addr=e.remote_addr,
                detail=opened_detail(e.detail),
            )
            for e in events
        ]

    @get(
        "/{ref:str}/documents/{document_id:int}",
        guards=[requires_role(*ALL_ROLES, scope="requests:read")],
        summary="Download a document of a request (staff: after a reveal, or with a reason)",
        media_type="application/pdf",
    )
    async def download_document(
        self,
        request: Request,
        ctx: HubContext,
        ref: str,
        document_id: int,
        reason: str | None = Parameter(
            default=None,
            max_length=2000,
            description="Anyone but the applicant: why you need the document (it names the applicant); recorded",
        ),
    ) -> Response[bytes]:
        return await document_response(request, ctx, ref, document_id, reason)

    @get(
        "/{ref:str}/attachments/{path:str}",
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Download a file attached to your own request",
    )
    async def download_attachment(self, request: Request, ctx: HubContext, ref: str, path: str) -> Response[bytes]:
        return await own_attachment(request, ctx, ref, path)

    @post(
        "/{ref:str}/rating",
        status_code=201,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Rate a decided request: 1 to 5, with an optional comment (once)",
    )
    async def rate(self, request: Request, ref: str, data: RatingCreate) -> RatingRead:
        return await rate_request(request, ref, data.score, data.comment)


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


async def document_response(
    request: Request, ctx: HubContext, ref: str, document_id: int, reason: str | None = None
) -> Response[bytes]:
    """A document of a request the caller may see, as a download; the download is audited.

    Documents name the applicant in clear. Anyone but the applicant opens one only after revealing
    the personal data on the request's task, or by giving the reason here (recorded as a reveal)."""
    user: Principal = request.user
    row = await load_visible_request(ref, user)
    doc = await Document.objects().where((Document.id == document_id) & (Document.request == row.id)).first()
    if doc is None or not doc.is_issued():
        raise not_found()
    applicant_side = row.applicant == user.id or await same_enterprise(user, row.applicant)
    if not applicant_side:
        reason = plain_text(reason or "")
        if reason:
            if len(reason) < 4:
                raise invalid_field("reason", "missing", N_("Say why you need to see this personal data."))
            if len(reason) > MAX_REVEAL_REASON:
                raise invalid_field("reason", "string_too_long", max_length=MAX_REVEAL_REASON)
            await record(request, user, "personal_data.revealed", "document", doc.id, request=row.ref, reason=reason)
        elif not await revealed_lately(user, row.ref):
            raise Problem(
                403,
                "reveal-first",
                N_("Reveal the personal data first"),
                N_(
                    "Documents name the applicant. Reveal the applicant's personal data on the task, "
                    "or give your reason (the reason parameter), to open one; the reason is recorded."
                ),
            )
    if doc.sha256:
        data = open_document(ctx.documents, doc.key, doc.sha256, doc.stored_as)
    else:
        data = await make_on_download(ctx.documents, ctx.renderer, doc)
    await record(
        request,
        request.user,
        "document.downloaded",
        "document",
        doc.id,
        request=row.ref,
        sha256=doc.sha256,
    )
    return Response(
        data,
        media_type=doc.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{row.ref}-{doc.kind}.pdf"',
            "ETag": f'"{doc.sha256}"',
            "Cache-Control": "private, no-store",
        },
    )


async def own_attachment(request: Request, ctx: HubContext, ref: str, path: str) -> Response[bytes]:
    """A file attached to the caller's own request (or their enterprise's); the download is audited."""
    row = await load_own_request(ref, request.user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    _, token = attached_field(spec, stored_answers(spec, row), path)
    response = await attachment_response(ctx, token, f"{row.ref}-{path}")
    await record(request, request.user, "attachment.downloaded", "request", row.ref, field=path)
    return response


async def rating_of(row: ServiceRequest) -> RatingRead | None:
    found = await Rating.objects().where(Rating.request == row.id).first()
    if found is None:
        return None
    return RatingRead(score=found.score, comment=opened_text(found.comment, RATING_FIELD), created_at=found.created_at)


async def rate_request(request: Request, ref: str, score: int, comment: str) -> RatingRead:
    """The applicant rates their own decided request, once."""
    user: Principal = request.user
    row = await load_own_request(ref, user)
    if row.state not in RATEABLE_STATES:
        raise Problem(409, "not-decided", N_("Not possible now"), N_("A request can be rated once it is decided."))
    if not 1 <= score <= 5:
        raise invalid_field("score", "rating_range")
    comment = plain_text(comment)
    if len(comment) > MAX_RATING_COMMENT:
        raise invalid_field("comment", "string_too_long", max_length=MAX_RATING_COMMENT)
    async with writing():
        inserted = (
            await Rating.insert(
                Rating(
                    request=row.id,
                    account=user.id,
                    score=score,
                    comment=sealed_text(comment, RATING_FIELD),
                    created_at=now(),
                )
            )
            .on_conflict(target=Rating.request, action="DO NOTHING")
            .returning(Rating.id)
        )
        if inserted:
            await record(request, user, "request.rated", "request", row.ref, score=score)
    if not inserted:
        raise Problem(409, "already-rated", N_("Already rated"), N_("You have already rated this request."))
    return await rating_of(row)


async def my_requests(ctx: HubContext, user: Principal, locale: str) -> list[RequestListItem]:
    """The applicant's requests (for enterprise accounts: the enterprise's), newest first."""
    rows = (
        await ServiceRequest.objects()
        .where(ServiceRequest.applicant.is_in(await enterprise_account_ids(user)))
        .order_by(ServiceRequest.created_at, ascending=False)
        .limit(200)
    )
    items = []
    for row in rows:
        spec = ctx.catalog.version(row.service_id, row.service_version)
        items.append(
            RequestListItem(
                ref=row.ref,
                service_id=row.service_id,
                service_title=gettext(locale, spec.title) if spec else row.service_id,
                state=row.state,
                state_label=gettext(locale, STATE_LABELS.get(row.state, row.state)),
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        )
    return items


async def supply_information(request: Request, ctx: HubContext, ref: str, answers_in: dict[str, Any]) -> RequestRead:
    """The applicant answers what a department asked for; the review resumes."""
    user: Principal = request.user
    locale = request_locale(request)
    row = await load_own_request(ref, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    waiting = await ReviewTask.objects().where(
        (ReviewTask.request == row.id) & (ReviewTask.state == "waiting_applicant")
    )
    if not waiting:
        raise Problem(
            409,
            "nothing-requested",
            N_("Nothing was asked"),
            N_("No department is waiting for information on this request."),
        )
    if not answers_in or len(answers_in) > MAX_ANSWERS:
        raise invalid_form([FieldError(field="answers", code="missing")])
    # Only what a department named, and never what the government holds (those are not
    # supplementable: a supplement cannot change who the applicant is).
    asked = {f for t in waiting for f in load_json(t.requested_fields or "[]")} & set(spec.supplementable_fields)
    not_asked = [FieldError(field=k, code="not_requested") for k in answers_in if k not in asked]
    if not_asked:
        raise invalid_form(not_asked)
    # Filing's checks again, on the answers as they will stand: registry data, validation, the
    # applicant's own uploads, the eligibility rules and the amount.
    profile, enterprise = await applicant_data(row.applicant, purpose=f"supplement of {row.ref}")
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    try:
        merged = {**stored_answers(spec, row), **answers_in}
        clean = validate_form(spec, prefill(spec, merged, {"profile": profile, "enterprise": enterprise}))
    except FormInvalid as exc:
        errors += exc.errors
    try:
        await check_uploads(spec, answers_in, user, skip={e.field for e in errors})
    except FormInvalid as exc:
        errors += exc.errors
    if errors:
        raise invalid_form(errors)
    results, expected = eligibility(spec, clean, profile, enterprise, locale)
    token = f"sup_{secrets.token_hex(16)}"
    changed = {k: clean[k] for k in answers_in if k in clean}
    await Supplement.insert(
        Supplement(
            token=token,
            request=row.id,
            answers=sealed(spec, changed),
            rule_results=results,
            expected_amount=expected,
            created_at=now(),
        )
    )
    await send_update(
        ctx,
        row,
        ServiceRequestWorkflow.supplement,
        SupplementNotice(token=token, reassign={t.key: await delegate_of(t.assignee) for t in waiting if t.assignee}),
        N_("This request is closed or no longer waiting for information. Nothing was changed."),
    )
    await record(request, user, "request.supplemented", "request", row.ref, fields=sorted(changed))
    fresh = await ServiceRequest.objects().where(ServiceRequest.id == row.id).first()
    return await request_read(fresh, ctx, locale)
