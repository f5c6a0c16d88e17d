"""Grievances: a citizen or enterprise complains about a service, a clerk or a payment (by name, or
anonymously: then nobody follows it up with them by name). The grievance goes to the department
concerned with a time limit in working days, is answered with a reason, and its author may appeal the
answer to the department's supervisor. A grievance about a named clerk is the supervisors' alone;
one about a supervisor, or about a clerk of a department without one, goes to the oversight office
(the auditors), who answer it and decide its appeal. The author's words are sealed at rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from forms.validation import FieldError, plain_text
from hub.accounts import NAME_FIELD
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.records import sealed_text
from hub.db.tables import Account, FeedbackCase
from hub.db.transactions import writing
from hub.errors import forbidden, invalid_form, not_found
from hub.feedback.cases import (
    case_for_department,
    goes_to_oversight,
    new_ref,
    plan_due,
    require_state,
    start_clock,
    tell_answered,
)
from hub.feedback.follow_ups import FIELD, MAX_TEXT, answer_follow_up
from hub.sealing import unseal

if TYPE_CHECKING:
    from hub.context import HubContext

GrievanceSubject = Literal["service", "clerk", "payment"]
SUBJECTS: tuple[str, ...] = ("service", "clerk", "payment")
GrievanceOutcome = Literal["upheld", "partly_upheld", "not_upheld"]
GRIEVANCE_OUTCOMES: tuple[str, ...] = ("upheld", "partly_upheld", "not_upheld")
FILERS = ("citizen", "enterprise")


async def staff_named(named: str) -> list[dict]:
    """The clerks and supervisors a citizen means by ``named``: their sign-in name, or their full
    name as shown to them (sealed at rest, so it is compared opened; staff are few). Two of one
    name are both returned: the citizen is then asked for the sign-in name."""
    staff = await Account.select(
        Account.id, Account.role, Account.department, Account.username, Account.full_name
    ).where(Account.role.is_in(["clerk", "supervisor"]) & Account.department.is_not_null())
    by_username = [s for s in staff if s["username"] == named]
    if by_username:
        return by_username
    return [s for s in staff if unseal(s["full_name"], NAME_FIELD) == named]


async def file_grievance(
    ctx: HubContext,
    actor: Actor,
    subject: str,
    text: str,
    service_id: str = "",
    clerk: str = "",
    anonymous: bool = False,
) -> str:
    """File a grievance; returns its reference. It goes to the department that owns the service (a
    service or a payment) or the clerk's department (a clerk: then only supervisors see it, or the
    oversight office: ``goes_to_oversight``)."""
    if actor.user is None or actor.role not in FILERS:
        raise forbidden()
    errors: list[FieldError] = []
    if subject not in SUBJECTS:
        errors.append(FieldError(field="subject", code="invalid_choice"))
    words = plain_text(text or "")
    if not words:
        errors.append(FieldError(field="text", code="required"))
    elif len(words) > MAX_TEXT:
        errors.append(FieldError(field="text", code="string_too_long", context={"max_length": MAX_TEXT}))
    department, clerk_id, oversight = "", None, False
    if subject in ("service", "payment"):
        spec = ctx.catalog.latest(service_id) if service_id else None
        if spec is None:
            errors.append(FieldError(field="service_id", code="required" if not service_id else "invalid_choice"))
        else:
            department = spec.owner
    elif subject == "clerk":
        named = plain_text(clerk or "")
        found = await staff_named(named) if named else []
        if not named:
            errors.append(FieldError(field="clerk", code="required"))
        elif len(found) > 1:
            errors.append(FieldError(field="clerk", code="clerk_ambiguous"))
        elif not found:
            errors.append(FieldError(field="clerk", code="clerk_unknown"))
        else:
            department, clerk_id = found[0]["department"], found[0]["id"]
            oversight = await goes_to_oversight(found[0])
    if errors:
        raise invalid_form(errors)
    at = now()
    days = ctx.settings.grievance_working_days
    due_at, provisional = await plan_due(ctx, at, days)
    ref = new_ref("grievance", at)
    async with writing():
        await FeedbackCase.insert(
            FeedbackCase(
                ref=ref,
                kind="grievance",
                department=department,
                opened_at=at,
                working_days=days,
                due_at=due_at,
                provisional=provisional,
                # Anonymous: who filed it is kept nowhere, not even in the audit log.
                account=None if anonymous else actor.user.id,
                subject=subject,
                service_id=service_id if subject != "clerk" else "",
                clerk=clerk_id,
                sensitive=clerk_id is not None,
                oversight=oversight,
                text=sealed_text(words, FIELD),
            )
        )
        if anonymous:
            await record(None, None, "grievance.filed", "case", ref, subject=subject, anonymous=True)
        else:
            await record(actor, actor.user, "grievance.filed", "case", ref, subject=subject)
    await start_clock(ctx.temporal, ref, due_at)
    return ref


async def answer_grievance(ctx: HubContext, actor: Actor, ref: str, outcome: str, answer: str) -> None:
    """The department answers the grievance with its outcome and the reason for it."""
    case = await case_for_department(actor.user, ref)
    if case["kind"] != "grievance":
        raise not_found()
    require_state(case, "open")
    errors = []
    if outcome not in GRIEVANCE_OUTCOMES:
        errors.append(FieldError(field="outcome", code="invalid_choice"))
    words = plain_text(answer or "")
    if not words:
        errors.append(FieldError(field="answer", code="required"))
    elif len(words) > MAX_TEXT:
        errors.append(FieldError(field="answer", code="string_too_long", context={"max_length": MAX_TEXT}))
    if errors:
        raise invalid_form(errors)
    assert actor.user is not None
    async with writing():
        changed = (
            await FeedbackCase.update(
                {
                    FeedbackCase.state: "answered",
                    FeedbackCase.outcome: outcome,
                    FeedbackCase.answer: sealed_text(words, FIELD),
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


async def answer_case(
    ctx: HubContext, actor: Actor, ref: str, outcome: str, answer: str, cause: str = "", fix: str = ""
) -> None:
    """Answer a follow-up (with its cause and fix) or a grievance, whichever the case is."""
    case = await case_for_department(actor.user, ref)
    if case["kind"] == "follow_up":
        await answer_follow_up(ctx, actor, ref, outcome, cause, fix, answer)
    else:
        await answer_grievance(ctx, actor, ref, outcome, answer)
