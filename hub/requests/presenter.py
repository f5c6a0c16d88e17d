"""A request as people read it: its state, rules, tasks, timeline, documents and attachments, in
the reader's language; the labels of states, timeline steps and documents. Used by the API, the
portal and the workbench."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any, Literal, cast

import msgspec

from forms.spec import ServiceSpec
from hub.accounts import Principal
from hub.catalog.presenting import DepartmentRead, department
from hub.commitments import POST_CHECK_TITLE
from hub.context import HubContext
from hub.db.records import MESSAGE_FIELD, PUBLIC_STEPS, load_json, opened_text, timeline_text
from hub.db.tables import ServiceRequest, TimelineEntry
from hub.enterprises import enterprise_account_ids
from hub.i18n import N_, format_money, gettext
from hub.privacy import masked_answers
from hub.requests.conditions import conditions_read, names_no_service_rule
from hub.requests.expected import expected_decision
from hub.requests.materials import CredentialUsed, credentials_used
from hub.requests.parts import read_parts
from hub.sealing import open_answers
from hub.sla.time_limits import reply_deadline
from hub.subsidies import CLAIM_REASONS, claimed_program, unsubmitted_end
from hub.uploads.files import AttachmentRead, attachments
from workflows.types import ACTIVE_TASK_STATES, POST_CHECK_STAGE, RequestState, TaskState, TimelineKind

# Requests and tasks share the words for their states; "prepared" is an enterprise request (or a
# claim) its approver has not submitted yet, which never reaches a workflow.
STATE_LABELS: dict[RequestState | TaskState | Literal["prepared"], str] = {
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
    "revoked": N_("Approval revoked"),
}
# An approval on commitment whose post-check is still to come.
POST_CHECK_PENDING = N_("Approved, post-check pending")
# A claim's request nobody submitted (``hub.subsidies.unsubmitted_end``): its state and last step.
UNSUBMITTED_LABELS = {
    "declined": N_("Declined, not submitted"),
    "withdrawn": N_("Taken back before it was submitted"),
}


def _state_words(state: str) -> str:
    """The words for a request's or task's state. The read model stores the workflow's vocabulary
    (the column is plain text to Piccolo); a state it does not know is shown as stored."""
    return STATE_LABELS.get(cast("RequestState | TaskState", state), state)


TIMELINE_LABELS: dict[TimelineKind, str] = {
    "submitted": N_("Request submitted"),
    "stage_opened": N_("Review started: {stage}"),
    "task_approved": N_("Approved by {department}"),
    "task_rejected": N_("Not approved by {department}"),
    "request_approved": N_("Request approved"),
    "request_rejected": N_("Request not approved"),
    "document_issued": N_("Document issued: {document}"),
    "document_corrected": N_("Document corrected: {document}"),
    "document_revoked": N_("Document revoked: {document}"),
    "stage_skipped": N_("Not needed for this request: {stage}"),
    "check_passed": N_("Automatic check passed: {stage}"),
    "check_failed": N_("Automatic check failed: {stage}"),
    "approved_by_rule": N_("Checked automatically and approved by rule"),
    "commitment_signed": N_("Commitment signed in place of the proofs"),
    "approved_on_commitment": N_("Approved on the applicant's commitment, without review; a post-check follows"),
    "commitment_kept": N_("Post-check done: the commitment was kept"),
    "commitment_broken": N_("Post-check found the commitment untrue"),
    "request_revoked": N_("Approval revoked"),
    "information_requested": N_("{department} asks for more information"),
    "information_supplied": N_("More information supplied"),
    "task_transferred": N_("Passed on by {department}"),
    "task_claimed": N_("Taken up by a clerk of {department}"),
    "task_released": N_("Put back in the inbox of {department}"),
    "task_assigned": N_("Assigned by the supervisor of {department}"),
    "task_reminder": N_("Reminder: the time limit of {stage} is near"),
    "task_escalated": N_("Time limit exceeded: {stage}; escalated"),
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
# Steps about one document, whose detail is the document's kind.
DOCUMENT_STEPS = ("document_issued", "document_corrected", "document_revoked")
PAID_DETAIL = N_("{amount}, payment reference {reference}")
DOCUMENT_TITLES = {
    "receipt": N_("Acceptance receipt"),
    "decision": N_("Decision notice"),
    "certificate": N_("Certificate of approval"),
    "information_request": N_("Notice to supply more information"),
    "payment_notice": N_("Subsidy payment notice"),
    "governance_report": N_("Governance report"),
}


class RuleResultRead(msgspec.Struct):
    """One eligibility rule's result, as filed."""

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
    # The check of a signed commitment after the approval, not a step towards the decision.
    post_check: bool = False


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
    # The date the applicant was told to answer by (None where the ask's time is not known).
    reply_by: dt.datetime | None = None


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
    # Credentials that stand in for proofs: as verified at filing, with their status now.
    credentials: list[CredentialUsed] = []
    # The date the decision is expected by: the service's time limit counted from filing, moved by
    # the working days the applicant was asked for more, as the departments' limits are (None once
    # closed, or while prepared). While ``decision_paused`` (waiting for the applicant), it stands
    # still and moves on by the working days the answer takes.
    decision_expected_by: dt.datetime | None = None
    decision_paused: bool = False
    # When it was filed: for a claim an enterprise's preparer prepared, when its approver submitted
    # it (None while it is only prepared, and for one that ended without being submitted).
    submitted_at: dt.datetime | None = None
    # A claim's request that ended without being submitted: "declined" or "withdrawn" (by its preparer).
    unsubmitted: str | None = None
    # The date was counted across a year whose holiday schedule is not published yet: it may move.
    decision_provisional: bool = False


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
    # As on the request's own page: when it was filed (a claim: when its approver submitted it; None
    # while only prepared, or ended without being submitted), and how such an unsubmitted one ended.
    submitted_at: dt.datetime | None = None
    unsubmitted: str | None = None


def stored_answers(spec: ServiceSpec | None, row: ServiceRequest | SimpleNamespace) -> dict[str, Any]:
    """A request's answers with personal values opened (they are sealed at rest)."""
    return open_answers(spec.personal_fields if spec else {}, load_json(row.answers))


def timeline_comment(entry: TimelineEntry | SimpleNamespace, locale: str) -> str:
    """What a timeline step says beyond its title: a clerk's comment, or why a check failed."""
    if entry.kind in (
        "task_approved",
        "task_rejected",
        "task_transferred",
        "information_requested",
        "commitment_broken",
    ):
        return timeline_text(entry.kind, entry.detail)
    if entry.kind == "payment_made":
        # Stored as "<amount> <payment reference>": the amount is shown as money in the reader's language.
        amount, _, reference = entry.detail.partition(" ")
        try:
            shown = format_money(Decimal(amount), locale)
        except InvalidOperation:
            return entry.detail
        return gettext(locale, PAID_DETAIL, amount=shown, reference=reference) if reference else shown
    if entry.kind in ("claim_refused", "payment_failed") and entry.detail in CLAIM_REASONS:
        return gettext(locale, CLAIM_REASONS[entry.detail])
    if entry.kind in ("check_failed", "eligibility_failed") and entry.detail:
        separator = "；" if locale == "zh_CN" else "; "
        return separator.join(gettext(locale, m) for m in load_json(entry.detail))
    return ""


# What a request's answers show (personal values masked) follows from its stored answers alone, so
# it is made once per stored version and kept for the requests read lately: opening each sealed
# value to mask it again was a tenth of reading a request. Only the masked form is kept.
SHOWN_ANSWERS_KEPT = 1024
_shown_answers: OrderedDict[tuple[str, int, str], dict[str, Any]] = OrderedDict()


def _answers_shown(
    spec: ServiceSpec | None, row: ServiceRequest | SimpleNamespace
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the answers as shown, personal values masked; the answers opened, or None when the form
    has no file fields and so nothing else needs them)."""
    if spec is not None and not spec_has_files(spec) and isinstance(row.answers, str):
        key = (spec.id, spec.version, row.answers)
        shown = _shown_answers.get(key)
        if shown is None:
            shown = _shown_answers[key] = masked_answers(spec, stored_answers(spec, row))
            if len(_shown_answers) > SHOWN_ANSWERS_KEPT:
                _shown_answers.popitem(last=False)
        else:
            _shown_answers.move_to_end(key)
        return shown, None
    answers = stored_answers(spec, row)
    return masked_answers(spec, answers), answers


def spec_has_files(spec: ServiceSpec) -> bool:
    """Whether a form asks for files anywhere (inside its groups too)."""
    return any(f.type == "file" or any(sub.type == "file" for sub in f.fields) for f in spec.fields)


async def request_read(
    row: ServiceRequest | SimpleNamespace, ctx: HubContext, locale: str, staff: bool = False
) -> RequestRead:
    """The request as its applicant sees it; ``staff`` adds the internal steps (claims, reminders...).
    ``row``: the request's row, or a plain record with its columns a detail shows
    (``hub.requests.access.READ_COLUMNS``) and, read with them, its ``parts``."""
    catalog = ctx.catalog
    spec = catalog.version(row.service_id, row.service_version)
    parts = getattr(row, "parts", None) or await read_parts(row.id)
    tasks, entries, documents = parts.tasks, parts.entries, parts.documents
    expected = await expected_decision(ctx, spec, row.state, row.created_at, entries)
    submitted_at = next((e.at for e in entries if e.kind == "submitted"), None)
    # Only a withdrawn claim's request can have ended without being submitted (a rare state: asked then).
    unsubmitted = (
        await unsubmitted_end(row.id, row.ref, row.applicant) if row.state == "withdrawn" and not submitted_at else None
    )
    stage_titles = {s.id: s.title for s in spec.route} if spec else {}
    stage_titles[POST_CHECK_STAGE] = POST_CHECK_TITLE
    rule_results, check_results = load_json(row.rule_results), load_json(row.check_results or "[]")
    # A claim's results are its program's conditions, which say themselves in both languages.
    program = await claimed_program(row.id) if names_no_service_rule(spec, [*rule_results, *check_results]) else None
    if not staff:
        entries = [e for e in entries if e.kind in PUBLIC_STEPS]
    waiting = [t for t in tasks if t.state == "waiting_applicant"]
    labels = {f.name: gettext(locale, f.label) for f in spec.fields} if spec and waiting else {}
    shown, answers = _answers_shown(spec, row)

    def timeline_title(e: SimpleNamespace) -> str:
        dept = department(catalog, e.department, locale).name if e.department else ""
        stage = gettext(locale, stage_titles.get(e.stage_id, e.stage_id)) if e.stage_id else ""
        document = gettext(locale, DOCUMENT_TITLES.get(e.detail, e.detail)) if e.kind in DOCUMENT_STEPS else ""
        if unsubmitted and e.kind == "request_withdrawn":
            return gettext(locale, UNSUBMITTED_LABELS[unsubmitted])
        return gettext(
            locale,
            TIMELINE_LABELS.get(cast(TimelineKind, e.kind), e.kind),
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
        state_label=gettext(
            locale,
            UNSUBMITTED_LABELS[unsubmitted]
            if unsubmitted
            else POST_CHECK_PENDING
            if row.state == "approved"
            and any(t.stage_id == POST_CHECK_STAGE and t.state in ACTIVE_TASK_STATES for t in tasks)
            else _state_words(row.state),
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        answers=shown,
        attachments=await attachments(spec, answers, locale) if answers is not None else [],
        credentials=await credentials_used(spec, answers, catalog, locale),
        rules=[
            RuleResultRead(rule=c.rule, passed=c.passed, message=c.message)
            for c in conditions_read(spec, program, rule_results, [], locale, every=True)
        ],
        checks=[
            # A claim's own checks (its program's conditions, ``subsidies.records``) belong to no stage.
            CheckResultRead(stage_id=c.stage_id, rule=c.rule, passed=c.passed, message=c.message)
            for c in conditions_read(spec, program, [], check_results, locale, every=True)
        ],
        amount=row.amount,
        overdue=row.overdue,
        needs_from_applicant=[
            InformationNeeded(
                department=department(catalog, t.department, locale),
                message=opened_text(t.request_message, MESSAGE_FIELD),
                fields=[FieldLabel(name=f, label=labels.get(f, f)) for f in load_json(t.requested_fields or "[]")],
                reply_by=reply_deadline(t.paused_at, ctx.settings) if getattr(t, "paused_at", None) else None,
            )
            for t in waiting
        ],
        tasks=[
            TaskSummary(
                stage_id=t.stage_id,
                stage_title=gettext(locale, stage_titles.get(t.stage_id, t.stage_title)),
                department=department(catalog, t.department, locale),
                state=t.state,
                state_label=gettext(locale, _state_words(t.state)),
                due_at=t.due_at,
                decided_at=t.decided_at,
                provisional=bool(t.provisional),
                post_check=t.stage_id == POST_CHECK_STAGE,
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
            # Listed once it is issued: when its PDF is stored, or at once if the PDF is made on
            # download (``Document.is_issued``).
            if d.sha256 or d.content
        ],
        decision_expected_by=expected.by if expected else None,
        decision_paused=expected.paused if expected else False,
        decision_provisional=expected.provisional if expected else False,
        submitted_at=submitted_at,
        unsubmitted=unsubmitted,
    )


async def my_requests(ctx: HubContext, user: Principal, locale: str) -> list[RequestListItem]:
    """The applicant's requests (for enterprise accounts: the enterprise's), newest first, each in
    the words and with the filing date its own page gives."""
    rows = (
        await ServiceRequest.objects()
        .where(ServiceRequest.applicant.is_in(await enterprise_account_ids(user)))
        .order_by(ServiceRequest.created_at, ascending=False)
        .limit(200)
    )
    submitted: dict[int, dt.datetime] = {}
    if rows:
        steps = await TimelineEntry.select(TimelineEntry.request, TimelineEntry.at).where(
            TimelineEntry.request.is_in([row.id for row in rows]) & (TimelineEntry.kind == "submitted")
        )
        for step in steps:
            submitted.setdefault(step["request"], step["at"])
    items = []
    for row in rows:
        spec = ctx.catalog.version(row.service_id, row.service_version)
        submitted_at = submitted.get(row.id)
        # As on its page: only a withdrawn claim's request can have ended without being submitted.
        unsubmitted = (
            await unsubmitted_end(row.id, row.ref, row.applicant)
            if row.state == "withdrawn" and submitted_at is None
            else None
        )
        label = UNSUBMITTED_LABELS[unsubmitted] if unsubmitted else _state_words(row.state)
        items.append(
            RequestListItem(
                ref=row.ref,
                service_id=row.service_id,
                service_title=gettext(locale, spec.title) if spec else row.service_id,
                state=row.state,
                state_label=gettext(locale, label),
                created_at=row.created_at,
                updated_at=row.updated_at,
                submitted_at=submitted_at,
                unsubmitted=unsubmitted,
            )
        )
    return items
