"""Benefits as pages: a beneficiary's entitlements with their payments and changes; for the paying
department, a benefit's register, one entitlement (suspending, resuming, confirming a colleague's
proposal) and the payment cycles (running one for a period).

The rules are the benefits domain's (``hub/benefits``); these handlers parse, call it and present.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel import dates
from litestar import Request, Response
from litestar.params import Parameter
from litestar.response import Redirect

from forms.catalog import Catalog
from forms.spec import ServiceSpec
from forms.validation import FieldError, whole_number
from hub.accounts import OVERSIGHT_ROLES, STAFF_ROLES, Principal
from hub.benefits import changes, cycles, offers, views
from hub.catalog.presenting import department
from hub.db import MAX_ID
from hub.errors import HubError
from hub.i18n import N_, format_date, gettext, supported
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message, status_of
from hub.web.routes import get, post

# Who opens the benefits pages of the workbench: the departments' staff and oversight (the domain
# decides which benefits each may see).
REGISTER_ROLES = (*STAFF_ROLES, *OVERSIGHT_ROLES)
# Rows of the register on one page.
PAGE_SIZE = 50

ENTITLEMENT_STATES = {"active": N_("Being paid"), "suspended": N_("Suspended"), "ended": N_("Ended")}
PAYMENT_STATES = {"paid": N_("Paid"), "refused": N_("Refused by the bank"), "set_aside": N_("Set aside")}
CYCLE_STATES = {"running": N_("Running"), "finished": N_("Finished")}
KINDS = {"monthly": N_("Paid every month"), "one_off": N_("Paid once")}
CHANGE_KINDS = {
    "granted": N_("Granted"),
    "amount_changed": N_("Amount changed"),
    "suspended": N_("Suspended"),
    "resumed": N_("Resumed"),
    "ended": N_("Ended"),
    "suspended_proposed": N_("Suspension proposed, waiting for a second member of staff"),
    "resumed_proposed": N_("Resumption proposed, waiting for a second member of staff"),
    "ended_proposed": N_("End proposed, waiting for a second member of staff"),
}
# Changes that take something away from the beneficiary: the notice says how to challenge them.
REDUCING = ("suspended", "ended")
DONE = {
    "suspended": N_("The entitlement is suspended; the beneficiary is told why."),
    "resumed": N_("The entitlement is resumed; it is paid again from the next cycle."),
    "ended": N_("The entitlement has ended: nothing more is paid, and the beneficiary is told why."),
    "proposed": N_(
        "The change is proposed: another member of staff of the department confirms it before it takes effect."
    ),
    "confirmed": N_("The change is confirmed and takes effect."),
}
CYCLE_STARTED = N_("The payment cycle for {period} has started. Its totals show here when it finishes.")
NO_REASON = N_("Say why: the beneficiary is told the reason.")


def month(period: str, locale: str) -> str:
    """A period ("2026-12") as the reader's language writes a month (2026年12月, December 2026)."""
    if not cycles.PERIOD.match(period or ""):
        return period or ""
    year, number = period.split("-")
    return dates.format_skeleton("yMMMM", dt.date(int(year), int(number), 1), locale=supported(locale))


def service_title(catalog: Catalog, service_id: str, locale: str) -> str:
    spec = catalog.latest(service_id)
    return gettext(locale, spec.title) if spec is not None else service_id


def payment_method(spec: ServiceSpec | None, value: str, locale: str) -> str:
    """How the entitlement is paid, in the reader's words (the service form's, where it asks)."""
    return gettext(locale, views.payment_method_words(spec, value))


def reason_words(code: str, locale: str) -> str:
    """A reason code (``death``, or ``bank: account closed`` with the detail after it) in words."""
    head = (code or "").split(":", 1)[0].strip()
    return gettext(locale, views.REASONS[head]) if head in views.REASONS else ""


def reduces(change: views.ChangeRead) -> bool:
    if change.kind in REDUCING:
        return True
    if change.kind == "amount_changed" and change.from_amount is not None and change.to_amount is not None:
        return float(change.to_amount) < float(change.from_amount)
    return False


def payment(p: views.PaymentRead, locale: str) -> dict[str, Any]:
    state = gettext(locale, PAYMENT_STATES.get(p.state, p.state))
    reason = reason_words(p.reason, locale) if p.state != "paid" else ""
    # Refused by the bank says it already: the reason is told when it says more.
    return {
        "p": p,
        "period": month(p.period, locale),
        "state_label": state,
        "reason": "" if reason == state else reason,
    }


def presented(e: views.EntitlementRead, catalog: Catalog, locale: str) -> dict[str, Any]:
    """An entitlement with everything in the reader's words, for the templates."""
    spec = catalog.latest(e.service_id)
    return {
        "e": e,
        "title": service_title(catalog, e.service_id, locale),
        "state_label": gettext(locale, ENTITLEMENT_STATES.get(e.state, e.state)),
        "kind_label": gettext(locale, KINDS.get(e.kind, e.kind)),
        "method": payment_method(spec, e.payment_method, locale),
        "start": month(e.start_period, locale),
        "reason": reason_words(e.reason, locale),
        "payments": [payment(p, locale) for p in e.payments],
        "changes": [
            {
                "c": c,
                "label": gettext(locale, CHANGE_KINDS.get(c.kind, c.kind)),
                "period": month(c.period, locale),
                "reason": reason_words(c.reason_code, locale),
                "rights": gettext(locale, views.RIGHTS) if reduces(c) else "",
            }
            for c in e.changes
        ],
    }


# --- the beneficiary ---------------------------------------------------------------------------


@get("/benefits", name="my-benefits")
async def my_benefits(request: Request, ctx: HubContext) -> Response:
    require(request, "citizen")
    locale = page_locale(request)
    actor = actor_of(request)
    found = await views.my_entitlements(actor)
    offered = await offers.offers(actor, ctx.catalog)
    return render_page(
        request,
        "benefits.html",
        entitlements=[presented(e, ctx.catalog, locale) for e in found],
        open=[(o, gettext(locale, KINDS[o.kind])) for o in offered if o.open],
        closed=[o for o in offered if not o.open],
    )


# --- the paying department ---------------------------------------------------------------------


def kept_by(user: Principal, catalog: Catalog, locale: str) -> list[dict[str, Any]]:
    """The benefit services whose register ``user`` may keep, with their department."""
    return [
        {
            "id": s.id,
            "title": gettext(locale, s.title),
            "department": department(catalog, s.owner, locale).name,
            "may_run": cycles.may_run_cycles(user, s.owner),
        }
        for s in views.benefit_services(catalog)
        if views.may_keep_register(user, s)
    ]


@get("/workbench/benefits", name="benefit-services")
async def benefit_services(request: Request, ctx: HubContext) -> Response:
    user = require(request, *REGISTER_ROLES)
    return render_page(request, "benefit_services.html", services=kept_by(user, ctx.catalog, page_locale(request)))


@get("/workbench/benefits/{service_id:str}", name="benefit-register")
async def register_page(
    request: Request,
    ctx: HubContext,
    service_id: str,
    shown: str = Parameter(query="state", default=""),
    after: int = Parameter(default=0, ge=0, le=MAX_ID),
) -> Response:
    require(request, *REGISTER_ROLES)
    locale = page_locale(request)
    state = shown if shown in ENTITLEMENT_STATES else ""
    page = await views.register(actor_of(request), ctx.catalog, service_id, state or None, after, PAGE_SIZE)
    spec = views.benefit_service(ctx.catalog, service_id)
    return render_page(
        request,
        "benefit_register.html",
        service_id=service_id,
        title=service_title(ctx.catalog, service_id, locale),
        monthly=spec.benefit is not None and spec.benefit.kind == "monthly",
        page=page,
        state=state,
        after=after,
        total=sum(page.counts.values()),
        filters=[
            (code, gettext(locale, label), page.counts.get(code, 0)) for code, label in ENTITLEMENT_STATES.items()
        ],
        rows=[
            {
                "r": r,
                "state_label": gettext(locale, ENTITLEMENT_STATES.get(r.state, r.state)),
                "start": month(r.start_period, locale),
                "reason": reason_words(r.reason, locale),
            }
            for r in page.rows
        ],
    )


def may_change(user: Principal, catalog: Catalog, service_id: str) -> bool:
    """The paying department's staff suspend and resume (the domain checks it again)."""
    spec = catalog.latest(service_id)
    return spec is not None and user.role in STAFF_ROLES and user.department == spec.owner


async def render_entitlement(
    request: Request,
    ctx: HubContext,
    entitlement_id: int,
    status: int = 200,
    reason_error: str = "",
    reason: str = "",
    error: str = "",
    message: str = "",
    reason_move: str = "",
) -> Response:
    user = require(request)
    locale = page_locale(request)
    actor = actor_of(request)
    found = await views.entitlement(actor, ctx.catalog, entitlement_id)
    staff = may_change(user, ctx.catalog, found.service_id)
    pending = await views.proposals(actor, ctx.catalog, entitlement_id) if staff else []
    return render_page(
        request,
        "entitlement.html",
        status=status,
        item=presented(found, ctx.catalog, locale),
        # Someone else's entitlement is not found for a citizen: on this page, it is their own.
        own=user.role == "citizen",
        staff=staff,
        may_see_register=user.role in REGISTER_ROLES,
        move={"active": "suspend", "suspended": "resume"}.get(found.state, "") if not pending else "",
        may_end=found.state in ("active", "suspended") and not pending,
        proposals=[{"p": p, "label": gettext(locale, CHANGE_KINDS.get(p.kind, p.kind))} for p in pending],
        reason_error=reason_error,
        reason=reason,
        # Which form the reason's error belongs to: the ending one, or the suspending/resuming one.
        reason_move=reason_move,
        error=error,
        message=message,
    )


@get(["/workbench/benefits/entitlements/{entitlement_id:int}", "/benefits/{entitlement_id:int}"], name="entitlement")
async def entitlement_page(request: Request, ctx: HubContext, entitlement_id: int, done: str = "") -> Response:
    message = gettext(page_locale(request), DONE[done]) if done in DONE else ""
    return await render_entitlement(request, ctx, entitlement_id, message=message)


def reason_message(locale: str, problem: HubError) -> str:
    """What is wrong with the reason, in the words the form needs (a text, not a list of options)."""
    error = problem.errors[0]
    if error.code == "too_long":
        error = FieldError(field=error.field, code="string_too_long", context=error.context)
    elif error.code == "required":
        return gettext(locale, NO_REASON)
    return field_message(locale, error)


def _text(form: Any, key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""


@post("/workbench/benefits/entitlements/{entitlement_id:int}/changes", name="entitlement-change")
async def change_post(request: Request, ctx: HubContext, entitlement_id: int) -> Response:
    require(request, *STAFF_ROLES)
    locale = page_locale(request)
    form = await request.form()
    reason = _text(form, "reason")
    try:
        made = await changes.change_entitlement(
            actor_of(request), ctx.catalog, entitlement_id, _text(form, "move"), reason, ctx.temporal
        )
    except HubError as problem:
        if problem.errors and problem.errors[0].field == "reason":
            return await render_entitlement(
                request,
                ctx,
                entitlement_id,
                status=422,
                reason_error=reason_message(locale, problem),
                reason=reason,
                reason_move=_text(form, "move"),
            )
        if status_of(problem) in (409, 422):
            params = dict(problem.params)
            if "state" in params:  # the entitlement's state, in words
                params["state"] = gettext(locale, ENTITLEMENT_STATES.get(params["state"], params["state"]))
            message = gettext(locale, problem.detail or problem.title, **params)
            return await render_entitlement(request, ctx, entitlement_id, status=status_of(problem), error=message)
        raise
    done = "proposed" if made.pending else made.state.replace("active", "resumed")
    return Redirect(path=f"/workbench/benefits/entitlements/{entitlement_id}?done={done}", status_code=303)


@post("/workbench/benefits/changes/{change_id:int}/confirmation", name="entitlement-change-confirmation")
async def confirm_post(request: Request, ctx: HubContext, change_id: int) -> Response:
    require(request, *STAFF_ROLES)
    form = await request.form()
    entitlement_id = _text(form, "entitlement")
    try:
        made = await changes.confirm_change(actor_of(request), ctx.catalog, change_id, ctx.temporal)
    except HubError as problem:
        shown = whole_number(entitlement_id)
        if status_of(problem) in (403, 409) and shown is not None and shown <= MAX_ID:
            message = gettext(page_locale(request), problem.detail or problem.title, **problem.params)
            return await render_entitlement(request, ctx, shown, status=status_of(problem), error=message)
        raise
    return Redirect(path=f"/workbench/benefits/entitlements/{made.entitlement_id}?done=confirmed", status_code=303)


# --- the payment cycles ------------------------------------------------------------------------


async def render_cycles(
    request: Request,
    ctx: HubContext,
    service_id: str,
    status: int = 200,
    period: str = "",
    period_error: str = "",
    error: str = "",
    message: str = "",
) -> Response:
    user = require(request, *REGISTER_ROLES)
    locale = page_locale(request)
    found = await views.cycles(actor_of(request), ctx.catalog, service_id)
    spec = views.benefit_service(ctx.catalog, service_id)
    return render_page(
        request,
        "benefit_cycles.html",
        status=status,
        service_id=service_id,
        title=gettext(locale, spec.title),
        cycles=[
            {
                "c": c,
                "period": month(c.period, locale),
                "state_label": gettext(locale, CYCLE_STATES.get(c.state, c.state)),
            }
            for c in found
        ],
        may_run=cycles.may_run_cycles(user, spec.owner),
        period=period or cycles.current_period(ctx.catalog, service_id),
        period_error=period_error,
        error=error,
        message=message,
    )


@get("/workbench/benefits/{service_id:str}/cycles", name="benefit-cycles")
async def cycles_page(request: Request, ctx: HubContext, service_id: str, started: str = "") -> Response:
    locale = page_locale(request)
    message = gettext(locale, CYCLE_STARTED, period=month(started, locale)) if cycles.PERIOD.match(started) else ""
    return await render_cycles(request, ctx, service_id, message=message)


@post("/workbench/benefits/{service_id:str}/cycles", name="benefit-cycle-run")
async def run_cycle(request: Request, ctx: HubContext, service_id: str) -> Response:
    require(request, *REGISTER_ROLES)
    locale = page_locale(request)
    form = await request.form()
    period = _text(form, "period").strip()[:20]
    try:
        await cycles.start_cycle(ctx, actor_of(request), service_id, period)
    except HubError as problem:
        status = status_of(problem)
        if problem.errors:
            return await render_cycles(
                request, ctx, service_id, status, period, period_error=field_message(locale, problem.errors[0])
            )
        if problem.code == "cycle-not-due":
            # The month and the day as the reader's language writes them.
            due = dt.date.fromisoformat(problem.params["date"])
            detail = gettext(locale, problem.detail, period=month(period, locale), date=format_date(due, locale))
            return await render_cycles(request, ctx, service_id, status, period, period_error=detail)
        if status == 503:
            message = gettext(locale, problem.title)
            return await render_cycles(request, ctx, service_id, status, period, error=message)
        raise
    return Redirect(path=f"/workbench/benefits/{service_id}/cycles?started={period}", status_code=303)


BENEFITS = [
    my_benefits,
    benefit_services,
    register_page,
    entitlement_page,
    change_post,
    confirm_post,
    cycles_page,
    run_cycle,
]
