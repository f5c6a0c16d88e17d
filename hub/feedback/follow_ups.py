"""The closed loop of a bad rating (好差评): a rating of 1 or 2 opens a follow-up in the service's
department; a clerk contacts the applicant (recorded), then records the cause, the fix and the
answer; the applicant reads it and may rate the follow-up. The department may appeal a rating it
finds unfair; a supervisor decides, and an upheld appeal leaves the rating out of every figure."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from forms.validation import FieldError, plain_text
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.records import sealed_text
from hub.db.tables import CaseContact, FeedbackCase, Rating, ServiceRequest, StageRating
from hub.db.transactions import writing
from hub.errors import HubError, forbidden, invalid_field, invalid_form, not_found
from hub.feedback.cases import (
    case_for_department,
    decides_appeals,
    has_supervisor,
    interested_in_appeal,
    is_author,
    load_case,
    may_read,
    new_ref,
    oversight_decides,
    plan_due,
    require_state,
    start_clock,
    tell_answered,
)
from hub.i18n import N_

if TYPE_CHECKING:
    from hub.context import HubContext

BAD_SCORES = (1, 2)
MAX_TEXT = 2000
CONTACT_CHANNELS = ("phone", "sms", "email", "visit", "in_person")
FollowUpOutcome = Literal["resolved", "explained"]
OUTCOMES: tuple[str, ...] = ("resolved", "explained")
FIELD = "feedback_case.text"
CONTACT_FIELD = "case_contact.summary"


def _text(field: str, value: str, required: bool = True) -> tuple[str, FieldError | None]:
    text = plain_text(value or "")
    if required and not text:
        return text, FieldError(field=field, code="required")
    if len(text) > MAX_TEXT:
        return text, FieldError(field=field, code="string_too_long", context={"max_length": MAX_TEXT})
    return text, None


async def open_follow_up(
    ctx: HubContext,
    rating_id: int | None,
    request: ServiceRequest,
    score: int,
    *,
    stage_rating_id: int | None = None,
    department: str = "",
) -> tuple[str, dt.datetime] | None:
    """Inside the rating's transaction: a rating of 1 or 2 opens the follow-up in the department that
    owns the service (or, for a step, the step's department), due in the service's (or the hub's)
    working days. Returns (ref, due) to start its clock once the transaction is committed."""
    if score not in BAD_SCORES:
        return None
    spec = ctx.catalog.version(request.service_id, request.service_version)
    department = department or (spec.owner if spec else "")
    days = (spec.follow_up_days if spec else None) or ctx.settings.follow_up_working_days
    at = now()
    due_at, provisional = await plan_due(ctx, at, days)
    ref = new_ref("follow_up", at)
    await FeedbackCase.insert(
        FeedbackCase(
            ref=ref,
            kind="follow_up",
            department=department,
            opened_at=at,
            working_days=days,
            due_at=due_at,
            provisional=provisional,
            rating=rating_id,
            stage_rating=stage_rating_id,
            request=request.id,
            account=request.applicant,
            service_id=request.service_id,
            subject="service",
        )
    )
    await record(None, None, "case.opened", "case", ref, request=request.ref, kind="follow_up", score=score)
    return ref, due_at


async def started(ctx: HubContext, opened: tuple[str, dt.datetime] | None) -> None:
    """After the rating's transaction: start the follow-up's clock."""
    if opened is not None:
        await start_clock(ctx.temporal, *opened)


async def record_contact(actor: Actor, ref: str, contacted_at: dt.datetime | None, channel: str, summary: str) -> None:
    """A clerk of the department records a contact with the applicant: when, how, what was said."""
    case = await case_for_department(actor.user, ref)
    if case["kind"] != "follow_up":
        raise not_found()
    require_state(case, "open")
    errors = []
    if channel not in CONTACT_CHANNELS:
        errors.append(FieldError(field="channel", code="invalid_choice"))
    if contacted_at is None:
        errors.append(FieldError(field="contacted_at", code="required"))
    elif (
        contacted_at.tzinfo is None
        or contacted_at > now() + dt.timedelta(minutes=5)
        or contacted_at < case["opened_at"] - dt.timedelta(days=1)
    ):
        errors.append(FieldError(field="contacted_at", code="contact_time"))
    text, error = _text("summary", summary)
    if error:
        errors.append(error)
    if errors:
        raise invalid_form(errors)
    assert actor.user is not None and contacted_at is not None
    async with writing():
        await CaseContact.insert(
            CaseContact(
                case=case["id"],
                clerk=actor.user.id,
                contacted_at=contacted_at,
                channel=channel,
                summary=sealed_text(text, CONTACT_FIELD),
                recorded_at=now(),
            )
        )
        await record(actor, actor.user, "case.contacted", "case", ref, channel=channel)


async def answer_follow_up(
    ctx: HubContext, actor: Actor, ref: str, outcome: str, cause: str, fix: str, answer: str
) -> None:
    """Close the follow-up with its cause, fix and answer; only after the applicant was contacted."""
    case = await case_for_department(actor.user, ref)
    if case["kind"] != "follow_up":
        raise not_found()
    require_state(case, "open")
    errors = []
    if outcome not in OUTCOMES:
        errors.append(FieldError(field="outcome", code="invalid_choice"))
    texts = {}
    for field, value in (("cause", cause), ("fix", fix), ("answer", answer)):
        texts[field], error = _text(field, value)
        if error:
            errors.append(error)
    if errors:
        raise invalid_form(errors)
    assert actor.user is not None
    async with writing():
        contacted = await CaseContact.count().where(CaseContact.case == case["id"])
        if not contacted:
            raise HubError(
                "invalid",
                "contact-required",
                N_("Contact the applicant first"),
                N_("Record when and how you contacted the applicant, and what was said, before answering."),
                errors=[FieldError(field="contact", code="contact_required")],
            )
        changed = (
            await FeedbackCase.update(
                {
                    FeedbackCase.state: "answered",
                    FeedbackCase.outcome: outcome,
                    FeedbackCase.cause: sealed_text(texts["cause"], FIELD),
                    FeedbackCase.fix: sealed_text(texts["fix"], FIELD),
                    FeedbackCase.answer: sealed_text(texts["answer"], FIELD),
                    FeedbackCase.answered_at: now(),
                    FeedbackCase.answered_by: actor.user.id,
                }
            )
            .where((FeedbackCase.id == case["id"]) & (FeedbackCase.state == "open"))
            .returning(FeedbackCase.id)
        )
        if not changed:
            require_state({"state": "answered"}, "open")
        await record(actor, actor.user, "case.answered", "case", ref, outcome=outcome)
    await tell_answered(ctx.temporal, ref, case["account"])


async def rate_follow_up(actor: Actor, ref: str, score: int) -> None:
    """The applicant rates how their bad rating was followed up (1 to 5), once; the case closes."""
    case = await load_case(ref)
    if not is_author(actor.user, case):
        raise not_found()
    require_state(case, "answered")
    if not 1 <= score <= 5:
        raise invalid_field("score", "rating_range")
    async with writing():
        changed = (
            await FeedbackCase.update({FeedbackCase.answer_score: score, FeedbackCase.state: "closed"})
            .where((FeedbackCase.id == case["id"]) & (FeedbackCase.state == "answered"))
            .returning(FeedbackCase.id)
        )
        if not changed:
            require_state({"state": "closed"}, "answered")
        await record(actor, actor.user, "case.rated", "case", ref, score=score)


async def appeal(actor: Actor, ref: str, reason: str) -> None:
    """Appeal to the supervisor (to the oversight office where the department has none who may
    decide it): the department against a rating it finds unfair (a follow-up), or the author
    against the answer to their grievance."""
    case = await load_case(ref)
    if case["kind"] == "follow_up":
        case = await case_for_department(actor.user, ref)
        if actor.role != "clerk" and actor.role != "supervisor":
            raise forbidden()
    elif not is_author(actor.user, case):
        raise not_found()
    else:
        require_state(case, "answered")
    if case["appeal_state"]:
        raise HubError(
            "conflict", "already-appealed", N_("Already appealed"), N_("This case has been appealed already.")
        )
    text, error = _text("reason", reason)
    if error:
        raise invalid_form([error])
    assert actor.user is not None
    # The oversight office decides an appeal where the department has no supervisor who may: none
    # at all, or only the one appealing or the one whose answer to a grievance is appealed.
    interested = (actor.user.id, case["answered_by"] if case["kind"] == "grievance" else None)
    to_oversight = not case["oversight"] and not await has_supervisor(case["department"], besides=interested)
    async with writing():
        changed = (
            await FeedbackCase.update(
                {
                    FeedbackCase.appeal_state: "pending",
                    FeedbackCase.appeal_oversight: to_oversight,
                    FeedbackCase.appeal_reason: sealed_text(text, FIELD),
                    FeedbackCase.appealed_at: now(),
                    FeedbackCase.appealed_by: actor.user.id,
                }
            )
            .where((FeedbackCase.id == case["id"]) & (FeedbackCase.appeal_state == ""))
            .returning(FeedbackCase.id)
        )
        if not changed:
            raise HubError(
                "conflict", "already-appealed", N_("Already appealed"), N_("This case has been appealed already.")
            )
        await record(actor, actor.user, "case.appealed", "case", ref, reason=text)


async def decide_appeal(actor: Actor, ref: str, upheld: bool, note: str) -> None:
    """A supervisor of the department (an auditor, for the oversight office's cases and where the
    department had no supervisor) decides an appeal, with a reason. Upheld against a rating, the
    rating is left out of every figure from then on."""
    case = await load_case(ref)
    if not may_read(actor.user, case):
        raise not_found()
    if not decides_appeals(actor.user, case):
        raise forbidden(
            N_("Only the oversight office decides this appeal.")
            if oversight_decides(case)
            else N_("Only a supervisor of the department decides an appeal.")
        )
    assert actor.user is not None
    # Nobody decides their own appeal, nor, for a grievance, an appeal against their own answer.
    if interested_in_appeal(actor.user, case):
        raise forbidden(
            N_("Another member of the oversight office decides this appeal: you gave the answer it is about.")
            if oversight_decides(case)
            else N_(
                "Another supervisor of the department decides this appeal: you made it, or gave the answer it is about."
            ),
            code="own-appeal",
        )
    if case["appeal_state"] != "pending":
        raise HubError(
            "conflict", "no-appeal", N_("Not possible now"), N_("There is no appeal waiting for a decision.")
        )
    text, error = _text("note", note)
    if error:
        raise invalid_form([error])
    assert actor.user is not None
    request_ref = None
    if case["request"] is not None:
        found = await ServiceRequest.select(ServiceRequest.ref).where(ServiceRequest.id == case["request"]).first()
        request_ref = found["ref"] if found else None
    async with writing():
        changed = (
            await FeedbackCase.update(
                {
                    FeedbackCase.appeal_state: "upheld" if upheld else "dismissed",
                    FeedbackCase.appeal_note: sealed_text(text, FIELD),
                    FeedbackCase.appeal_decided_at: now(),
                    FeedbackCase.appeal_decided_by: actor.user.id,
                }
            )
            .where((FeedbackCase.id == case["id"]) & (FeedbackCase.appeal_state == "pending"))
            .returning(FeedbackCase.id)
        )
        if not changed:
            raise HubError(
                "conflict", "no-appeal", N_("Not possible now"), N_("There is no appeal waiting for a decision.")
            )
        await record(
            actor, actor.user, "case.appeal_decided", "case", ref, upheld=upheld, reason=text, request=request_ref
        )
        if upheld and case["kind"] == "follow_up":
            if case["rating"] is not None:
                await Rating.update({Rating.excluded: True}).where(Rating.id == case["rating"])
            if case["stage_rating"] is not None:
                await StageRating.update({StageRating.excluded: True}).where(StageRating.id == case["stage_rating"])
            await record(actor, actor.user, "rating.excluded", "request", request_ref or "", case=ref)
