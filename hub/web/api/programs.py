"""Subsidy programs: published by an administrator, open data for everyone, "policies for you"
for an enterprise, and claims in one step.

A claim on an instant or apply-free program waits (briefly) for its workflow, so the answer is
usually the money itself: state ``paid`` and the payment notice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from pydantic import ValidationError

from forms.catalog import Catalog
from forms.clock import beijing_today
from forms.programs import ProgramSpec, assess
from forms.validation import FieldError
from hub.accounts import Principal, now
from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import (
    Claim,
    Notification,
    Program,
    ProgramMatch,
    ReconciliationReport,
)
from hub.db.transactions import writing
from hub.enterprises import may_submit, require_approver
from hub.i18n import N_, gettext
from hub.payments.reconciliation import reconciliation_day, reconciliation_report, store_report
from hub.registry import LocalRegistry
from hub.subsidies.claims import (
    CLAIM_REASONS,
    CLAIM_STATE_LABELS,
    FINAL_CLAIM_STATES,
    AlreadyClaimed,
    existing_claim,
    start_claim,
    submit,
    submit_prepared,
)
from hub.subsidies.programs import ProgramError, cents, parse_spec, publish, spec_of, start_matching
from hub.subsidies.records import money
from hub.web.api.requests import MAX_ANSWERS, checked_answers, eligibility
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem, invalid_form, not_found, request_locale
from hub.web.security import OVERSIGHT_ROLES, STAFF_ROLES, requires_role

log = logging.getLogger("qinqing.programs")
registry = LocalRegistry()

MODE_LABELS = {
    "apply": N_("Apply and be reviewed"),
    "instant": N_("Instant: checked automatically, paid at once"),
    "apply_free": N_("No application: confirm and receive"),
}


# Shapes -------------------------------------------------------------------------------------------


class CriterionRead(msgspec.Struct):
    id: str
    reason: str
    passed: bool | None = None


class BudgetRead(msgspec.Struct):
    total: str
    reserved: str
    paid: str
    remaining: str


class ProgramRead(msgspec.Struct):
    code: str
    title: str
    summary: str
    legal_basis: str
    service_id: str
    mode: str
    mode_label: str
    automatic: bool
    period: str
    opens_on: dt.date
    closes_on: dt.date
    status: str
    cap_per_enterprise: str
    amount_formula: str
    criteria: list[CriterionRead]
    budget: BudgetRead
    matched_enterprises: int
    eligible_enterprises: int
    matched_at: dt.datetime | None


class ClaimRead(msgspec.Struct):
    ref: str
    program: str
    program_title: str
    enterprise: str
    uscc: str
    state: str
    state_label: str
    amount: str
    reason: str
    reason_message: str
    payment_ref: str
    paid_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    # The request that carries the claim's timeline and documents (GET /api/requests/{ref}).
    request_ref: str | None


class ProgramForYou(msgspec.Struct):
    """A program seen by one enterprise: whether it qualifies, why (not), how much, and its claim."""

    program: ProgramRead
    eligible: bool
    near: bool
    amount: str
    criteria: list[CriterionRead]
    claim: ClaimRead | None


class PoliciesForYou(msgspec.Struct):
    eligible: list[ProgramForYou]
    nearly: list[ProgramForYou]
    other: list[ProgramForYou]


class ClaimCreate(msgspec.Struct):
    # Only programs in apply mode have a form; the others need nothing but the claim itself.
    answers: dict[str, Any] = {}


class MatchRead(msgspec.Struct):
    enterprise: str
    uscc: str
    eligible: bool
    near: bool
    amount: str
    unmet: list[str]


class MatchesRead(msgspec.Struct):
    program: str
    evaluated: int
    eligible: int
    nearly: int
    matched_at: dt.datetime | None
    enterprises: list[MatchRead]


class NotificationRead(msgspec.Struct):
    id: int
    kind: str
    message: str
    program: str | None
    created_at: dt.datetime
    read: bool


# Helpers ------------------------------------------------------------------------------------------


def program_read(row: Program, locale: str) -> ProgramRead:
    spec = spec_of(row)
    return ProgramRead(
        code=row.code,
        title=spec.title.in_locale(locale),
        summary=spec.summary.in_locale(locale),
        legal_basis=spec.legal_basis.in_locale(locale),
        service_id=spec.service_id,
        mode=spec.mode,
        mode_label=gettext(locale, MODE_LABELS[spec.mode]),
        automatic=spec.automatic,
        period=spec.period,
        opens_on=spec.opens_on,
        closes_on=spec.closes_on,
        status=row.status,
        cap_per_enterprise=str(spec.cap_per_enterprise),
        amount_formula=spec.amount,
        criteria=[CriterionRead(id=c.id, reason=c.reason.in_locale(locale)) for c in spec.criteria],
        budget=BudgetRead(
            total=str(money(row.budget_cents)),
            reserved=str(money(row.reserved_cents)),
            paid=str(money(row.paid_cents)),
            remaining=str(money(row.budget_cents - row.reserved_cents - row.paid_cents)),
        ),
        matched_enterprises=row.matched_total,
        eligible_enterprises=row.matched_eligible,
        matched_at=row.matched_at,
    )


async def claim_read(claim: Claim, locale: str) -> ClaimRead:
    # The program, enterprise and request the claim names, in one read.
    named = (
        await Claim.select(
            Claim.program.code.as_alias("program"),
            Claim.program.spec.as_alias("spec"),
            Claim.enterprise.name.as_alias("enterprise"),
            Claim.enterprise.uscc.as_alias("uscc"),
            Claim.request.ref.as_alias("request_ref"),
        )
        .where(Claim.id == claim.id)
        .first()
    )
    return ClaimRead(
        ref=claim.ref,
        program=named["program"],
        program_title=parse_spec(named["spec"]).title.in_locale(locale),
        enterprise=named["enterprise"],
        uscc=named["uscc"],
        state=claim.state,
        state_label=gettext(locale, CLAIM_STATE_LABELS.get(claim.state, claim.state)),
        amount=str(money(claim.amount_cents)),
        reason=claim.reason_code,
        reason_message=gettext(locale, CLAIM_REASONS[claim.reason_code]) if claim.reason_code in CLAIM_REASONS else "",
        payment_ref=claim.payment_ref,
        paid_at=claim.paid_at,
        created_at=claim.created_at,
        updated_at=claim.updated_at,
        request_ref=named["request_ref"],
    )


async def load_program(code: str) -> Program:
    row = await Program.objects().where(Program.code == code).first()
    if row is None:
        raise not_found()
    return row


async def caller_enterprise(user: Principal) -> int:
    """The enterprise the caller acts for."""
    if user.role != "enterprise" or not user.enterprise:
        raise Problem(403, "forbidden", N_("Not allowed"), N_("Only an enterprise's own accounts can do this."))
    return user.enterprise


def may_oversee(user: Principal, program: Program, catalog: Catalog) -> bool:
    """Administrators, auditors and the staff of the department that owns the program's service."""
    if user.role in OVERSIGHT_ROLES:
        return True
    service = catalog.latest(program.service_id)
    return user.role in STAFF_ROLES and service is not None and user.department == service.owner


def problem_from_validation(exc: ValidationError) -> Problem:
    errors = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "program"
        errors.append(FieldError(field=loc, code="invalid", context={"reason": e["msg"]}))
    return invalid_form(errors)


# Open data ----------------------------------------------------------------------------------------


class OpenProgramController(Controller):
    """Published programs and their budgets: open data, no sign-in."""

    path = "/api/open/programs"
    tags = ["open data"]

    @get("/", summary="Published subsidy programs with their budgets")
    async def list_programs(self, request: Request) -> list[ProgramRead]:
        locale = request_locale(request)
        rows = await Program.objects().order_by(Program.published_at, ascending=False)
        return [program_read(r, locale) for r in rows]

    @get("/{code:str}", summary="One program: conditions, amount, budget")
    async def get_program(self, request: Request, code: str) -> ProgramRead:
        return program_read(await load_program(code), request_locale(request))


# Programs -----------------------------------------------------------------------------------------


class ProgramController(Controller):
    path = "/api/programs"
    tags = ["subsidies"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post("/", guards=[requires_role("admin")], summary="Publish a program", status_code=201)
    async def publish_program(self, request: Request, ctx: HubContext, data: dict[str, Any]) -> ProgramRead:
        locale = request_locale(request)
        try:
            spec = ProgramSpec.model_validate(data)
        except ValidationError as exc:
            raise problem_from_validation(exc) from None
        try:
            row = await publish(spec, ctx.catalog, by=request.user)
        except ProgramError as exc:
            if exc.code == "program-exists":
                raise Problem(
                    409, "program-exists", N_("Program exists"), N_("A program with this code is published already.")
                ) from None
            raise invalid_form([FieldError(field="service_id", code="unknown_service")]) from None
        try:
            if ctx.temporal is None:
                raise RuntimeError("no Temporal client")
            await start_matching(ctx.temporal, row)
        except Exception:  # noqa: BLE001 - stored and funded; the worker starts the matching when it can
            log.exception("matching of %s not started yet", row.code)
        return program_read(row, locale)

    @post("/{code:str}/closure", guards=[requires_role("admin")], summary="Close a program to new claims")
    async def close_program(self, request: Request, code: str) -> ProgramRead:
        row = await load_program(code)
        async with writing():
            await Program.update({Program.status: "closed"}).where(Program.id == row.id)
            await record(request, request.user, "program.closed", "program", code)
        return program_read(await load_program(code), request_locale(request))

    @get("/{code:str}/matches", summary="Enterprises evaluated against the program")
    async def matches(
        self,
        request: Request,
        ctx: HubContext,
        code: str,
        eligible: bool | None = None,
        near: bool | None = None,
        limit: int = Parameter(default=50, ge=1, le=500),
        offset: int = Parameter(default=0, ge=0),
    ) -> MatchesRead:
        program = await load_program(code)
        if not may_oversee(request.user, program, ctx.catalog):
            raise not_found()
        locale = request_locale(request)
        query = ProgramMatch.select(
            ProgramMatch.enterprise.name,
            ProgramMatch.enterprise.uscc,
            ProgramMatch.eligible,
            ProgramMatch.near,
            ProgramMatch.amount_cents,
            ProgramMatch.results,
        ).where(ProgramMatch.program == program.id)
        if eligible is not None:
            query = query.where(ProgramMatch.eligible == eligible)
        if near is not None:
            query = query.where(ProgramMatch.near == near)
        rows = await query.order_by(ProgramMatch.id).limit(limit).offset(offset)
        nearly = await ProgramMatch.count().where((ProgramMatch.program == program.id) & (ProgramMatch.near == True))  # noqa: E712
        await record(request, request.user, "program.matches_viewed", "program", code, count=len(rows))
        return MatchesRead(
            program=code,
            evaluated=program.matched_total,
            eligible=program.matched_eligible,
            nearly=nearly,
            matched_at=program.matched_at,
            enterprises=[
                MatchRead(
                    enterprise=r["enterprise.name"],
                    uscc=r["enterprise.uscc"],
                    eligible=r["eligible"],
                    near=r["near"],
                    amount=str(money(r["amount_cents"])),
                    unmet=[
                        (x["reason"]["en"] if locale == "en" else x["reason"]["zh_CN"])
                        for x in load_json(r["results"])
                        if not x["passed"]
                    ],
                )
                for r in rows
            ],
        )

    @get("/{code:str}/claims", summary="Claims on the program")
    async def program_claims(
        self,
        request: Request,
        ctx: HubContext,
        code: str,
        claim_state: str | None = Parameter(query="state", default=None),
        limit: int = Parameter(default=100, ge=1, le=500),
    ) -> list[ClaimRead]:
        program = await load_program(code)
        if not may_oversee(request.user, program, ctx.catalog):
            raise not_found()
        query = Claim.objects().where(Claim.program == program.id)
        if claim_state:
            query = query.where(Claim.state == claim_state)
        locale = request_locale(request)
        return [await claim_read(c, locale) for c in await query.order_by(Claim.id, ascending=False).limit(limit)]

    @post(
        "/{code:str}/claims",
        guards=[requires_role("enterprise")],
        summary="Claim the program's subsidy (or confirm an offer)",
        description="Instant and apply-free claims answer once paid (201), or while still under way (202).",
        status_code=201,
    )
    async def claim(self, request: Request, ctx: HubContext, code: str, data: ClaimCreate) -> Response[ClaimRead]:
        claim, mode = await file_claim(request, ctx, request.user, code, data.answers)
        if mode == "prepared":
            return Response(await claim_read(claim, request_locale(request)), status_code=201)
        return await pass_on(ctx, claim, mode, request_locale(request))


async def file_claim(
    request: Request, ctx: HubContext, user: Principal, code: str, answers_in: dict[str, Any]
) -> tuple[Claim, str]:
    """Claim a program for the caller's enterprise (the API and the pages both come here): checks
    eligibility and budget now, stores the claim (prepared, for a preparer) and returns it with the
    program's mode, or "prepared". Raises Problem for everything the caller must be told."""
    locale = request_locale(request)
    program = await load_program(code)
    spec = spec_of(program)
    enterprise_id = await caller_enterprise(user)
    today = beijing_today()
    if program.status != "published" or not spec.open_on(today):
        raise Problem(422, "program-closed", N_("Program closed"), CLAIM_REASONS["program_closed"])
    existing = await existing_claim(program, enterprise_id)
    if existing is not None and existing.state == "submitted" and existing.request:
        # Stored before, but its workflow could not be started then: this call passes it on.
        return existing, spec.mode
    if existing is not None and existing.state != "offered":
        raise already_claimed(existing)
    profile = await registry.profile(enterprise_id, purpose=f"eligibility for program {code}")
    assessment = assess(spec, profile or {}, today)
    if not assessment.eligible:
        raise Problem(
            422,
            "not-eligible",
            N_("Not eligible"),
            N_("The enterprise does not meet the program's conditions. Nothing was saved."),
            rules=[
                {"rule": r.criterion, "passed": r.passed, "message": r.reason.in_locale(locale)}
                for r in assessment.results
            ],
        )
    remaining = program.budget_cents - program.reserved_cents - program.paid_cents
    if cents(assessment.amount) > remaining:
        raise Problem(
            422,
            "budget-exhausted",
            N_("Budget used up"),
            CLAIM_REASONS["budget_exhausted"],
        )
    answers: dict[str, Any] = {}
    rule_results: list[dict] = []
    if spec.mode == "apply":
        service = ctx.catalog.latest(spec.service_id)
        if len(answers_in) > MAX_ANSWERS:
            raise invalid_form([FieldError(field="answers", code="too_many_fields")])
        answers, profile, registry_data = await checked_answers(service, answers_in, user)
        stored_results, _ = eligibility(service, answers, profile, registry_data, locale)
        rule_results = json.loads(stored_results)
    elif answers_in:
        raise invalid_form([FieldError(field="answers", code="extra_forbidden")])
    # A preparer prepares; the enterprise's approver submits (POST /api/claims/{ref}/submission).
    prepared = not may_submit(user)
    try:
        async with writing():  # the claim and its audit event are stored together, or neither
            claim = await submit(
                program,
                spec,
                ctx.catalog,
                enterprise_id,
                user.id,
                answers,
                rule_results,
                locale,
                prepared=prepared,
                amount_cents=cents(assessment.amount),
            )
            action = "claim.prepared" if prepared else "claim.submitted"
            await record(request, user, action, "claim", claim.ref, program=code, request=claim.ref)
    except AlreadyClaimed as exc:
        raise already_claimed(exc.claim) from None
    return claim, "prepared" if prepared else spec.mode


async def submit_prepared_claim(request: Request, user: Principal, ref: str) -> tuple[Claim | None, str]:
    """The approver submits a claim its enterprise's preparer prepared (the API and the pages both
    come here). Returns the submitted claim and its program's mode; None when it was not waiting."""
    claim = await Claim.objects().where(Claim.ref == ref).first()
    if claim is None or user.enterprise != claim.enterprise:
        raise not_found()
    require_approver(user)
    async with writing():
        submitted = await submit_prepared(claim, user.id)
        if submitted is not None:
            await record(request, user, "claim.submitted", "claim", ref, request=ref)
    program = await Program.objects().where(Program.id == claim.program).first()
    return submitted, program.mode


async def pass_on(ctx: HubContext, claim: Claim, mode: str, locale: str) -> Response[ClaimRead]:
    """Start the claim's workflow; for instant redemption, answer with the money if it comes in time."""
    try:
        if ctx.temporal is None:
            raise RuntimeError("no Temporal client")
        handle = await start_claim(ctx.temporal, claim, ctx.catalog)
    except Exception:
        log.exception("could not start the workflow of claim %s", claim.ref)
        raise Problem(
            503,
            "workflow-unavailable",
            N_("Claim saved, processing not started yet"),
            N_("Your claim {ref} was saved but could not be passed on yet. Send it again to continue."),
            params={"ref": claim.ref},
            headers={"Retry-After": "5"},
        ) from None
    if mode != "apply":
        try:
            await asyncio.wait_for(handle.result(), timeout=ctx.settings.claim_wait_seconds)
        except TimeoutError:
            pass  # still under way: answered 202 with the claim as it stands
        except Exception:  # noqa: BLE001 - the claim's own state tells the caller what happened
            log.exception("claim %s", claim.ref)
    claim = await Claim.objects().where(Claim.id == claim.id).first()
    status = 201 if claim.state in FINAL_CLAIM_STATES or mode == "apply" else 202
    return Response(await claim_read(claim, locale), status_code=status)


def already_claimed(claim: Claim) -> Problem:
    return Problem(
        409,
        "already-claimed",
        N_("Already claimed"),
        N_("The enterprise has claimed this program for this period already (claim {ref})."),
        params={"ref": claim.ref},
    )


# The enterprise's own view ------------------------------------------------------------------------


async def policies_for(user: Principal, locale: str) -> PoliciesForYou:
    """The open programs for the caller's enterprise: those it qualifies for, nearly qualifies for
    (one criterion unmet) and the others, each with its reasons, amount and the enterprise's claim."""
    enterprise_id = await caller_enterprise(user)
    profile = await registry.profile(enterprise_id, purpose="policies for you") or {}
    today = beijing_today()
    found = PoliciesForYou(eligible=[], nearly=[], other=[])
    for row in await Program.objects().where(Program.status == "published").order_by(Program.id):
        if not spec_of(row).open_on(today):
            continue
        item = await program_for_you(row, enterprise_id, profile, today, locale)
        (found.eligible if item.eligible else found.nearly if item.near else found.other).append(item)
    return found


async def policy_for(user: Principal, program: Program, locale: str) -> ProgramForYou:
    """One program seen by the caller's enterprise, as on its card in *Policies for you*."""
    enterprise_id = await caller_enterprise(user)
    profile = await registry.profile(enterprise_id, purpose=f"eligibility for program {program.code}") or {}
    return await program_for_you(program, enterprise_id, profile, beijing_today(), locale)


async def program_for_you(
    row: Program, enterprise_id: int, profile: dict, today: dt.date, locale: str
) -> ProgramForYou:
    a = assess(spec_of(row), profile, today)
    claim = await existing_claim(row, enterprise_id)
    return ProgramForYou(
        program=program_read(row, locale),
        eligible=a.eligible,
        near=a.near,
        amount=str(a.amount),
        criteria=[CriterionRead(id=r.criterion, reason=r.reason.in_locale(locale), passed=r.passed) for r in a.results],
        claim=await claim_read(claim, locale) if claim else None,
    )


async def enterprise_claims(user: Principal, locale: str) -> list[ClaimRead]:
    """The caller's enterprise's claims, newest first, with their payments."""
    enterprise_id = await caller_enterprise(user)
    rows = await Claim.objects().where(Claim.enterprise == enterprise_id).order_by(Claim.id, ascending=False)
    return [await claim_read(c, locale) for c in rows if c.state != "offered"]


class EnterpriseController(Controller):
    path = "/api/enterprise"
    tags = ["subsidies"]

    @get("/programs", guards=[requires_role("enterprise")], summary="Policies for you")
    async def policies_for_you(self, request: Request) -> PoliciesForYou:
        """Every open program, evaluated against the enterprise's registry data as it is now."""
        return await policies_for(request.user, request_locale(request))

    @get("/claims", guards=[requires_role("enterprise")], summary="The enterprise's claims and payments")
    async def my_claims(self, request: Request) -> list[ClaimRead]:
        return await enterprise_claims(request.user, request_locale(request))

    @get("/notifications", guards=[requires_role("enterprise")], summary="Messages for the enterprise")
    async def notifications(self, request: Request) -> list[NotificationRead]:
        enterprise_id = await caller_enterprise(request.user)
        locale = request_locale(request)
        rows = (
            await Notification.select(
                Notification.id,
                Notification.kind,
                Notification.created_at,
                Notification.read_at,
                Notification.program.code,
                Notification.program.spec,
            )
            .where(Notification.enterprise == enterprise_id)
            .order_by(Notification.id, ascending=False)
            .limit(100)
        )
        out = []
        for r in rows:
            title = ""
            if r["program.spec"]:
                title = ProgramSpec.model_validate(load_json(r["program.spec"])).title.in_locale(locale)
            out.append(
                NotificationRead(
                    id=r["id"],
                    kind=r["kind"],
                    message=gettext(locale, N_("Your enterprise qualifies for: {program}"), program=title),
                    program=r["program.code"],
                    created_at=r["created_at"],
                    read=r["read_at"] is not None,
                )
            )
        return out


class ClaimController(Controller):
    path = "/api/claims"
    tags = ["subsidies"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/{ref:str}", summary="One claim")
    async def get_claim(self, request: Request, ctx: HubContext, ref: str) -> ClaimRead:
        claim = await Claim.objects().where(Claim.ref == ref).first()
        if claim is None:
            raise not_found()
        user: Principal = request.user
        own = user.role == "enterprise" and user.enterprise == claim.enterprise
        if not own:
            program = await Program.objects().where(Program.id == claim.program).first()
            if not may_oversee(user, program, ctx.catalog):
                raise not_found()
            await record(request, user, "claim.viewed", "claim", ref, request=ref)
        return await claim_read(claim, request_locale(request))

    @post(
        "/{ref:str}/submission",
        guards=[requires_role("enterprise")],
        summary="Submit a claim a preparer of my enterprise prepared (the enterprise's approver)",
        status_code=201,
    )
    async def submit_claim(self, request: Request, ctx: HubContext, ref: str) -> Response[ClaimRead]:
        submitted, mode = await submit_prepared_claim(request, request.user, ref)
        if submitted is None:
            raise Problem(409, "not-prepared", N_("Not waiting"), N_("This claim is not waiting to be submitted."))
        return await pass_on(ctx, submitted, mode, request_locale(request))


class ReconciliationController(Controller):
    """The ledger against the claims: the comparison as it stands now, read without storing it; the
    day's report stored on demand (as the daily schedule stores it); earlier days as stored."""

    path = "/api/reconciliation"
    tags = ["subsidies"]
    guards = [requires_role(*OVERSIGHT_ROLES)]

    @get("/", summary="Reconcile the ledger with the claims now (nothing is stored)")
    async def reconcile_now(self, request: Request) -> dict[str, Any]:
        report = await reconciliation_report(reconciliation_day(now()))
        await record(request, request.user, "reconciliation.viewed", "reconciliation", report["day"])
        return report

    @post(
        "/",
        guards=[requires_role("admin")],
        summary="Reconcile now and store the result as the day's report (replacing one stored before)",
        status_code=201,
    )
    async def store_now(self, request: Request) -> dict[str, Any]:
        # Auditors read reports; storing one is a change, made by an administrator (or the schedule).
        at = now()
        report = await reconciliation_report(reconciliation_day(at))
        async with writing():  # the report and its audit event are stored together, or neither
            await store_report(report, at)
            await record(request, request.user, "reconciliation.stored", "reconciliation", report["day"])
        return report

    @get("/{day:date}", summary="A stored daily reconciliation report")
    async def stored(self, request: Request, day: dt.date) -> dict[str, Any]:
        row = await ReconciliationReport.objects().where(ReconciliationReport.day == day).first()
        if row is None:
            raise not_found()
        return {
            "day": row.day.isoformat(),
            "created_at": row.created_at.isoformat(),
            "claims_paid": row.claims_paid,
            "ledger_payments": row.ledger_payments,
            "paid_cents": row.paid_cents,
            "ledger_cents": row.ledger_cents,
            "differences": load_json(row.differences),
        }
