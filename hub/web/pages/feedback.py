"""Follow-ups and grievances as pages: the grievance form, one's own cases, a case's page (the
answer, its rating and appeal for the author; the contact, answer and appeal forms for the
department), and the department's list of cases next to its inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response
from litestar.response import Redirect

from hub.clock import BEIJING
from hub.errors import HubError
from hub.feedback import (
    CHANNEL_LABELS,
    CONTACT_CHANNELS,
    GRIEVANCE_OUTCOMES,
    OUTCOME_LABELS,
    OUTCOMES,
    OVERSIGHT_ROLE,
    SUBJECT_LABELS,
    SUBJECTS,
    answer_case,
    appeal,
    case_read,
    decide_appeal,
    department_cases,
    file_grievance,
    my_cases,
    rate_follow_up,
    record_contact,
)
from hub.i18n import N_, gettext
from hub.requests.access import load_own_request
from hub.requests.presenter import request_read
from hub.requests.rating import rate_stage, stage_ratings_of
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import form_errors, require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import status_of
from hub.web.routes import get, post
from hub.web.security import APPLICANT_ROLES, STAFF_ROLES

DONE = {
    "filed": N_("Your grievance is filed. It is answered within its time limit."),
    "contacted": N_("The contact is recorded."),
    "answered": N_("The answer is recorded and the applicant is told."),
    "appealed": N_("The appeal is sent for a decision."),
    "decided": N_("The decision on the appeal is recorded."),
    "rated": N_("Thank you for your rating."),
}


async def _services(ctx: HubContext, locale: str) -> list[tuple[str, str]]:
    return sorted(((s.id, gettext(locale, s.title)) for s in ctx.catalog.current()), key=lambda s: s[1])


async def _grievance_form(
    request: Request, ctx: HubContext, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Response:
    locale = page_locale(request)
    return render_page(
        request,
        "grievance_form.html",
        status=422 if errors else 200,
        subjects=[(s, gettext(locale, SUBJECT_LABELS[s])) for s in SUBJECTS],
        services=await _services(ctx, locale),
        values=values or {},
        errors=errors or {},
    )


@get("/grievances/new", name="grievance-form")
async def grievance_form(request: Request, ctx: HubContext, service: str = "") -> Response:
    require(request, *APPLICANT_ROLES)
    return await _grievance_form(request, ctx, {"service_id": service, "subject": "service" if service else ""})


@post("/grievances/new", name="grievance-file")
async def grievance_file(request: Request, ctx: HubContext) -> Response:
    require(request, *APPLICANT_ROLES)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("subject", "text", "service_id", "clerk")}
    values["anonymous"] = bool(form.get("anonymous"))
    try:
        ref = await file_grievance(
            ctx,
            actor_of(request),
            values["subject"],
            values["text"],
            values["service_id"] if values["subject"] != "clerk" else "",
            values["clerk"] if values["subject"] == "clerk" else "",
            values["anonymous"],
        )
    except HubError as problem:
        if status_of(problem) != 422:
            raise
        return await _grievance_form(request, ctx, values, form_errors(page_locale(request), problem))
    if values["anonymous"]:
        # Nobody follows an anonymous grievance up by name, not even its author: its reference is all.
        return render_page(request, "grievance_filed.html", ref=ref)
    return Redirect(path=f"/feedback/{ref}?done=filed", status_code=303)


@get("/feedback", name="my-feedback")
async def my_feedback(request: Request, ctx: HubContext) -> Response:
    require(request)
    return render_page(
        request, "feedback_list.html", cases=await my_cases(ctx, actor_of(request), page_locale(request))
    )


@get("/workbench/cases", name="department-cases")
async def department_list(request: Request, ctx: HubContext, kind: str = "") -> Response:
    require(request, *STAFF_ROLES, OVERSIGHT_ROLE)
    cases = await department_cases(ctx, actor_of(request), page_locale(request), kind)
    return render_page(request, "cases.html", cases=cases, kind=kind)


async def _case_page(
    request: Request, ctx: HubContext, ref: str, done: str = "", errors: dict[str, str] | None = None, form: str = ""
) -> Response:
    require(request)
    locale = page_locale(request)
    case = await case_read(ctx, actor_of(request), ref, locale)
    outcomes = OUTCOMES if case.kind == "follow_up" else GRIEVANCE_OUTCOMES
    return render_page(
        request,
        "case.html",
        status=422 if errors else 200,
        c=case,
        message=gettext(locale, DONE[done]) if done in DONE else "",
        errors=errors or {},
        failed_form=form,
        values=dict(request.query_params) if errors else {},
        outcomes=[(o, gettext(locale, OUTCOME_LABELS[o])) for o in outcomes],
        channels=[(c, gettext(locale, CHANNEL_LABELS[c])) for c in CONTACT_CHANNELS],
        now=dt.datetime.now(BEIJING).strftime("%Y-%m-%dT%H:%M"),
    )


@get("/feedback/{ref:str}", name="case")
async def case_page(request: Request, ctx: HubContext, ref: str, done: str = "") -> Response:
    return await _case_page(request, ctx, ref, done)


async def _act(request: Request, ctx: HubContext, ref: str, form_name: str, act, done: str) -> Response:
    try:
        await act()
    except HubError as problem:
        if status_of(problem) != 422:
            raise
        return await _case_page(request, ctx, ref, errors=form_errors(page_locale(request), problem), form=form_name)
    return Redirect(path=f"/feedback/{ref}?done={done}", status_code=303)


def _moment(value: str) -> dt.datetime | None:
    """A datetime-local field's value, in Beijing time."""
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=BEIJING) if value else None
    except ValueError:
        return None


@post("/feedback/{ref:str}/contacts", name="case-contact")
async def contact(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request, *STAFF_ROLES)
    form = await request.form()
    at = str(form.get("contacted_at", ""))
    moment = _moment(at)

    async def act() -> None:
        if at and moment is None:
            from hub.errors import invalid_field

            raise invalid_field("contacted_at", "contact_time")
        await record_contact(actor_of(request), ref, moment, str(form.get("channel", "")), str(form.get("summary", "")))

    return await _act(request, ctx, ref, "contact", act, "contacted")


@post("/feedback/{ref:str}/answer", name="case-answer")
async def answer(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request, *STAFF_ROLES, OVERSIGHT_ROLE)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("outcome", "answer", "cause", "fix")}
    return await _act(
        request,
        ctx,
        ref,
        "answer",
        lambda: answer_case(
            ctx, actor_of(request), ref, values["outcome"], values["answer"], values["cause"], values["fix"]
        ),
        "answered",
    )


@post("/feedback/{ref:str}/appeal", name="case-appeal")
async def appeal_page(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request)
    form = await request.form()
    return await _act(
        request, ctx, ref, "appeal", lambda: appeal(actor_of(request), ref, str(form.get("reason", ""))), "appealed"
    )


@post("/feedback/{ref:str}/decision", name="case-decision")
async def decision(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request, "supervisor", OVERSIGHT_ROLE)
    form = await request.form()
    upheld = str(form.get("upheld", "")) == "yes"
    return await _act(
        request,
        ctx,
        ref,
        "decision",
        lambda: decide_appeal(actor_of(request), ref, upheld, str(form.get("note", ""))),
        "decided",
    )


@post("/feedback/{ref:str}/rating", name="case-rating")
async def rating(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request, *APPLICANT_ROLES)
    form = await request.form()
    try:
        score = int(str(form.get("score", "0")))
    except ValueError:
        score = 0
    return await _act(request, ctx, ref, "rating", lambda: rate_follow_up(actor_of(request), ref, score), "rated")


async def _stages_page(request: Request, ctx: HubContext, ref: str, errors: dict[str, str] | None = None) -> Response:
    user = require(request, *APPLICANT_ROLES)
    locale = page_locale(request)
    row = await load_own_request(ref, user)
    read = await request_read(row, ctx, locale)
    rated = {(r.stage, r.step, r.department): r.score for r in await stage_ratings_of(row)}
    stages = [("filing", "", "", gettext(locale, N_("Filing")), rated.get(("filing", "", "")))]
    for t in read.tasks:
        if t.state in ("approved", "rejected", "transferred"):
            key = ("step", t.stage_id, t.department.code)
            stages.append((*key, f"{t.stage_title} · {t.department.name}", rated.get(key)))
    return render_page(
        request, "request_stages.html", status=422 if errors else 200, r=read, stages=stages, errors=errors or {}
    )


@get("/requests/{ref:str}/stages", name="request-stages")
async def stages_page(request: Request, ctx: HubContext, ref: str) -> Response:
    return await _stages_page(request, ctx, ref)


@post("/requests/{ref:str}/stages", name="request-stage-rating")
async def stage_rating(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request, *APPLICANT_ROLES)
    form = await request.form()
    stage, step, department = (str(form.get(k, "")) for k in ("stage", "step", "department"))
    try:
        score = int(str(form.get("score", "0")))
    except ValueError:
        score = 0
    try:
        await rate_stage(ctx, actor_of(request), ref, stage, score, "", step, department)
    except HubError as problem:
        if status_of(problem) not in (409, 422):
            raise
        message = form_errors(page_locale(request), problem)
        return await _stages_page(request, ctx, ref, {f"{stage}:{step}:{department}": next(iter(message.values()))})
    return Redirect(path=f"/requests/{ref}/stages", status_code=303)


FEEDBACK_PAGES = [
    stages_page,
    stage_rating,
    grievance_form,
    grievance_file,
    my_feedback,
    department_list,
    case_page,
    contact,
    answer,
    appeal_page,
    decision,
    rating,
]
