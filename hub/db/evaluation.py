"""Evaluating a route's conditions, automatic checks and amount formulas (the ``RequestRules`` port).

Expressions come from the workflow's input (the spec version the request was filed under); the
data comes from the stored answers and what the registries hold about the applicant.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from temporalio.exceptions import ApplicationError

from forms.catalog import Catalog
from forms.rules import compute_amount, context, evaluate, holds
from forms.spec import ServiceSpec
from hub.clock import beijing_date
from hub.db.records import add_timeline, load_json
from hub.db.tables import ServiceRequest
from hub.db.transactions import writing
from hub.profiles import applicant_data, person_facts
from hub.sealing import open_answers
from workflows.types import ChecksOutcome, RunChecks, SettleAmount, StageCondition


async def request_names(
    spec: ServiceSpec, row: ServiceRequest, purpose: str, today: dt.date | None = None
) -> dict[str, Any]:
    """What a request's rules and formulas see: its answers as they stand and the registries' data."""
    profile, enterprise = await applicant_data(row.applicant, purpose)
    answers = open_answers(spec.personal_fields, load_json(row.answers))
    names = context(spec, answers, profile, enterprise, today)
    if spec.benefit is not None:
        names["person"] = await person_facts(str(answers.get("resident_id") or ""), names["today"], purpose) or {}
    return names


async def amount_to_grant(spec: ServiceSpec, row: ServiceRequest) -> Decimal | None:
    """The amount the service's formula grants for the request as it stands (None without one);
    raises what the formula raises."""
    if not spec.granted_amount:
        return None
    return compute_amount(spec.granted_amount, await request_names(spec, row, "amount granted"))


class PiccoloRequestRules:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    async def _names(
        self, request_id: int, purpose: str, today: dt.date | None = None
    ) -> tuple[ServiceRequest, dict[str, Any]]:
        row = await ServiceRequest.objects().where(ServiceRequest.id == request_id).first()
        if row is None:
            raise LookupError(f"request {request_id} is not stored")
        spec = self.catalog.version(row.service_id, row.service_version)
        if spec is None:
            raise LookupError(f"service {row.service_id} v{row.service_version} is not in the catalog")
        return row, await request_names(spec, row, purpose, today)

    async def stage_applies(self, condition: StageCondition) -> bool:
        _, names = await self._names(condition.request_id, "route condition", beijing_date(condition.at))
        applies = holds(condition.expression, names)
        if not applies:
            async with writing():
                await add_timeline(
                    f"{condition.key}:skipped",
                    condition.request_id,
                    "stage_skipped",
                    condition.at,
                    stage_id=condition.stage_id,
                )
        return applies

    async def run_checks(self, checks: RunChecks) -> ChecksOutcome:
        row, names = await self._names(checks.request_id, "automatic check", beijing_date(checks.at))
        results = evaluate(checks.checks, names)
        failed = [r for r in results if not r.passed]
        recorded = [r.model_dump() | {"stage": checks.stage_id} for r in results]
        async with writing():
            # Replace this stage's results (a retried activity writes the same ones again).
            current = [c for c in load_json(row.check_results or "[]") if c.get("stage") != checks.stage_id]
            await ServiceRequest.update(
                {ServiceRequest.check_results: json.dumps(current + recorded, ensure_ascii=False)}
            ).where(ServiceRequest.id == checks.request_id)
            await add_timeline(
                f"{checks.key}:checked",
                checks.request_id,
                "check_failed" if failed else "check_passed",
                checks.at,
                stage_id=checks.stage_id,
                detail=json.dumps([r.message for r in failed], ensure_ascii=False),
            )
        return ChecksOutcome(passed=not failed, failed=[r.rule for r in failed])

    async def settle_amount(self, settle: SettleAmount) -> str:
        _, names = await self._names(settle.request_id, "amount granted")
        try:
            amount = str(compute_amount(settle.formula, names))
        except Exception as exc:  # a formula that fails on real data is a catalog mistake, not a transient error
            raise ApplicationError(f"the amount formula failed: {exc}", non_retryable=True) from None
        async with writing():
            await ServiceRequest.update({ServiceRequest.amount: amount}).where(ServiceRequest.id == settle.request_id)
        return amount
