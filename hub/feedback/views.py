"""Cases as people read them: the department's list (its inbox of follow-ups and grievances), one
case for its department or its author, and the author's own cases."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from hub.accounts import NAME_FIELD
from hub.actor import Actor
from hub.audit import record
from hub.catalog.presenting import department
from hub.clock import now
from hub.db.records import RATING_FIELD, opened_text
from hub.db.tables import Account, CaseContact, FeedbackCase, Rating, ServiceRequest, StageRating
from hub.errors import forbidden, not_found
from hub.feedback.cases import (
    OVERSIGHT_OPEN,
    OVERSIGHT_ROLE,
    SLA_LABELS,
    STATE_LABELS,
    account_names,
    decides_appeals,
    in_department,
    interested_in_appeal,
    is_author,
    load_case,
    may_read,
    sla_state,
)
from hub.feedback.follow_ups import CONTACT_FIELD, FIELD
from hub.i18n import N_, gettext
from hub.sealing import unseal

if TYPE_CHECKING:
    from hub.context import HubContext

KIND_LABELS = {"follow_up": N_("Follow-up of a low rating"), "grievance": N_("Grievance")}
SUBJECT_LABELS = {"service": N_("A service"), "clerk": N_("A clerk"), "payment": N_("A payment")}
OUTCOME_LABELS = {
    "resolved": N_("Resolved"),
    "explained": N_("Explained"),
    "upheld": N_("Upheld"),
    "partly_upheld": N_("Partly upheld"),
    "not_upheld": N_("Not upheld"),
}
CHANNEL_LABELS = {
    "phone": N_("Phone"),
    "sms": N_("SMS"),
    "email": N_("Email"),
    "visit": N_("Home visit"),
    "in_person": N_("In person"),
}
APPEAL_LABELS = {
    "pending": N_("Appeal waiting for a decision"),
    "upheld": N_("Appeal upheld"),
    "dismissed": N_("Appeal dismissed"),
}


class ContactRead(msgspec.Struct):
    contacted_at: dt.datetime
    channel: str
    channel_label: str
    # What was said: the department's record, not shown to the applicant.
    summary: str
    clerk: str


class CaseListItem(msgspec.Struct):
    ref: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    sla: str
    sla_label: str
    opened_at: dt.datetime
    due_at: dt.datetime
    escalated: bool
    escalated_at: dt.datetime | None
    subject: str
    subject_label: str
    service_title: str
    request_ref: str
    sensitive: bool
    anonymous: bool
    appeal_state: str
    # Handled by the oversight office (the auditors) rather than the department.
    oversight: bool
    # Its appeal is decided by the oversight office (the department had no supervisor).
    appeal_oversight: bool


class CaseRead(CaseListItem):
    department: str
    department_name: str
    provisional: bool
    working_days: int
    text: str
    outcome: str
    outcome_label: str
    cause: str
    fix: str
    answer: str
    answered_at: dt.datetime | None
    answer_score: int | None
    appeal_label: str
    appeal_reason: str
    appeal_note: str
    contacts: list[ContactRead]
    # For staff: who a grievance names ("王芳 (street.clerk)"); for staff and its author: the rating a
    # follow-up follows up.
    named: str = ""
    rating_score: int | None = None
    rating_comment: str = ""
    # What the reader may do with it now.
    can_contact: bool = False
    can_answer: bool = False
    can_appeal: bool = False
    can_decide_appeal: bool = False
    can_rate: bool = False


async def _refs(cases: list[dict]) -> dict[int, str]:
    ids = [c["request"] for c in cases if c["request"] is not None]
    if not ids:
        return {}
    rows = await ServiceRequest.select(ServiceRequest.id, ServiceRequest.ref).where(ServiceRequest.id.is_in(ids))
    return {r["id"]: r["ref"] for r in rows}


def _item(ctx: HubContext, case: dict, locale: str, refs: dict[int, str], at: dt.datetime) -> dict:
    spec = ctx.catalog.latest(case["service_id"]) if case["service_id"] else None
    sla = sla_state(case, at, ctx.settings.reminder_fraction)
    return dict(
        ref=case["ref"],
        kind=case["kind"],
        kind_label=gettext(locale, KIND_LABELS[case["kind"]]),
        state=case["state"],
        state_label=gettext(
            locale,
            OVERSIGHT_OPEN
            if case["oversight"] and case["state"] == "open"
            else STATE_LABELS.get(case["state"], case["state"]),
        ),
        sla=sla,
        sla_label=gettext(locale, SLA_LABELS[sla]),
        opened_at=case["opened_at"],
        due_at=case["due_at"],
        escalated=case["escalated_at"] is not None,
        escalated_at=case["escalated_at"],
        subject=case["subject"],
        subject_label=gettext(locale, SUBJECT_LABELS.get(case["subject"], case["subject"])) if case["subject"] else "",
        service_title=gettext(locale, spec.title) if spec else "",
        request_ref=refs.get(case["request"], "") if case["request"] is not None else "",
        sensitive=case["sensitive"],
        anonymous=case["kind"] == "grievance" and case["account"] is None,
        appeal_state=case["appeal_state"],
        oversight=case["oversight"],
        appeal_oversight=case["appeal_oversight"],
    )


async def department_cases(ctx: HubContext, actor: Actor, locale: str, kind: str = "") -> list[CaseListItem]:
    """The cases the caller handles, escalated first, then by time limit: their department's (a
    grievance about a named clerk listed to the supervisors only), or for an auditor the oversight
    office's."""
    user = actor.user
    if user is not None and user.role == OVERSIGHT_ROLE:
        # Its cases, and the appeals of departments without a supervisor.
        query = FeedbackCase.select().where(
            (FeedbackCase.oversight == True) | (FeedbackCase.appeal_oversight == True)  # noqa: E712
        )
    elif user is None or user.role not in ("clerk", "supervisor") or not user.department:
        raise forbidden()
    else:
        query = FeedbackCase.select().where(
            (FeedbackCase.department == user.department) & (FeedbackCase.oversight == False)  # noqa: E712
        )
        if user.role != "supervisor":
            query = query.where(FeedbackCase.sensitive == False)  # noqa: E712 - a column compared, not a bool
    # Nobody is shown a grievance about themselves.
    query = query.where(FeedbackCase.clerk.is_null() | (FeedbackCase.clerk != user.id))
    if kind in ("follow_up", "grievance"):
        query = query.where(FeedbackCase.kind == kind)
    rows = await query.order_by(FeedbackCase.due_at).limit(500)
    refs = await _refs(rows)
    at = now()
    items = [CaseListItem(**_item(ctx, r, locale, refs, at)) for r in rows]
    order = {"open": 0, "answered": 1, "closed": 2}
    items.sort(key=lambda i: (order.get(i.state, 3), not i.escalated, i.appeal_state != "pending", i.due_at))
    return items


async def my_cases(ctx: HubContext, actor: Actor, locale: str) -> list[CaseListItem]:
    """The follow-ups of one's own ratings and the grievances one filed by name."""
    if actor.user is None:
        raise forbidden()
    rows = (
        await FeedbackCase.select()
        .where(FeedbackCase.account == actor.user.id)
        .order_by(FeedbackCase.id, ascending=False)
        .limit(200)
    )
    refs = await _refs(rows)
    at = now()
    return [CaseListItem(**_item(ctx, r, locale, refs, at)) for r in rows]


async def _named(case: dict) -> str:
    """The member of staff a grievance names, as those handling it need to know them."""
    if case["clerk"] is None:
        return ""
    row = await Account.select(Account.username, Account.full_name).where(Account.id == case["clerk"]).first()
    if row is None:
        return ""
    name = unseal(row["full_name"], NAME_FIELD) or ""
    return f"{name} ({row['username']})" if name else row["username"]


async def _rating(case: dict) -> tuple[int | None, str]:
    """The score and the applicant's words of the rating a follow-up follows up."""
    if case["rating"] is not None:
        row = await Rating.select(Rating.score, Rating.comment).where(Rating.id == case["rating"]).first()
    elif case["stage_rating"] is not None:
        row = (
            await StageRating.select(StageRating.score, StageRating.comment)
            .where(StageRating.id == case["stage_rating"])
            .first()
        )
    else:
        return None, ""
    return (row["score"], opened_text(row["comment"], RATING_FIELD)) if row else (None, "")


async def case_read(ctx: HubContext, actor: Actor, ref: str, locale: str) -> CaseRead:
    """One case, for a member of its department who may see it or for its author; a member's look
    is recorded in the audit log."""
    case = await load_case(ref)
    user = actor.user
    staff = may_read(user, case)  # who handles it, or decides its appeal
    handles = in_department(user, case)
    author = is_author(user, case)
    if not staff and not author:
        raise not_found()
    if staff:
        await record(actor, user, "case.viewed", "case", ref)
    refs = await _refs([case])
    contacts = await CaseContact.select().where(CaseContact.case == case["id"]).order_by(CaseContact.contacted_at)
    names = await account_names([c["clerk"] for c in contacts]) if staff else {}
    answered = case["state"] in ("answered", "closed")
    is_follow_up = case["kind"] == "follow_up"
    # The rating followed up, to whoever reads the case: staff in full (as they read its text), its
    # author their own score and words; nobody else reaches this line.
    rating_score, rating_comment = await _rating(case) if (staff or author) and is_follow_up else (None, "")
    return CaseRead(
        **_item(ctx, case, locale, refs, now()),
        department=case["department"],
        department_name=department(ctx.catalog, case["department"], locale).name,
        provisional=case["provisional"],
        working_days=case["working_days"],
        text=opened_text(case["text"], FIELD),
        outcome=case["outcome"],
        outcome_label=gettext(locale, OUTCOME_LABELS[case["outcome"]]) if case["outcome"] else "",
        cause=opened_text(case["cause"], FIELD) if answered else "",
        fix=opened_text(case["fix"], FIELD) if answered else "",
        answer=opened_text(case["answer"], FIELD) if answered else "",
        answered_at=case["answered_at"],
        answer_score=case["answer_score"],
        appeal_label=gettext(locale, APPEAL_LABELS[case["appeal_state"]]) if case["appeal_state"] else "",
        appeal_reason=opened_text(case["appeal_reason"], FIELD),
        appeal_note=opened_text(case["appeal_note"], FIELD),
        contacts=[
            ContactRead(
                contacted_at=c["contacted_at"],
                channel=c["channel"],
                channel_label=gettext(locale, CHANNEL_LABELS.get(c["channel"], c["channel"])),
                summary=opened_text(c["summary"], CONTACT_FIELD) if staff else "",
                clerk=names.get(c["clerk"], "") if staff else "",
            )
            for c in contacts
        ],
        named=await _named(case) if staff else "",
        rating_score=rating_score,
        rating_comment=rating_comment,
        can_contact=handles and is_follow_up and case["state"] == "open",
        can_answer=handles and case["state"] == "open",
        can_appeal=(handles and is_follow_up and not case["appeal_state"])
        or (author and not is_follow_up and case["state"] == "answered" and not case["appeal_state"]),
        can_decide_appeal=decides_appeals(user, case)
        and not interested_in_appeal(user, case)
        and case["appeal_state"] == "pending",
        can_rate=author and case["state"] == "answered" and case["answer_score"] is None and not staff,
    )
