"""Subsidies as pages: "policies for you" with the reason for each match, one-click claims, the
enterprise's claims and payments, and programs with their budgets for administrators."""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Redirect

from forms.spec import ServiceSpec
from hub.accounts import Principal
from hub.db.tables import Draft, Enterprise, Program
from hub.errors import HubError
from hub.i18n import N_, gettext
from hub.requests.withdrawal import withdraw_request
from hub.subsidies.claiming import file_claim, pass_on, submit_prepared_claim
from hub.subsidies.enterprise import claim_look, enterprise_claims, policies_for, policy_for
from hub.subsidies.oversight import view_claim
from hub.subsidies.presenter import published_programs
from hub.subsidies.programs import load_program, spec_of
from hub.subsidies.progress import program_matching, programs_matching
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import require
from hub.web.pages.portal import (
    FORM_BODY_LIMIT,
    draft_answers,
    load_draft,
    posted_answers,
    regroup,
    render_form,
    save_draft,
)
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import Problem, invalid_form, not_found, status_of
from hub.web.routes import get, post

PROGRAM_ADMIN_ROLES = ("admin", "auditor")
ACCOUNT_ENDING = N_("Settlement account ending in {last4}")
NO_ACCOUNT = N_("No settlement account on record")
MESSAGES = {
    "paid": N_("Paid. The payment notice is among the documents of the claim's request."),
    "prepared": N_("Prepared. The enterprise's approver can now submit it."),
    "declined": N_("Declined: the prepared claim is withdrawn, and nothing was submitted or paid."),
    "under_way": N_("Claim received; it is being processed."),
    "saved": N_("Your draft is saved. You can come back to it at any time from My requests."),
    "under_review": N_(
        "Claim filed. The amount is held for your enterprise while the department reviews it; "
        "follow the review on the claim's request page."
    ),
}


async def enterprise_shown(user: Principal, locale: str) -> dict[str, str]:
    """The enterprise an account acts for, as a claim names it: its name, and the settlement account
    a subsidy is paid into, masked but for its last four digits."""
    row = (
        await Enterprise.select(Enterprise.name, Enterprise.bank_account)
        .where(Enterprise.id == user.enterprise)
        .first()
        if user.enterprise
        else None
    )
    if row is None:
        return {"name": "", "account": ""}
    digits = (row["bank_account"] or "").strip()
    account = gettext(locale, ACCOUNT_ENDING, last4=digits[-4:]) if digits else gettext(locale, NO_ACCOUNT)
    return {"name": row["name"], "account": account}


async def render_policies(request: Request, error: str = "", status: int = 200) -> Response:
    user = require(request, "enterprise")
    locale = page_locale(request)
    found = await policies_for(actor_of(request))
    message = (
        gettext(locale, MESSAGES[request.query_params["done"]]) if request.query_params.get("done") in MESSAGES else ""
    )
    return render_page(
        request,
        "policies.html",
        status=status,
        found=found,
        error=error,
        message=message,
        can_submit=user.enterprise_role != "preparer",
        enterprise=await enterprise_shown(user, locale),
    )


@get("/policies", name="policies")
async def policies_page(request: Request) -> Response:
    return await render_policies(request)


async def render_confirmation(request: Request, code: str, error: str = "", status: int = 200) -> Response:
    """The step before a claim of money: the amount, the enterprise and its receiving account."""
    user = require(request, "enterprise")
    locale = page_locale(request)
    program = await load_program(code)
    if program.status != "published" or spec_of(program).mode == "apply":
        raise not_found()
    policy = await policy_for(actor_of(request), program)
    if policy.claim and policy.claim.state != "offered" and not error:
        return Redirect(path="/claims", status_code=303)
    return render_page(
        request,
        "policies.html",
        status=status,
        confirming=policy,
        error=error,
        enterprise=await enterprise_shown(user, locale),
        can_submit=user.enterprise_role != "preparer",
    )


@get("/policies/{code:str}/claim", name="policy-claim-confirm")
async def confirm_claim_page(request: Request, code: str) -> Response:
    return await render_confirmation(request, code)


@post("/policies/{code:str}/claim", name="policy-claim")
async def claim_policy(request: Request, ctx: HubContext, code: str) -> Response:
    """Claim (or confirm an offer) once the enterprise confirmed the amount and the receiving account;
    the answer is usually the money. A post without the confirmation shows the confirmation."""
    require(request, "enterprise")
    locale = page_locale(request)
    form = await request.form()
    if form.get("confirmed") != "yes":
        return Redirect(path=f"/policies/{code}/claim", status_code=303)
    try:
        claim, mode = await file_claim(actor_of(request), ctx, code, {})
        if mode != "prepared":
            claim, _ = await pass_on(ctx, claim, mode)
    except HubError as problem:
        return await render_confirmation(request, code, error=problem_text(problem, locale), status=status_of(problem))
    done = "prepared" if claim.state == "prepared" else "paid" if claim.state == "paid" else "under_way"
    return Redirect(path=f"/claims?done={done}", status_code=303)


def problem_text(problem: Problem, locale: str) -> str:
    """A refused claim's message for a page, with the conditions that were not met."""
    reasons = [r["message"] for r in problem.rules if not r["passed"]]
    text = gettext(locale, problem.detail, **problem.params) if problem.detail else gettext(locale, problem.title)
    if reasons:
        text += " " + ("；".join(reasons) if locale == "zh_CN" else "; ".join(reasons))
    return text


async def claim_form_for(ctx: HubContext, code: str) -> tuple[Program, ServiceSpec]:
    """A program claimed with its service's form (apply mode), and that form."""
    program = await load_program(code)
    spec = spec_of(program)
    service = ctx.catalog.latest(spec.service_id)
    if program.status != "published" or spec.mode != "apply" or service is None:
        raise not_found()
    return program, service


async def render_claim_form(
    request: Request,
    program: Program,
    service: ServiceSpec,
    user: Principal,
    answers: dict,
    problem: Problem | None = None,
    message: str = "",
) -> Response:
    locale = page_locale(request)
    # What the enterprise would get and whether it qualifies, before it fills anything in.
    policy = await policy_for(actor_of(request), program)
    return await render_form(
        request,
        service,
        user,
        answers,
        problem.errors if problem else [],
        status=status_of(problem) if problem else 200,
        message=message,
        template="claim_apply.html",
        program=policy.program,
        policy=policy,
        # A refusal that is not about one field (not eligible, closed, claimed already).
        refusal=problem_text(problem, locale) if problem and not problem.errors else "",
        can_submit=user.enterprise_role != "preparer",
    )


@get("/policies/{code:str}/apply", name="policy-apply")
async def claim_form(request: Request, ctx: HubContext, code: str, saved: bool = False) -> Response:
    """The form of a program claimed with a review: the service's own form, prefilled from the
    registries, with the draft the enterprise saved, if any."""
    user = require(request, "enterprise")
    program, service = await claim_form_for(ctx, code)
    draft = await load_draft(user, service, program=code)
    answers = draft_answers(service, draft) if draft else {}
    message = gettext(page_locale(request), MESSAGES["saved"]) if saved else ""
    async with claim_look(actor_of(request), code):
        return await render_claim_form(request, program, service, user, answers, message=message)


@post("/policies/{code:str}/apply", name="policy-apply-post", request_max_body_size=FORM_BODY_LIMIT)
async def claim_form_post(request: Request, ctx: HubContext, code: str) -> Response:
    """File the claim with its answers: the same checks as the API, errors next to their fields, and
    the amount held while the department reviews it."""
    user = require(request, "enterprise")
    program, service = await claim_form_for(ctx, code)
    answers, upload_errors, form = await posted_answers(request, ctx, service, user)
    action = str(form.get("action", ""))
    if regroup(service, answers, action):
        return await render_claim_form(request, program, service, user, answers)
    if action == "save":
        await save_draft(user, service, answers, program=code)
        return Redirect(path=f"/policies/{code}/apply?saved=true", status_code=303)
    # The checks of the claim and the form shown again when they refuse it read the enterprise once.
    async with claim_look(actor_of(request), code):
        if upload_errors:
            return await render_claim_form(request, program, service, user, answers, invalid_form(upload_errors))
        try:
            claim, mode = await file_claim(actor_of(request), ctx, code, answers)
        except HubError as problem:
            return await render_claim_form(request, program, service, user, answers, problem)
    try:
        if mode != "prepared":
            await pass_on(ctx, claim, mode)
    except HubError as problem:
        return await render_claim_form(request, program, service, user, answers, problem)
    if (draft := await load_draft(user, service, program=code)) is not None:
        await Draft.delete().where(Draft.id == draft.id)
    return Redirect(path=f"/claims?done={'prepared' if mode == 'prepared' else 'under_review'}", status_code=303)


async def render_claims(request: Request, message: str = "", error: str = "", status: int = 200) -> Response:
    user = require(request, "enterprise")
    claims = await enterprise_claims(actor_of(request))
    return render_page(
        request,
        "claims.html",
        status=status,
        claims=claims,
        message=message,
        error=error,
        can_submit=user.enterprise_role != "preparer",
    )


@get("/claims", name="claims")
async def claims_page(request: Request) -> Response:
    locale = page_locale(request)
    message = (
        gettext(locale, MESSAGES[request.query_params["done"]]) if request.query_params.get("done") in MESSAGES else ""
    )
    return await render_claims(request, message=message)


@post("/claims/{ref:str}/submit", name="claim-submit")
async def submit_claim_page(request: Request, ctx: HubContext, ref: str) -> Response:
    """The approver submits what the enterprise's preparer prepared (submitting twice changes nothing)."""
    require(request, "enterprise")
    submitted, mode = await submit_prepared_claim(actor_of(request), ref)
    if submitted is not None:
        await pass_on(ctx, submitted, mode)
    return Redirect(path="/claims", status_code=303)


@post("/claims/{ref:str}/decline", name="claim-decline")
async def decline_claim_page(request: Request, ctx: HubContext, ref: str) -> Response:
    """The approver declines what the enterprise's preparer prepared: the claim's request is
    withdrawn, as the API's withdrawal of it does (a claim only prepared ends withdrawn, nothing
    reserved or paid, and the program can be claimed again)."""
    require(request, "enterprise")
    actor = actor_of(request)
    claim = await view_claim(actor, ref, ctx.catalog)
    if claim.state != "prepared" or claim.request_ref is None:
        # Submitted or declined meanwhile (a second click, another tab): nothing is left to decline.
        return Redirect(path="/claims", status_code=303)
    try:
        await withdraw_request(ctx, actor, claim.request_ref, "")
    except HubError as problem:
        if status_of(problem) not in (403, 409):
            raise
        error = gettext(page_locale(request), problem.detail)
        return await render_claims(request, error=error, status=status_of(problem))
    return Redirect(path="/claims?done=declined", status_code=303)


@get("/admin/programs", name="admin-programs")
async def programs_admin_page(request: Request, ctx: HubContext) -> Response:
    require(request, *PROGRAM_ADMIN_ROLES)
    return render_page(
        request,
        "programs_admin.html",
        programs=await published_programs(page_locale(request)),
        matching=await programs_matching(ctx.temporal),
    )


@get("/admin/programs/{code:str}/matching", name="admin-program-matching")
async def program_matching_fragment(request: Request, ctx: HubContext, code: str) -> Response:
    """How far one program's matching has got: the fragment the programs page refreshes while it runs."""
    require(request, *PROGRAM_ADMIN_ROLES)
    return render_page(request, "_matching_progress.html", code=code, m=await program_matching(code, ctx.temporal))


SUBSIDIES = [
    policies_page,
    confirm_claim_page,
    claim_policy,
    claim_form,
    claim_form_post,
    claims_page,
    submit_claim_page,
    decline_claim_page,
    programs_admin_page,
    program_matching_fragment,
]
