"""Withdrawal: the applicant takes a request back before its final decision."""

from __future__ import annotations

from forms.validation import plain_text
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.tables import Claim, ServiceRequest
from hub.db.transactions import writing
from hub.enterprises import require_approver_to_withdraw
from hub.i18n import N_
from hub.notifications import announce, claim_declined_event
from hub.requests.access import load_own_request, reread, signed_in
from hub.requests.updates import send_applicant_update
from hub.subsidies import settle_waiting, withdraw_prepared
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import Withdrawal


async def withdraw_request(ctx: HubContext, actor: Actor, ref: str, reason: str) -> ServiceRequest:
    """The applicant withdraws their request before its final decision (the API and the pages both
    come here); the request as it stands. Raises a conflict once it is decided or being decided, and forbidden
    when an enterprise's preparer would withdraw what the approver submitted."""
    user = signed_in(actor)
    row = await load_own_request(ref, user)
    # A claim's request is stored with its claim; whether it is only prepared is the claim's state.
    claim = await Claim.objects().where(Claim.request == row.id).first()
    if (claim.state if claim else row.state) == "prepared":  # never started: nothing to tell a workflow
        # A prepared claim taken back by someone other than its preparer (the approver) is declined.
        declined = claim if claim is not None and user.id != row.applicant else None
        async with writing():
            if claim is not None:
                withdrawn = await withdraw_prepared(claim)
            else:
                withdrawn = bool(
                    await ServiceRequest.update(
                        {
                            ServiceRequest.state: "withdrawn",
                            ServiceRequest.closed_at: now(),
                            ServiceRequest.updated_at: now(),
                        }
                    )
                    .where((ServiceRequest.id == row.id) & (ServiceRequest.state == "prepared"))
                    .returning(ServiceRequest.id)
                )
            if withdrawn:
                await record(actor, user, "request.withdrawn", "request", row.ref)
                if declined is not None:
                    await record(actor, user, "claim.declined", "claim", declined.ref, request=row.ref)
                if claim is not None:
                    # The approvers' message that it waits says what became of it, with the change.
                    await settle_waiting(claim.ref)
        if withdrawn:
            if declined is not None:
                # Its preparer is told it was declined (after the change is stored).
                await announce(ctx.temporal, claim_declined_event(declined.workflow_id, declined.ref, row.id, user.id))
            return await reread(row.id)
        # Submitted by the approver meanwhile: withdrawn, if at all, as a submitted request is.
    # Only the approver submits an enterprise's request, and only the approver takes it back.
    require_approver_to_withdraw(user)
    await send_applicant_update(
        ctx,
        row,
        ServiceRequestWorkflow.withdraw,
        Withdrawal(reason=plain_text(reason)[:2000]),
        N_("This request is already decided or being decided, and can no longer be withdrawn."),
    )
    await record(actor, user, "request.withdrawn", "request", row.ref)
    return row
