"""What a payment cycle does with one entitlement for one period: pay it (at the amount its formula
gives over the registry's facts that day), change its amount, end it, or set it aside with a reason.

Pure: no I/O, so the same facts always give the same assessment, which makes a repeated chunk after
a crash do exactly what the first attempt did.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from forms.rules import compute_amount, evaluate_expression, evaluator

from .types import Assessment, DueEntitlement, PersonFacts, period_start

CENTS = Decimal(100)


def typed_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """The stored answers a formula reads, typed as at filing: ``values`` by name, ``types`` by
    name (``group.field`` inside a group): money and numbers exact, dates as dates."""
    values, types = inputs.get("values", {}), inputs.get("types", {})

    def convert(field_type: str | None, value: Any) -> Any:
        if value is None:
            return None
        if field_type in ("money", "number"):
            return Decimal(str(value))
        if field_type == "date":
            return dt.date.fromisoformat(str(value))
        return value

    typed: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, list):
            typed[name] = [{k: convert(types.get(f"{name}.{k}"), v) for k, v in item.items()} for item in value]
        else:
            typed[name] = convert(types.get(name), value)
    return typed


def amount_and_band(
    amount_formula: str, band_formula: str, inputs: dict[str, Any], person: dict[str, Any], on: dt.date
) -> tuple[int, str]:
    """The amount (cents) and band a benefit's formulas give; raises when they cannot be computed."""
    names = {**typed_inputs(inputs), "person": person, "profile": {}, "enterprise": {}, "today": on}
    using = evaluator(names)
    cents = int(compute_amount(amount_formula, names, using) * CENTS)
    band = str(evaluate_expression(band_formula, names, using)) if band_formula else ""
    return cents, band


def assess(due: DueEntitlement, facts: PersonFacts | None, period: str) -> Assessment:
    """The cycle's decision for one entitlement and period."""
    start = period_start(period)
    if facts is None:
        return Assessment(entitlement_id=due.id, set_aside="no-registry-record")
    if facts.died_on is not None and facts.died_on < start:
        # Died before the period: nothing more is paid, and anything paid for later periods is owed back.
        return Assessment(entitlement_id=due.id, end="death", ended_on=facts.died_on)
    if facts.moved_out_on is not None and facts.moved_out_on < start:
        return Assessment(entitlement_id=due.id, end="moved-out", ended_on=facts.moved_out_on)
    if not facts.resident:
        return Assessment(entitlement_id=due.id, end="moved-out", ended_on=start)
    person = facts.as_names(start)
    try:
        cents, band = amount_and_band(due.amount_formula, due.band_formula, due.inputs, person, start)
    except Exception as exc:  # noqa: BLE001 - one bad entitlement is set aside, the cycle goes on
        return Assessment(entitlement_id=due.id, set_aside="formula-failed", detail=str(exc)[:200])
    if cents <= 0 or cents > due.maximum_cents:
        return Assessment(entitlement_id=due.id, set_aside="absurd-amount", detail=f"{cents / 100:.2f}")
    assessment = Assessment(entitlement_id=due.id, pay_cents=cents)
    if cents != due.amount_cents or band != due.band:
        assessment.new_cents, assessment.new_band = cents, band
    if due.kind == "one_off":
        assessment.end = "paid-in-full"
    elif facts.died_on is not None:
        # Died during the period: it is paid in full, and it is the last.
        assessment.end, assessment.ended_on = "death", facts.died_on
    return assessment
