"""The post-check of a commitment (the ``CommitmentChecks`` port): the department's finding, and
what a broken commitment undoes. All in one transaction, keyed by the request: a finding recorded
again (a retried activity) changes nothing more."""

from __future__ import annotations

import logging

from hub.clock import beijing_date
from hub.db.records import COMMENT_FIELD, add_timeline, first, sealed_text
from hub.db.tables import BenefitPayment, CommitmentRecord, Document, Entitlement, ReviewTask, ServiceRequest
from hub.db.transactions import writing
from hub.documents.issuer import revoke
from hub.payments import post_recovery
from workflows.types import POST_CHECK_STAGE, SettleCommitment

from .signing import REASON_FIELD

log = logging.getLogger("qinqing.commitments")

# The documents a broken commitment revokes: what the approval granted (the receipt stays valid,
# as the request was received).
REVOKED_KINDS = ("decision", "certificate")


class PiccoloCommitmentChecks:
    async def settle(self, outcome: SettleCommitment) -> None:
        """Kept: the commitment is closed. Broken: the decision and certificate are revoked, the
        benefit it granted is ended and every payment made on it is owed back (a receivable in the
        ledger), the request reads as revoked with the reason, and the applicant is barred."""
        async with writing():
            row = await first(
                CommitmentRecord,
                "SELECT id, outcome FROM commitment_record WHERE request = {}",
                outcome.request_id,
            )
            if row is None:
                log.error("request %s: a post-check without a signed commitment", outcome.request_id)
                return
            if row["outcome"] != "pending":
                return  # recorded before: this is a retry
            request = await ServiceRequest.objects().where(ServiceRequest.id == outcome.request_id).first()
            assert request is not None, "a request with a commitment is stored"
            recovered = 0 if outcome.kept else await _undo(outcome, request)
            await CommitmentRecord.update(
                {
                    CommitmentRecord.outcome: "kept" if outcome.kept else "broken",
                    CommitmentRecord.reason: sealed_text(outcome.reason, REASON_FIELD) or "",
                    CommitmentRecord.checked_at: outcome.at,
                    CommitmentRecord.checked_by: outcome.clerk_id,
                    CommitmentRecord.recovered_cents: recovered,
                }
            ).where(CommitmentRecord.id == row["id"])
            await _close_task(outcome)
            await add_timeline(
                f"{outcome.key}:{'kept' if outcome.kept else 'broken'}",
                outcome.request_id,
                "commitment_kept" if outcome.kept else "commitment_broken",
                outcome.at,
                stage_id=POST_CHECK_STAGE,
                # Sealed: the reason is the clerk's own words, and the applicant reads it.
                detail="" if outcome.kept else outcome.reason,
            )


async def _close_task(outcome: SettleCommitment) -> None:
    """The post-check task in the inbox: done, with the finding (the clerk's move is audited where
    it is made)."""
    await ReviewTask.update(
        {
            ReviewTask.state: "approved" if outcome.kept else "rejected",
            ReviewTask.decided_at: outcome.at,
            ReviewTask.decided_by: outcome.clerk_id,
            ReviewTask.comment: sealed_text(outcome.reason, COMMENT_FIELD) or "",
            ReviewTask.reason_code: "commitment-kept" if outcome.kept else "commitment-broken",
        }
    ).where(ReviewTask.key == outcome.task_key)


async def _undo(outcome: SettleCommitment, request: ServiceRequest) -> int:
    """What a broken commitment undoes; returns the cents owed back."""
    documents = await Document.select(Document.id).where(
        (Document.request == request.id) & Document.kind.is_in(list(REVOKED_KINDS))
    )
    for document in documents:
        await revoke(document["id"], outcome.clerk_id, "commitment_broken", outcome.reason)
    recovered = 0
    entitlement = await Entitlement.objects().where(Entitlement.request == request.id).first()
    if entitlement is not None:
        await Entitlement.raw(
            "UPDATE entitlement SET state = 'ended', reason = 'clerk', ended_on = {}, updated_at = {} "
            "WHERE id = {} AND state <> 'ended'",
            beijing_date(outcome.at),
            outcome.at,
            entitlement.id,
        )
        await Entitlement.raw(
            "INSERT INTO entitlement_change (key, entitlement, kind, at, period, from_state, to_state, reason_code, "
            "reason, from_band, to_band, made_by) VALUES ({}, {}, 'ended', {}, '', {}, 'ended', 'clerk', {}, '', '', {}) "
            "ON CONFLICT (key) DO NOTHING",
            f"{entitlement.id}:commitment-broken",
            entitlement.id,
            outcome.at,
            entitlement.state,
            sealed_text(outcome.reason, REASON_FIELD) or "",
            outcome.clerk_id,
        )
        paid = await BenefitPayment.raw(
            "SELECT id, key, amount_cents FROM benefit_payment WHERE entitlement = {} AND state = 'paid' "
            "AND NOT overpaid ORDER BY id",
            entitlement.id,
        )
        for payment in paid:
            cents = int(payment["amount_cents"])
            ref = await post_recovery(payment["key"], entitlement.id, entitlement.service_id, cents, outcome.at)
            await BenefitPayment.raw(
                "UPDATE benefit_payment SET overpaid = true, recovery_ref = {} WHERE id = {}", ref, payment["id"]
            )
            recovered += cents
    await ServiceRequest.raw(
        "UPDATE service_request SET state = 'revoked', updated_at = {}, closed_at = {} WHERE id = {} AND state = 'approved'",
        outcome.at,
        outcome.at,
        request.id,
    )
    await add_timeline(f"request:{request.id}:revoked", request.id, "request_revoked", outcome.at)
    return recovered
