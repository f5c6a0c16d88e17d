"""The benefits' register in the database (the ``BenefitRegister`` port): entitlements granted from
approved requests, the cycles, and each entitlement's payment per period. Every write is keyed, so
a step repeated after a crash records once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from forms.catalog import Catalog
from forms.rules import free_names
from forms.spec import ServiceSpec
from hub.clock import beijing_date
from hub.db.records import first
from hub.db.tables import BenefitPayment, Entitlement, EntitlementChange, PaymentCycle, ServiceRequest
from hub.db.transactions import writing
from hub.payments import post_recovery
from hub.registry.population import resident_key
from hub.sealing import open_answers, seal, unseal
from workflows.benefits.activities import PURPOSE, payment_key
from workflows.benefits.assess import amount_and_band
from workflows.benefits.ports import PopulationRegistry
from workflows.benefits.types import (
    CloseCycle,
    CycleSummary,
    CycleTotals,
    DueEntitlement,
    Granted,
    GrantEntitlement,
    OpenCycle,
    RecordChunk,
    period_of,
    period_start,
)

CENTS = Decimal(100)
# Names a benefit formula reads that are not answers.
NOT_ANSWERS = {"person", "profile", "enterprise", "today"}


def formula_inputs(spec: ServiceSpec, answers: dict[str, Any], *formulas: str) -> dict[str, Any]:
    """The answers the formulas read, and their types: all an entitlement keeps of the form
    (data minimisation: the address, the phone, the hardship story stay with the request)."""
    read = set().union(*(free_names(f) for f in formulas if f)) - NOT_ANSWERS
    values = {name: answers.get(name) for name in sorted(read) if name in spec.field_names}
    types: dict[str, str] = {}
    for name in values:
        f = spec.field(name)
        types[name] = f.type
        for sub in f.fields:
            types[f"{name}.{sub.name}"] = sub.type
    return {"values": values, "types": types}


class PiccoloBenefitRegister:
    def __init__(self, catalog: Catalog, population: PopulationRegistry):
        self._catalog = catalog
        self._population = population

    async def grant(self, grant: GrantEntitlement) -> Granted:
        """The entitlement of an approved request (the first one, if granted before), at the amount
        its formula gives over the registry's facts this month."""
        key = f"request:{grant.request_id}"
        existing = await _granted(key)
        if existing is not None:
            return existing
        row = await ServiceRequest.objects().where(ServiceRequest.id == grant.request_id).first()
        assert row is not None, "an approved request is stored"
        spec = self._catalog.version(row.service_id, row.service_version)
        assert spec is not None, "a request's service version stays in the catalog while it runs"
        answers = open_answers(
            spec.personal_fields, json.loads(row.answers) if isinstance(row.answers, str) else row.answers
        )
        terms = grant.terms
        resident_id = str(answers.get("resident_id") or "")
        start = period_of(beijing_date(grant.at))
        facts = (await self._population.facts([resident_id], period_start(start), PURPOSE)).get(resident_id)
        inputs = formula_inputs(spec, answers, terms.amount_formula, terms.band_formula or "")
        maximum_cents = int(Decimal(terms.maximum) * CENTS)
        state, reason, cents, band = "active", "", 0, ""
        if facts is None:
            state, reason = "suspended", "no-registry-record"
        else:
            try:
                cents, band = amount_and_band(
                    terms.amount_formula,
                    terms.band_formula or "",
                    inputs,
                    facts.as_names(period_start(start)),
                    period_start(start),
                )
            except Exception:  # noqa: BLE001 - recorded as the reason; a clerk resumes it once fixed
                state, reason = "suspended", "formula-failed"
            else:
                if not 0 < cents <= maximum_cents:
                    state, reason = "suspended", "absurd-amount"
        method = str(answers.get(terms.payment_method_field) or "bank") if terms.payment_method_field else "bank"
        account = str(answers.get(terms.account_field) or "") if terms.account_field else ""
        async with writing():
            inserted = (
                await Entitlement.insert(
                    Entitlement(
                        key=key,
                        service_id=row.service_id,
                        service_version=row.service_version,
                        holder_key=resident_key(resident_id),
                        resident_id=seal(resident_id, "entitlement.resident_id"),
                        full_name=seal(str(answers.get("full_name") or ""), "entitlement.full_name"),
                        account=row.applicant,
                        request=row.id,
                        kind=terms.kind,
                        amount_formula=terms.amount_formula,
                        band_formula=terms.band_formula or "",
                        maximum_cents=maximum_cents,
                        inputs=seal(json.dumps(inputs, ensure_ascii=False, default=str), "entitlement.inputs"),
                        amount_cents=cents,
                        band=band,
                        payment_method=method,
                        payee_account=seal(account, "entitlement.payee_account") if account else "",
                        payment_day=terms.payment_day,
                        start_period=start,
                        state=state,
                        reason=reason,
                        created_at=grant.at,
                        updated_at=grant.at,
                    )
                )
                .on_conflict(target=Entitlement.key, action="DO NOTHING")
                .returning(Entitlement.id)
            )
            if inserted:
                await EntitlementChange.insert(
                    EntitlementChange(
                        key=f"{inserted[0]['id']}:granted",
                        entitlement=inserted[0]["id"],
                        kind="granted",
                        at=grant.at,
                        period=start,
                        to_state=state,
                        to_cents=cents,
                        to_band=band,
                        reason_code=reason,
                    )
                )
                if state == "active":  # a suspended grant has no amount yet: the request shows none
                    await ServiceRequest.update({ServiceRequest.amount: f"{Decimal(cents) / CENTS:.2f}"}).where(
                        ServiceRequest.id == row.id
                    )
        granted = await _granted(key)
        assert granted is not None
        return granted

    async def open_cycle(self, opening: OpenCycle) -> int:
        key = f"{opening.service_id}:{opening.period}"
        async with writing():
            await PaymentCycle.raw(
                "INSERT INTO payment_cycle (key, service_id, period, state, runs, last_run, started_at, started_by, "
                "paid, paid_cents, refused, set_aside, ended, changed, overpaid, overpaid_cents) "
                "VALUES ({}, {}, {}, 'running', 1, {}, {}, {}, 0, 0, 0, 0, 0, 0, 0, 0) "
                "ON CONFLICT (key) DO UPDATE SET runs = payment_cycle.runs + 1, last_run = excluded.last_run, "
                "state = 'running', started_at = excluded.started_at, started_by = excluded.started_by, finished_at = NULL "
                "WHERE payment_cycle.last_run <> excluded.last_run",
                key,
                opening.service_id,
                opening.period,
                opening.run_key,
                opening.at,
                opening.started_by,
            )
        row = await first(PaymentCycle, "SELECT id FROM payment_cycle WHERE key = {}", key)
        assert row is not None
        return int(row["id"])

    async def due(self, service_id: str, period: str, after_id: int, limit: int) -> list[DueEntitlement]:
        # Whether a candidate was paid is asked of its payment's own key (``payment_key``), through the
        # unique index: a chunk costs its own rows, whatever the statistics say. Asked by entitlement and
        # period, PostgreSQL went by the period's index while the month was new to its statistics
        # (every cycle's start, until the next ANALYZE) and read the whole month so far for every
        # candidate: 2 seconds a chunk at 20,000 entitlements. As a scalar subquery it stays a probe
        # per candidate instead of becoming a join over the payments of every month.
        rows = await Entitlement.raw(
            "SELECT e.id, e.kind, e.resident_id, e.amount_formula, e.band_formula, e.maximum_cents, e.inputs, "
            "e.amount_cents, e.band, e.payee_account, e.payment_method FROM entitlement e "
            "WHERE e.service_id = {} AND e.state = 'active' AND e.start_period <= {} AND e.id > {} "
            "AND (SELECT COUNT(*) FROM benefit_payment p WHERE p.key = 'benefit:' || e.id || ':' || {} "
            "AND p.state IN ('paid', 'refused')) = 0 ORDER BY e.id LIMIT {}",
            service_id,
            period,
            after_id,
            period,
            limit,
        )
        return [
            DueEntitlement(
                id=r["id"],
                kind=r["kind"],
                resident_id=unseal(r["resident_id"], "entitlement.resident_id") or "",
                amount_formula=r["amount_formula"],
                band_formula=r["band_formula"] or "",
                maximum_cents=int(r["maximum_cents"]),
                inputs=json.loads(unseal(r["inputs"], "entitlement.inputs") or "{}"),
                amount_cents=int(r["amount_cents"]),
                band=r["band"] or "",
                payee_account=unseal(r["payee_account"], "entitlement.payee_account") or "",
                payment_method=r["payment_method"],
            )
            for r in rows
        ]

    async def still_active(self, ids: list[int]) -> set[int]:
        active: set[int] = set()
        for first_row in range(0, len(ids), ROWS_PER_STATEMENT):
            batch = ids[first_row : first_row + ROWS_PER_STATEMENT]
            rows = await Entitlement.raw(
                "SELECT id FROM entitlement WHERE state = 'active' AND id IN (" + ", ".join(["{}"] * len(batch)) + ")",
                *batch,
            )
            active |= {int(r["id"]) for r in rows}
        return active

    async def record(self, chunk: RecordChunk) -> CycleTotals:
        """A chunk's outcome in a handful of statements, whatever its size: its payments in one
        multi-row upsert (a few, for the largest chunks), its amount changes in a few more; only ends
        and recoveries, rare, go one entitlement at a time. Keyed as before: a chunk recorded again
        records nothing twice."""
        receipts = {r.key: r for r in chunk.receipts}
        totals = CycleTotals()
        payments: dict[str, tuple] = {}
        for a in chunk.assessments:
            key = payment_key(a.entitlement_id, chunk.period)
            if a.set_aside is not None:
                payments[key] = (a.entitlement_id, "set_aside", 0, "", _reason(a.set_aside, a.detail))
                totals.set_aside += 1
            if a.pay_cents > 0:
                receipt = receipts[key]
                if receipt.paid:
                    payments[key] = (a.entitlement_id, "paid", a.pay_cents, receipt.payment_ref, "")
                    totals.paid += 1
                    totals.paid_cents += a.pay_cents
                else:
                    payments[key] = (a.entitlement_id, "refused", a.pay_cents, "", _reason("bank", receipt.reason))
                    totals.refused += 1
        changes = {
            a.entitlement_id: (a.new_cents, a.new_band or "") for a in chunk.assessments if a.new_cents is not None
        }
        async with writing():
            await _payments(chunk, payments)
            # Stopped while the bank paid (suspended or ended by a clerk, or after a broken
            # commitment, since the chunk last looked): the money went, and is owed back, once.
            paid = [p[0] for p in payments.values() if p[1] == "paid"]
            if paid:
                count, cents = await _recover_stopped(chunk, paid)
                totals.overpaid += count
                totals.overpaid_cents += cents
            changed = list(changes.items())
            for first_row in range(0, len(changed), ROWS_PER_STATEMENT):
                totals.changed += await _change_amounts(
                    chunk, dict(changed[first_row : first_row + ROWS_PER_STATEMENT])
                )
            for a in chunk.assessments:
                if a.end is not None:
                    if await _end(a.entitlement_id, chunk, a.end, a.ended_on):
                        totals.ended += 1
                    # Paid for months after a death or a move out of the city the registry learnt of late.
                    if a.ended_on is not None and a.end in ("death", "moved-out"):
                        count, cents = await _recover_after(a.entitlement_id, chunk, a.ended_on)
                        totals.overpaid += count
                        totals.overpaid_cents += cents
        return totals

    async def close_cycle(self, closing: CloseCycle) -> CycleSummary:
        cycle = await first(
            PaymentCycle, "SELECT id, service_id, period FROM payment_cycle WHERE id = {}", closing.cycle_id
        )
        assert cycle is not None
        totals = await cycle_totals(cycle["service_id"], cycle["period"])
        async with writing():
            await PaymentCycle.update(
                {
                    PaymentCycle.state: "finished",
                    PaymentCycle.finished_at: closing.at,
                    **{getattr(PaymentCycle, name): value for name, value in totals.model_dump().items()},
                }
            ).where(PaymentCycle.id == closing.cycle_id)
        return CycleSummary(cycle_id=cycle["id"], service_id=cycle["service_id"], period=cycle["period"], totals=totals)


async def cycle_totals(service_id: str, period: str) -> CycleTotals:
    """A period's totals, counted from what is recorded (so a re-run's totals are the period's, not the run's)."""
    rows = await BenefitPayment.raw(
        "SELECT state, COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents FROM benefit_payment "
        "WHERE service_id = {} AND period = {} GROUP BY state",
        service_id,
        period,
    )
    by_state = {r["state"]: (int(r["n"]), int(r["cents"])) for r in rows}
    over = await BenefitPayment.raw(
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents FROM benefit_payment "
        "WHERE service_id = {} AND period = {} AND overpaid",
        service_id,
        period,
    )
    changes = await EntitlementChange.raw(
        "SELECT c.kind, COUNT(*) AS n FROM entitlement_change c JOIN entitlement e ON e.id = c.entitlement "
        "WHERE e.service_id = {} AND c.period = {} AND c.made_by IS NULL GROUP BY c.kind",
        service_id,
        period,
    )
    by_kind = {r["kind"]: int(r["n"]) for r in changes}
    return CycleTotals(
        paid=by_state.get("paid", (0, 0))[0],
        paid_cents=by_state.get("paid", (0, 0))[1],
        refused=by_state.get("refused", (0, 0))[0],
        set_aside=by_state.get("set_aside", (0, 0))[0],
        ended=by_kind.get("ended", 0),
        changed=by_kind.get("amount_changed", 0),
        overpaid=int(over[0]["n"]),
        overpaid_cents=int(over[0]["cents"]),
    )


async def _granted(key: str) -> Granted | None:
    row = await first(Entitlement, "SELECT id, state, amount_cents, start_period FROM entitlement WHERE key = {}", key)
    if row is None:
        return None
    return Granted(
        entitlement_id=row["id"],
        state=row["state"],
        amount_cents=int(row["amount_cents"]),
        start_period=row["start_period"],
    )


# Rows per multi-row statement: 11 parameters a payment stays well inside both databases' limits.
ROWS_PER_STATEMENT = 1000


def _reason(reason: str, detail: str) -> str:
    return f"{reason}: {detail}" if detail else reason


def _values(rows: int, row: str) -> str:
    return ", ".join(row for _ in range(rows))


async def _payments(chunk: RecordChunk, payments: dict[str, tuple]) -> None:
    """Each entitlement's payment for the period (key -> entitlement, state, cents, reference,
    reason), in multi-row upserts; a paid one is never overwritten."""
    items = list(payments.items())
    for first_row in range(0, len(items), ROWS_PER_STATEMENT):
        batch = items[first_row : first_row + ROWS_PER_STATEMENT]
        await BenefitPayment.raw(
            "INSERT INTO benefit_payment (key, entitlement, cycle, service_id, period, amount_cents, state, "
            "payment_ref, reason, paid_at, overpaid, recovery_ref) VALUES "
            + _values(len(batch), "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, false, '')")
            + " ON CONFLICT (key) DO UPDATE SET state = excluded.state, amount_cents = excluded.amount_cents, "
            "payment_ref = excluded.payment_ref, reason = excluded.reason, paid_at = excluded.paid_at, "
            "cycle = excluded.cycle WHERE benefit_payment.state <> 'paid'",
            *[
                v
                for key, (entitlement_id, state, cents, ref, reason) in batch
                for v in (
                    key,
                    entitlement_id,
                    chunk.cycle_id,
                    chunk.service_id,
                    chunk.period,
                    cents,
                    state,
                    ref,
                    reason,
                    chunk.at if state == "paid" else None,
                )
            ],
        )


async def _change_amounts(chunk: RecordChunk, changes: dict[int, tuple[int, str]]) -> int:
    """New amounts (entitlement -> cents, band) from this period on, each recorded once as a change
    from the amount it had; returns how many changed now (not in an earlier attempt)."""
    if not changes:
        return 0
    ids = list(changes)
    current = {
        r["id"]: r
        for r in await Entitlement.raw(
            f"SELECT id, amount_cents, band FROM entitlement WHERE id IN ({', '.join('{}' for _ in ids)})", *ids
        )
    }
    inserted = await EntitlementChange.raw(
        "INSERT INTO entitlement_change (key, entitlement, kind, at, period, from_state, to_state, from_cents, "
        "to_cents, from_band, to_band, reason_code, reason, made_by, confirmed_by) VALUES "
        + _values(
            len(ids), "({}, {}, 'amount_changed', {}, {}, 'active', 'active', {}, {}, {}, {}, {}, '', NULL, NULL)"
        )
        + " ON CONFLICT (key) DO NOTHING RETURNING entitlement",
        *[
            v
            for entitlement_id, (cents, band) in changes.items()
            for v in (
                f"{entitlement_id}:{chunk.period}:amount",
                entitlement_id,
                chunk.at,
                chunk.period,
                current[entitlement_id]["amount_cents"],
                cents,
                current[entitlement_id]["band"],
                band,
                "age-band" if band != current[entitlement_id]["band"] else "amount",
            )
        ],
    )
    # The entitlements changed now, by their new amount and band (a benefit has a few of each).
    by_amount: dict[tuple[int, str], list[int]] = {}
    for row in inserted:
        by_amount.setdefault(changes[row["entitlement"]], []).append(row["entitlement"])
    for (cents, band), changed in by_amount.items():
        await Entitlement.raw(
            f"UPDATE entitlement SET amount_cents = {{}}, band = {{}}, updated_at = {{}} "
            f"WHERE id IN ({', '.join('{}' for _ in changed)})",
            cents,
            band,
            chunk.at,
            *changed,
        )
    return len(inserted)


async def _end(entitlement_id: int, chunk: RecordChunk, reason: str, ended_on: Any) -> bool:
    ended = await Entitlement.raw(
        "UPDATE entitlement SET state = 'ended', reason = {}, ended_on = {}, updated_at = {} "
        "WHERE id = {} AND state <> 'ended' RETURNING id",
        reason,
        ended_on or period_start(chunk.period),
        chunk.at,
        entitlement_id,
    )
    if ended:
        await EntitlementChange.raw(
            "INSERT INTO entitlement_change (key, entitlement, kind, at, period, from_state, to_state, reason_code, "
            "reason, from_band, to_band) VALUES ({}, {}, 'ended', {}, {}, 'active', 'ended', {}, '', '', '') "
            "ON CONFLICT (key) DO NOTHING",
            f"{entitlement_id}:{chunk.period}:ended",
            entitlement_id,
            chunk.at,
            chunk.period,
            reason,
        )
    return bool(ended)


async def _recover_stopped(chunk: RecordChunk, paid: list[int]) -> tuple[int, int]:
    """The period's payments just made to entitlements no longer active become receivables."""
    count = total = 0
    for first_row in range(0, len(paid), ROWS_PER_STATEMENT):
        batch = paid[first_row : first_row + ROWS_PER_STATEMENT]
        rows = await BenefitPayment.raw(
            "SELECT p.id, p.key, p.entitlement, p.amount_cents FROM benefit_payment p "
            "JOIN entitlement e ON e.id = p.entitlement WHERE e.state <> 'active' AND p.period = {} "
            "AND p.state = 'paid' AND NOT p.overpaid AND p.entitlement IN (" + ", ".join(["{}"] * len(batch)) + ")",
            chunk.period,
            *batch,
        )
        for row in rows:
            cents = int(row["amount_cents"])
            ref = await post_recovery(row["key"], int(row["entitlement"]), chunk.service_id, cents, chunk.at)
            await BenefitPayment.raw(
                "UPDATE benefit_payment SET overpaid = true, recovery_ref = {} WHERE id = {}", ref, row["id"]
            )
            count += 1
            total += cents
    return count, total


async def _recover_after(entitlement_id: int, chunk: RecordChunk, died_on: Any) -> tuple[int, int]:
    """Payments for periods after a death (or a move away) are overpayments: each becomes a
    receivable, once."""
    after = period_of(died_on)
    rows = await BenefitPayment.raw(
        "SELECT id, key, amount_cents FROM benefit_payment WHERE entitlement = {} AND state = 'paid' "
        "AND period > {} AND NOT overpaid",
        entitlement_id,
        after,
    )
    total = 0
    for row in rows:
        ref = await post_recovery(row["key"], entitlement_id, chunk.service_id, int(row["amount_cents"]), chunk.at)
        await BenefitPayment.raw(
            "UPDATE benefit_payment SET overpaid = true, recovery_ref = {} WHERE id = {}", ref, row["id"]
        )
        total += int(row["amount_cents"])
    return len(rows), total
