"""Passing a stored request on to its workflow, once, whoever asks first."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from forms.catalog import Catalog
from forms.spec import ServiceSpec
from hub.clock import now
from hub.commitments import commitment_terms
from hub.db.tables import Claim, ServiceRequest
from workflows.benefits.types import BenefitTerms
from workflows.names import REQUESTS_QUEUE
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import RequestInput

log = logging.getLogger("qinqing.intake")
START_TIMEOUT = timedelta(seconds=5)


def benefit_terms(spec: ServiceSpec) -> BenefitTerms | None:
    """What an approval of this service grants, fixed when the request is filed."""
    if spec.benefit is None:
        return None
    b = spec.benefit
    return BenefitTerms(
        kind=b.kind,
        amount_formula=b.amount,
        band_formula=b.band,
        maximum=str(b.maximum),
        payment_method_field=b.payment_method_field,
        account_field=b.account_field,
        payment_day=b.payment_day,
    )


def request_input(request_id: int, ref: str, locale: str, spec: ServiceSpec, answers: object = None) -> RequestInput:
    """What a request's workflow is started with: its route and outcome, fixed at filing (and, for a
    request filed on commitment, read from its ``answers``, the post-check that follows)."""
    return RequestInput(
        request_id=request_id,
        ref=ref,
        service_id=spec.id,
        service_version=spec.version,
        locale=locale,
        route=spec.route,
        documents_on_approval=list(spec.outcome.on_approval),
        documents_on_rejection=list(spec.outcome.on_rejection),
        amount_formula=spec.outcome.amount,
        benefit=benefit_terms(spec),
        instant=spec.instant,
        commitment=commitment_terms(spec, answers),
    )


async def start_workflow(client: Client, row: ServiceRequest, spec: ServiceSpec) -> None:
    """Start the request's workflow; harmless when it is already running or finished."""
    try:
        await client.start_workflow(
            ServiceRequestWorkflow.run,
            request_input(row.id, row.ref, row.locale, spec, row.answers),
            id=row.workflow_id,
            task_queue=REQUESTS_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # Fail fast while Temporal is unreachable: the request is stored and will be passed on.
            rpc_timeout=START_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        pass  # finished already: the same request, nothing to do


async def resume_unstarted(client: Client, catalog: Catalog, waited: timedelta = timedelta(0)) -> int:
    """Start the workflows of stored requests that were never passed on (e.g. Temporal was down
    when they were filed and the applicant did not retry), if they have waited at least ``waited``
    since. Returns how many were (re)started."""
    rows = await ServiceRequest.objects().where(
        (ServiceRequest.state == "submitted")
        & (ServiceRequest.updated_at <= now() - waited)
        # A life event's part is started by the case's own workflow, as its child.
        & ServiceRequest.life_event_case.is_null()
    )
    # A claim's request is started by the claim's own workflow.
    waiting = [row.id for row in rows]
    claimed = (
        {r["request"] for r in await Claim.select(Claim.request).where(Claim.request.is_in(waiting))}
        if waiting
        else set()
    )
    started = 0
    for row in rows:
        if row.id in claimed:
            continue
        spec = catalog.version(row.service_id, row.service_version)
        if spec is None:
            log.error(
                "request %s: service %s v%s is no longer in the catalog", row.ref, row.service_id, row.service_version
            )
            continue
        await start_workflow(client, row, spec)
        started += 1
    if started:
        log.info("passed %d waiting request(s) on to their workflows", started)
    return started
