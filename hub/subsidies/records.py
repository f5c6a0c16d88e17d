"""The hub's adapters for the subsidy workflows: claims in the read model, and matching."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from temporalio.client import Client

from forms.catalog import Catalog
from forms.programs import assess
from hub.clock import beijing_date
from hub.db.records import add_timeline, first, move_request
from hub.db.tables import Account, Claim, Program, ProgramMatch, ServiceRequest
from hub.db.transactions import writing
from hub.registry import EnterpriseRegistry
from hub.subsidies.claims import FINAL_CLAIM_STATES, offer, start_claim, submit
from hub.subsidies.messages import MessageOutbox, record_refusal
from hub.subsidies.programs import cents, parse_spec, spec_of, stored_program
from workflows.subsidies.types import (
    Assessed,
    ClaimChange,
    ClaimState,
    ClaimStep,
    MatchBatch,
    MatchProgress,
    MatchSummary,
)
from workflows.types import TimelineKind

log = logging.getLogger("qinqing.subsidies")
# Timeline steps of a claim, by the claim state that records them.
# An approved claim is not among them: its request is approved with it ("request_approved", the
# decision's step, written by ``move_request``), and the same approval twice read as two.
TIMELINE_KINDS: dict[ClaimState, TimelineKind] = {
    "paid": "payment_made",
    "refused": "claim_refused",
    "failed": "payment_failed",
}


def money(cents_: int) -> Decimal:
    return (Decimal(cents_) / 100).quantize(Decimal("0.01"))


class PiccoloClaimRecords:
    def __init__(self, registry: EnterpriseRegistry, outbox: MessageOutbox | None = None):
        self.registry = registry
        # Where a refusal records the message telling the enterprise why (hub/subsidies/messages.py).
        self.outbox = outbox

    async def assess(self, step: ClaimStep) -> Assessed:
        """Evaluate the program against the enterprise's registry data as it is now, and record why."""
        # The claim, its request's locale and its program in one read, written as SQL: building the
        # same joined select with Piccolo for every claim cost more than running it.
        claim = await first(
            Claim,
            "SELECT c.id, c.ref, c.enterprise, c.request, r.locale, p.status, p.spec FROM claim c "
            "JOIN program p ON p.id = c.program LEFT JOIN service_request r ON r.id = c.request WHERE c.id = {}",
            step.claim_id,
        )
        assert claim is not None, "a claim's workflow runs for a stored claim"
        program = claim
        spec = parse_spec(program["spec"])
        today = beijing_date(step.at)
        if program["status"] != "published" or not spec.open_on(today):
            return Assessed(eligible=False, reason="program_closed")
        profile = await self.registry.profile(claim["enterprise"], purpose=f"eligibility of claim {claim['ref']}")
        assessment = assess(spec, profile or {}, today)
        locale = claim["locale"]
        results = [
            {"rule": r.criterion, "passed": r.passed, "message": r.reason.in_locale(locale)} for r in assessment.results
        ]
        amount = cents(assessment.amount)
        async with writing():
            await ServiceRequest.raw(
                "UPDATE service_request SET rule_results = {}, check_results = {}, amount = {}, "
                "expected_amount = {}, state = 'in_review', updated_at = {} WHERE id = {} AND state = 'submitted'",
                json.dumps(results, ensure_ascii=False),
                json.dumps([r for r in results if not r["passed"]], ensure_ascii=False),
                str(assessment.amount) if assessment.eligible else None,
                str(assessment.amount),
                step.at,
                claim["request"],
            )
            await Claim.raw(
                "UPDATE claim SET state = 'checking', amount_cents = {}, updated_at = {} "
                "WHERE id = {} AND state = 'submitted'",
                amount,
                step.at,
                claim["id"],
            )
            failed = [r["message"] for r in results if not r["passed"]]
            await add_timeline(
                f"claim:{claim['id']}:assessed",
                claim["request"],
                "eligibility_passed" if assessment.eligible else "eligibility_failed",
                step.at,
                detail=json.dumps(failed, ensure_ascii=False) if failed else "",
            )
        return Assessed(
            eligible=assessment.eligible, reason=None if assessment.eligible else "ineligible", amount_cents=amount
        )

    async def change(self, change: ClaimChange) -> None:
        # Written as SQL, as the other statements of an instant claim's steps (see ``assess``).
        values: dict[str, Any] = {"state": change.state, "updated_at": change.at}
        if change.reason:
            values["reason_code"] = change.reason
        if change.payment_ref:
            values["payment_ref"] = change.payment_ref
            values["paid_at"] = change.at
        to_send: list[str] = []
        async with writing():
            claim = await first(
                Claim, "SELECT id, ref, state, scope, request, amount_cents FROM claim WHERE id = {}", change.claim_id
            )
            assert claim is not None, "a claim's workflow runs for a stored claim"
            if claim["state"] in FINAL_CLAIM_STATES:
                return  # a retried, older change must not undo the outcome
            if change.state in ("refused", "failed"):
                # The period is free again: the enterprise may claim anew (e.g. with its account reopened).
                values["scope"] = f"{claim['scope']}#{claim['ref']}"
            request_id = claim["request"]
            if change.request_state and request_id:
                await move_request(request_id, change.request_state, change.at)
            await Claim.raw(
                "UPDATE claim SET " + ", ".join(f"{column} = {{}}" for column in values) + " WHERE id = {}",
                *values.values(),
                claim["id"],
            )
            kind = TIMELINE_KINDS.get(change.state)
            if kind and request_id:
                detail: str = change.reason or ""
                if change.state == "paid":
                    detail = f"{money(claim['amount_cents'])} {change.payment_ref}"
                await add_timeline(f"claim:{claim['id']}:{change.state}", request_id, kind, change.at, detail=detail)
            if change.state in ("refused", "failed") and change.reason and self.outbox is not None:
                # Told with the refusal, in its transaction: once, however often the step is retried.
                to_send = await record_refusal(self.outbox, claim["id"], change.reason)
        if self.outbox is not None:
            self.outbox.send(to_send)


class PiccoloMatching:
    """Evaluates a batch of the registry against a program; notifies and offers."""

    def __init__(self, registry: EnterpriseRegistry, catalog: Catalog, client: Client | None = None):
        self.registry = registry
        self.catalog = catalog
        self.client = client

    async def match_batch(self, batch: MatchBatch) -> MatchProgress:
        program = await stored_program(batch.program_id)
        spec = spec_of(program)
        profiles = await self.registry.batch(batch.after_id, batch.limit, purpose=f"matching program {program.code}")
        if not profiles:
            return MatchProgress(last_id=None, evaluated=0, eligible=0)
        today = beijing_date(batch.at)
        rows, eligible_ids = [], []
        for profile in profiles:
            a = assess(spec, profile, today)
            rows.append(
                ProgramMatch(
                    key=f"{program.id}:{profile['id']}",
                    program=program.id,
                    enterprise=profile["id"],
                    eligible=a.eligible,
                    near=a.near,
                    results=json.dumps([r.model_dump(mode="json") for r in a.results], ensure_ascii=False),
                    amount_cents=cents(a.amount),
                    evaluated_at=batch.at,
                )
            )
            if a.eligible:
                eligible_ids.append(profile["id"])
        async with writing():
            await ProgramMatch.insert(*rows).on_conflict(
                target=ProgramMatch.key,
                action="DO UPDATE",
                values=[
                    ProgramMatch.eligible,
                    ProgramMatch.near,
                    ProgramMatch.results,
                    ProgramMatch.amount_cents,
                    ProgramMatch.evaluated_at,
                ],
            )
            # The eligible enterprises are told by the matching workflow's notify activity, in the
            # one message centre (the older per-enterprise notification rows are no longer written).
            if spec.mode == "apply_free":
                await offer(program, eligible_ids, batch.at)
        if spec.mode == "apply_free" and spec.automatic:
            await self._pay_automatically(program, eligible_ids)
        return MatchProgress(last_id=profiles[-1]["id"], evaluated=len(profiles), eligible=len(eligible_ids))

    async def _pay_automatically(self, program: Program, enterprise_ids: list[int]) -> None:
        """Take up the offers for enterprises that have an account in the hub (it receives the notice).
        Enterprises without one keep their offer until they sign in."""
        if self.client is None or not enterprise_ids:
            return
        spec = spec_of(program)
        accounts = await Account.objects().where(Account.enterprise.is_in(enterprise_ids)).order_by(Account.id)
        first_account: dict[int, Account] = {}
        for account in accounts:
            first_account.setdefault(account.enterprise, account)
        for enterprise_id, account in first_account.items():
            offered = (
                await Claim.objects()
                .where((Claim.program == program.id) & (Claim.enterprise == enterprise_id) & (Claim.state == "offered"))
                .first()
            )
            if offered is None:
                continue
            claim = await submit(program, spec, self.catalog, enterprise_id, account.id, locale=account.locale)
            await start_claim(self.client, claim, self.catalog)

    async def finish(self, summary: MatchSummary) -> None:
        await Program.update(
            {
                Program.matched_at: summary.at,
                Program.matched_total: summary.evaluated,
                Program.matched_eligible: summary.eligible,
            }
        ).where(Program.id == summary.program_id)
