"""Follow-ups of bad ratings and grievances over HTTP. The rules live in ``hub.feedback``; this
module parses and presents."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Request

from hub.clock import BEIJING
from hub.errors import forbidden, invalid_field
from hub.feedback import (
    OVERSIGHT_ROLE,
    CaseListItem,
    CaseRead,
    FollowUpFigures,
    GrievanceFigures,
    answer_case,
    appeal,
    case_read,
    decide_appeal,
    department_cases,
    file_grievance,
    follow_up_figures,
    grievance_figures,
    my_cases,
    rate_follow_up,
    record_contact,
)
from hub.requests.rating import StageRatingRead, rate_stage
from hub.service_levels import period
from hub.web.actors import actor_of
from hub.web.context import context_of
from hub.web.problems import request_locale
from hub.web.routes import get, post
from hub.web.security import APPLICANT_ROLES, STAFF_ROLES, requires_role

# Who answers cases: a department's staff, and the oversight office for the cases it handles.
CASE_HANDLERS = (*STAFF_ROLES, OVERSIGHT_ROLE)

PEOPLE = (*APPLICANT_ROLES, *STAFF_ROLES, "auditor", "admin")


class GrievanceCreate(msgspec.Struct):
    subject: str
    text: str
    service_id: str = ""
    # The clerk's sign-in name or full name, for a grievance about a clerk.
    clerk: str = ""
    anonymous: bool = False


class CaseCreated(msgspec.Struct):
    ref: str


class ContactCreate(msgspec.Struct):
    contacted_at: dt.datetime | None
    channel: str
    summary: str


class AnswerCreate(msgspec.Struct):
    outcome: str
    answer: str
    # A follow-up: what caused the low rating, and what was done about it.
    cause: str = ""
    fix: str = ""


class AppealCreate(msgspec.Struct):
    reason: str = ""


class AppealDecision(msgspec.Struct):
    upheld: bool
    note: str = ""


class StageRatingCreate(msgspec.Struct):
    # filing | step (then ``step``: the step's stage id as the request lists its tasks, and the
    # department's code when several departments share that stage)
    stage: str
    score: int
    comment: str = ""
    step: str = ""
    department: str = ""


class ScoreCreate(msgspec.Struct):
    score: int


class FeedbackFigures(msgspec.Struct):
    year: int
    month: int | None
    follow_ups: list[FollowUpFigures]
    grievances: list[GrievanceFigures]


class FeedbackController(Controller):
    path = "/api"
    tags = ["feedback"]

    @post(
        "/grievances",
        status_code=201,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="File a grievance about a service, a clerk or a payment (optionally anonymous)",
    )
    async def file(self, request: Request, data: GrievanceCreate) -> CaseCreated:
        ref = await file_grievance(
            context_of(request), actor_of(request), data.subject, data.text, data.service_id, data.clerk, data.anonymous
        )
        return CaseCreated(ref=ref)

    @post(
        "/requests/{ref:str}/stage-ratings",
        status_code=201,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Rate a finished stage of your request (the filing or a department's step), once each",
    )
    async def rate_stage(self, request: Request, ref: str, data: StageRatingCreate) -> StageRatingRead:
        return await rate_stage(
            context_of(request),
            actor_of(request),
            ref,
            data.stage,
            data.score,
            data.comment,
            data.step,
            data.department,
        )

    @get("/cases/mine", guards=[requires_role(*PEOPLE)], summary="Follow-ups of my ratings and my grievances")
    async def mine(self, request: Request) -> list[CaseListItem]:
        return await my_cases(context_of(request), actor_of(request), request_locale(request))

    @get(
        "/cases",
        guards=[requires_role(*CASE_HANDLERS)],
        summary="The follow-ups and grievances I handle: my department's, or the oversight office's (auditors)",
    )
    async def department(self, request: Request, kind: str = "") -> list[CaseListItem]:
        return await department_cases(context_of(request), actor_of(request), request_locale(request), kind)

    @get("/cases/{ref:str}", guards=[requires_role(*PEOPLE)], summary="A follow-up or grievance")
    async def one(self, request: Request, ref: str) -> CaseRead:
        return await case_read(context_of(request), actor_of(request), ref, request_locale(request))

    @post(
        "/cases/{ref:str}/contacts",
        status_code=201,
        guards=[requires_role(*STAFF_ROLES)],
        summary="Record a contact with the applicant",
    )
    async def contact(self, request: Request, ref: str, data: ContactCreate) -> CaseRead:
        actor = actor_of(request)
        await record_contact(actor, ref, data.contacted_at, data.channel, data.summary)
        return await case_read(context_of(request), actor, ref, request_locale(request))

    @post("/cases/{ref:str}/answer", status_code=200, guards=[requires_role(*CASE_HANDLERS)], summary="Answer the case")
    async def answer(self, request: Request, ref: str, data: AnswerCreate) -> CaseRead:
        ctx, actor = context_of(request), actor_of(request)
        await answer_case(ctx, actor, ref, data.outcome, data.answer, data.cause, data.fix)
        return await case_read(ctx, actor, ref, request_locale(request))

    @post(
        "/cases/{ref:str}/appeal",
        status_code=200,
        guards=[requires_role(*APPLICANT_ROLES, *STAFF_ROLES)],
        summary="Appeal to the supervisor: a rating (the department) or an answer (the author)",
    )
    async def appeal(self, request: Request, ref: str, data: AppealCreate) -> CaseRead:
        actor = actor_of(request)
        await appeal(actor, ref, data.reason)
        return await case_read(context_of(request), actor, ref, request_locale(request))

    @post(
        "/cases/{ref:str}/appeal-decision",
        status_code=200,
        guards=[requires_role("supervisor", OVERSIGHT_ROLE)],
        summary="Decide an appeal (supervisors; auditors for the oversight office's cases)",
    )
    async def decide(self, request: Request, ref: str, data: AppealDecision) -> CaseRead:
        actor = actor_of(request)
        await decide_appeal(actor, ref, data.upheld, data.note)
        return await case_read(context_of(request), actor, ref, request_locale(request))

    @post(
        "/cases/{ref:str}/rating",
        status_code=200,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Rate the answer to a follow-up or grievance, 1 to 5 (once)",
    )
    async def rate(self, request: Request, ref: str, data: ScoreCreate) -> CaseRead:
        actor = actor_of(request)
        await rate_follow_up(actor, ref, data.score)
        return await case_read(context_of(request), actor, ref, request_locale(request))

    @get(
        "/feedback/figures",
        guards=[requires_role("supervisor", "auditor", "admin")],
        summary="Follow-ups and grievances per department in a year or month",
    )
    async def figures(self, request: Request, year: int | None = None, month: int | None = None) -> FeedbackFigures:
        actor = actor_of(request)
        if year is None:
            year = dt.datetime.now(BEIJING).year
        if month is not None and not 1 <= month <= 12:
            raise invalid_field("month", "invalid_choice")
        if not 2000 <= year <= 2100:
            raise invalid_field("year", "invalid_choice")
        # A supervisor reads the figures of their own department; oversight reads every department's.
        department = actor.department if actor.role == "supervisor" else None
        if actor.role == "supervisor" and not department:
            raise forbidden()
        start, end = period(year, month)
        return FeedbackFigures(
            year=year,
            month=month,
            follow_ups=await follow_up_figures(start, end, department),
            grievances=await grievance_figures(start, end, department),
        )
