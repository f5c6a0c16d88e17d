"""Opening claims (by the enterprise, or by an apply-free program for it) and starting their workflows."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from forms.catalog import Catalog
from forms.programs import ProgramSpec
from hub.clock import beijing_date, now
from hub.db.records import add_timeline, move_request
from hub.db.tables import Claim, Program, ServiceRequest
from hub.db.transactions import writing
from hub.i18n import N_
from hub.subsidies.programs import parse_spec, program_service
from workflows.names import REQUESTS_QUEUE, claim_workflow_id, request_workflow_id
from workflows.subsidies.claim import SubsidyClaimWorkflow
from workflows.subsidies.types import ClaimInput
from workflows.types import RequestInput

log = logging.getLogger("qinqing.claims")
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# "declined" is never stored: it is how a claim its preparer prepared and someone else of the
# enterprise (its approver) declined is shown, stored refused as withdrawn (``declined_by``).
FINAL_CLAIM_STATES = ("paid", "refused", "failed", "declined")

CLAIM_STATE_LABELS = {
    "offered": N_("Offered: confirm to receive"),
    "prepared": N_("Prepared, waiting for the approver to submit"),
    "submitted": N_("Submitted"),
    "checking": N_("Being checked"),
    "reviewing": N_("Under review"),
    "approved": N_("Approved, payment under way"),
    "paid": N_("Paid"),
    "refused": N_("Refused"),
    "failed": N_("Payment failed"),
    "declined": N_("Declined"),
}
CLAIM_REASONS = {
    "ineligible": N_("The enterprise does not meet the program's conditions."),
    "program_closed": N_("The program is not open for claims."),
    "budget_exhausted": N_(
        "The program's budget is used up: the amount cannot be paid in full, so nothing was paid. "
        "The claim can be made again if the budget is increased."
    ),
    "rejected_in_review": N_("The reviewing department did not approve the claim."),
    "withdrawn": N_("The claim was withdrawn."),
    # Not a refusal by the government: the enterprise's approver did not submit what was prepared.
    "declined": N_("Nothing was submitted or paid, and the program can be claimed again."),
    "review_ended": N_("The review ended without a decision; nothing was paid. The claim can be made again."),
    "payment_refused": N_(
        "The bank refused the payment because the enterprise's settlement account is not open. Nothing "
        "was paid and the reserved amount went back to the budget. Update the account and claim again."
    ),
}


class AlreadyClaimed(Exception):
    """The enterprise has a claim on this program for this period already."""

    def __init__(self, claim: Claim):
        super().__init__(claim.ref)
        self.claim = claim


def new_claim_ref(at: dt.datetime) -> str:
    """A claim's reference: its day (Beijing time, as the documents date it) and 8 random characters."""
    return f"BT{beijing_date(at):%y%m%d}" + "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def claim_scope(program: Program, enterprise_id: int) -> str:
    return f"{program.code}:{enterprise_id}:{program.period}"


async def existing_claim(program: Program, enterprise_id: int) -> Claim | None:
    return await Claim.objects().where(Claim.scope == claim_scope(program, enterprise_id)).first()


async def offer(program: Program, enterprise_ids: list[int], at: dt.datetime) -> None:
    """Offer an apply-free program's money to eligible enterprises (one statement; those with a
    claim for the period already are left as they are)."""
    offers = []
    for enterprise_id in enterprise_ids:
        ref = new_claim_ref(at)
        offers.append(
            Claim(
                ref=ref,
                workflow_id=claim_workflow_id(ref),
                program=program.id,
                enterprise=enterprise_id,
                request=None,
                scope=claim_scope(program, enterprise_id),
                state="offered",
                created_at=at,
                updated_at=at,
            )
        )
    if offers:
        await Claim.insert(*offers).on_conflict(target=Claim.scope, action="DO NOTHING")


async def submit(
    program: Program,
    spec: ProgramSpec,
    catalog: Catalog,
    enterprise_id: int,
    account_id: int,
    answers: dict[str, Any] | None = None,
    rule_results: list[dict] | None = None,
    locale: str = "zh_CN",
    prepared: bool = False,
    amount_cents: int = 0,
) -> Claim:
    """File the claim and its request in one transaction (taking up an offer if there is one).
    A claim ``prepared`` by an enterprise's preparer waits for its approver to submit it.
    ``amount_cents`` is the amount assessed when it was filed, shown until the workflow's own
    assessment replaces it (a claim under review is reviewed for that amount).

    Raises ``AlreadyClaimed`` when the enterprise claimed this program for this period already."""
    state = "prepared" if prepared else "submitted"
    stamp = now()
    scope = claim_scope(program, enterprise_id)
    async with writing():
        claim = await Claim.objects().where(Claim.scope == scope).first()
        if claim is not None and claim.state != "offered":
            raise AlreadyClaimed(claim)
        ref = claim.ref if claim else new_claim_ref(stamp)
        service = program_service(spec, catalog)
        inserted = await ServiceRequest.insert(
            ServiceRequest(
                ref=ref,
                workflow_id=request_workflow_id(ref),
                service_id=service.id,
                service_version=service.version,
                applicant=account_id,
                idempotency_scope=f"claim:{scope}:{ref}",
                payload_hash="",
                # A prepared claim's request is prepared too: submitted when the approver submits it.
                state=state,
                answers=json.dumps(answers or {}, ensure_ascii=False),
                rule_results=json.dumps(rule_results or [], ensure_ascii=False),
                locale=locale,
                created_at=stamp,
                updated_at=stamp,
            )
        ).returning(ServiceRequest.id)
        request_id = inserted[0]["id"]
        if not prepared:
            await add_timeline(f"request:{request_id}:submitted", request_id, "submitted", stamp)
        values = dict(
            request=request_id,
            submitted_by=None if prepared else account_id,
            state=state,
            amount_cents=amount_cents,
            updated_at=stamp,
        )
        if claim is not None:
            await Claim.update({getattr(Claim, k): v for k, v in values.items()}).where(Claim.id == claim.id)
        else:
            await Claim.insert(
                Claim(
                    ref=ref,
                    workflow_id=claim_workflow_id(ref),
                    program=program.id,
                    enterprise=enterprise_id,
                    scope=scope,
                    created_at=stamp,
                    **values,
                )
            )
    stored = await Claim.objects().where(Claim.ref == ref).first()
    assert stored is not None, "the claim was just stored"
    return stored


async def submit_prepared(claim: Claim, approver_id: int) -> Claim | None:
    """The approver submits a claim its enterprise's preparer prepared; None when it was not waiting."""
    stamp = now()
    async with writing():
        updated = (
            await Claim.update({Claim.state: "submitted", Claim.submitted_by: approver_id, Claim.updated_at: stamp})
            .where((Claim.id == claim.id) & (Claim.state == "prepared"))
            .returning(Claim.id)
        )
        if updated and claim.request:
            await ServiceRequest.update({ServiceRequest.state: "submitted", ServiceRequest.updated_at: stamp}).where(
                (ServiceRequest.id == claim.request) & (ServiceRequest.state == "prepared")
            )
            await add_timeline(f"request:{claim.request}:submitted", claim.request, "submitted", stamp)
    return await Claim.objects().where(Claim.id == claim.id).first() if updated else None


async def withdraw_prepared(claim: Claim) -> bool:
    """Withdraw a claim that is only prepared (its approver has not submitted it, so no workflow
    runs): it ends refused as withdrawn, as a claim withdrawn in review does, its request is
    withdrawn, and the period is free again (withdrawn by someone other than its preparer, it is
    shown as declined: ``presenter.declined_by``). False when the claim is no longer prepared."""
    stamp = now()
    async with writing():
        updated = (
            await Claim.update(
                {
                    Claim.state: "refused",
                    Claim.reason_code: "withdrawn",
                    Claim.scope: f"{claim.scope}#{claim.ref}",
                    Claim.updated_at: stamp,
                }
            )
            .where((Claim.id == claim.id) & (Claim.state == "prepared"))
            .returning(Claim.id)
        )
        if updated and claim.request:
            await move_request(claim.request, "withdrawn", stamp)
    return bool(updated)


def withdrawn_before_submission(state: str, reason_code: str | None, submitted_by: int | None) -> bool:
    """Whether a claim (its state, reason and submitter) ended withdrawn while only prepared
    (``withdraw_prepared``): nobody ever submitted it, where a claim withdrawn in review names who
    submitted it. ``WITHDRAWN_BEFORE_SUBMISSION`` is the same as a query's condition."""
    return state == "refused" and reason_code == "withdrawn" and submitted_by is None


WITHDRAWN_BEFORE_SUBMISSION = (
    (Claim.state == "refused") & (Claim.reason_code == "withdrawn") & Claim.submitted_by.is_null()
)


def claim_input(claim: Claim, program: ProgramSpec, request: dict[str, Any], catalog: Catalog) -> ClaimInput:
    """What the claim's workflow starts with; ``request`` holds its request's id, ref, service,
    service version and locale."""
    review = None
    if program.mode == "apply":
        service = catalog.version(request["service_id"], request["service_version"])
        assert service is not None, "a filed request's version stays in the catalog"
        review = RequestInput(
            request_id=request["id"],
            ref=request["ref"],
            service_id=service.id,
            service_version=service.version,
            locale=request["locale"],
            route=service.route,
            documents_on_approval=["decision"],
            documents_on_rejection=["decision"],
            # The amount is the program's, assessed and reserved before the review.
            amount_formula=None,
        )
    return ClaimInput(
        claim_id=claim.id,
        ref=claim.ref,
        request_id=request["id"],
        program_id=claim.program,
        mode=program.mode,
        locale=request["locale"],
        review=review,
    )


async def start_claim(client: Client, claim: Claim, catalog: Catalog):
    """Start the claim's workflow; harmless when it runs already. Returns its handle."""
    # The program's spec and the claim's request, in one read.
    started = (
        await Claim.select(
            Claim.program.spec.as_alias("spec"),
            Claim.request.id.as_alias("id"),
            Claim.request.ref.as_alias("ref"),
            Claim.request.service_id.as_alias("service_id"),
            Claim.request.service_version.as_alias("service_version"),
            Claim.request.locale.as_alias("locale"),
        )
        .where(Claim.id == claim.id)
        .first()
    )
    assert started is not None, "a claim is started once it is stored"
    try:
        return await client.start_workflow(
            SubsidyClaimWorkflow.run,
            claim_input(claim, parse_spec(started["spec"]), started, catalog),
            id=claim.workflow_id,
            task_queue=REQUESTS_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A claim is worked once: a finished workflow is never run again.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=dt.timedelta(seconds=5),
        )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(claim.workflow_id)


async def resume_unstarted_claims(client: Client, catalog: Catalog, waited: dt.timedelta = dt.timedelta(0)) -> int:
    """Start the workflows of claims stored while Temporal was unreachable, if they have waited at
    least ``waited`` since."""
    claims = await Claim.objects().where((Claim.state == "submitted") & (Claim.updated_at <= now() - waited))
    for claim in claims:
        await start_claim(client, claim, catalog)
    if claims:
        log.info("passed %d waiting claim(s) on to their workflows", len(claims))
    return len(claims)
