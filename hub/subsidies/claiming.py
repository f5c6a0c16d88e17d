"""An enterprise claims a program (the API and the pages alike): eligibility and budget checked
now, the claim stored (prepared, for a preparer), submitted by the approver, and passed on to its
workflow, whose answer for instant redemption is usually the money itself."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from forms.programs import assess
from forms.validation import FieldError
from hub import clock
from hub.actor import Actor
from hub.audit import record
from hub.context import HubContext
from hub.db import is_unique_violation
from hub.db.records import first
from hub.db.tables import Claim
from hub.db.transactions import writing
from hub.enterprises import may_submit, require_approver
from hub.errors import HubError, invalid_form, not_found
from hub.i18n import N_
from hub.notifications import announce, claim_prepared_event
from hub.registry import enterprise_registry, one_look
from hub.requests.filing import MAX_ANSWERS, checked_answers, eligibility
from hub.subsidies.access import caller_enterprise
from hub.subsidies.claims import (
    CLAIM_REASONS,
    FINAL_CLAIM_STATES,
    AlreadyClaimed,
    existing_claim,
    start_claim,
    submit,
    submit_prepared,
)
from hub.subsidies.messages import settle_waiting
from hub.subsidies.programs import cents, load_program, program_service, spec_of, stored_program

log = logging.getLogger("qinqing.programs")


def already_claimed(claim: Claim) -> HubError:
    """The enterprise has a claim on the program for this period already."""
    return HubError(
        "conflict",
        "already-claimed",
        N_("Already claimed"),
        N_("The enterprise has claimed this program for this period already (claim {ref})."),
        params={"ref": claim.ref},
    )


def not_prepared() -> HubError:
    """The claim is not waiting for its approver."""
    return HubError("conflict", "not-prepared", N_("Not waiting"), N_("This claim is not waiting to be submitted."))


async def file_claim(actor: Actor, ctx: HubContext, code: str, answers_in: dict[str, Any]) -> tuple[Claim, str]:
    """Claim a program for the caller's enterprise: checks eligibility and budget now, stores the
    claim (prepared, for a preparer) and returns it with the program's mode, or "prepared"."""
    user = actor.user
    locale = actor.locale
    program = await load_program(code)
    spec = spec_of(program)
    enterprise_id = caller_enterprise(actor)
    assert user is not None, "caller_enterprise refuses a caller who is not signed in"
    today = clock.today()
    if program.status != "published" or not spec.open_on(today):
        raise HubError("invalid", "program-closed", N_("Program closed"), CLAIM_REASONS["program_closed"])
    existing = await existing_claim(program, enterprise_id)
    if existing is not None and existing.state == "submitted" and existing.request:
        # Stored before, but its workflow could not be started then: this call passes it on.
        return existing, spec.mode
    if existing is not None and existing.state != "offered":
        raise already_claimed(existing)
    # The program's conditions and, in apply mode, its form's prefill and rules read the enterprise
    # once: its record, which holds what both need (one audit event for the claim).
    async with one_look(f"claim of program {code}", whole_record=spec.mode == "apply", account=user.id):
        profile = await enterprise_registry().profile(enterprise_id, purpose=f"eligibility for program {code}")
        assessment = assess(spec, profile or {}, today)
        if not assessment.eligible:
            raise HubError(
                "invalid",
                "not-eligible",
                N_("Not eligible"),
                N_("The enterprise does not meet the program's conditions. Nothing was saved."),
                rules=[
                    {"rule": r.criterion, "passed": r.passed, "message": r.reason.in_locale(locale)}
                    for r in assessment.results
                ],
            )
        # Refused before anything is stored; the workflow's reservation is what guarantees the money.
        remaining = program.budget_cents - program.reserved_cents - program.paid_cents
        if cents(assessment.amount) > remaining:
            raise HubError("invalid", "budget-exhausted", N_("Budget used up"), CLAIM_REASONS["budget_exhausted"])
        answers: dict[str, Any] = {}
        rule_results: list[dict] = []
        if spec.mode == "apply":
            service = program_service(spec, ctx.catalog)
            if len(answers_in) > MAX_ANSWERS:
                raise invalid_form([FieldError(field="answers", code="too_many_fields")])
            answers, profile, registry_data = await checked_answers(service, answers_in, user)
            stored_results, _ = eligibility(service, answers, profile, registry_data, locale)
            rule_results = json.loads(stored_results)
        elif answers_in:
            raise invalid_form([FieldError(field="answers", code="extra_forbidden")])
    # A preparer prepares; the enterprise's approver submits (submit_prepared_claim).
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
            await record(actor, user, action, "claim", claim.ref, program=code, request=claim.ref)
    except AlreadyClaimed as exc:
        raise already_claimed(exc.claim) from None
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # The same claim sent twice at once: on PostgreSQL both may read it as not yet made, and the
        # second to store it is refused by its unique keys (and rolled back). It is told of the first.
        existing = await existing_claim(program, enterprise_id)
        if existing is None or existing.state == "offered":
            raise
        raise already_claimed(existing) from None
    if prepared:
        # The approver is told it waits for them (if Temporal cannot be reached now, the
        # held-messages schedule tells them on its next run).
        await announce(ctx.temporal, claim_prepared_event(claim.workflow_id, claim.ref, claim.request))
    return claim, "prepared" if prepared else spec.mode


async def submit_prepared_claim(actor: Actor, ref: str) -> tuple[Claim | None, str]:
    """The approver submits a claim its enterprise's preparer prepared. Returns the submitted claim
    and its program's mode; None when it was not waiting."""
    user = actor.user
    claim = await Claim.objects().where(Claim.ref == ref).first()
    if claim is None or user is None or user.enterprise != claim.enterprise:
        raise not_found()
    require_approver(user)
    async with writing():
        submitted = await submit_prepared(claim, user.id)
        if submitted is not None:
            await record(actor, user, "claim.submitted", "claim", ref, request=ref)
            # The approvers' message that it waits says it was submitted, with the change.
            await settle_waiting(ref)
    program = await stored_program(claim.program)
    return submitted, program.mode


async def pass_on(ctx: HubContext, claim: Claim, mode: str) -> tuple[Claim, bool]:
    """Start the claim's workflow; for instant redemption, wait (briefly) for the money. Returns the
    claim as it stands and whether that is its answer (finished, or filed for review) rather than
    still under way."""
    try:
        if ctx.temporal is None:
            raise RuntimeError("no Temporal client")
        handle = await start_claim(ctx.temporal, claim, ctx.catalog)
    except Exception:
        log.exception("could not start the workflow of claim %s", claim.ref)
        raise HubError(
            "unavailable",
            "workflow-unavailable",
            N_("Claim saved, processing not started yet"),
            N_("Your claim {ref} was saved but could not be passed on yet. Send it again to continue."),
            params={"ref": claim.ref},
            retry_after=5,
        ) from None
    if mode != "apply":
        try:
            await asyncio.wait_for(handle.result(), timeout=ctx.settings.claim_wait_seconds)
        except TimeoutError:
            pass  # still under way: the claim as it stands is the answer
        except Exception:  # noqa: BLE001 - the claim's own state tells the caller what happened
            log.exception("claim %s", claim.ref)
    # What the workflow changes, read back onto the claim: cheaper than a whole new Claim object.
    current = await first(
        Claim,
        "SELECT state, amount_cents, reason_code, payment_ref, paid_at, updated_at FROM claim WHERE id = {}",
        claim.id,
    )
    assert current is not None, "a claim is passed on once it is stored"
    for column, value in current.items():
        setattr(claim, column, value)
    return claim, claim.state in FINAL_CLAIM_STATES or mode == "apply"
