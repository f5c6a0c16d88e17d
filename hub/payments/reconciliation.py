"""The daily reconciliation: the ledger against the claims and the budgets, every difference flagged.

Checks, per program and overall:
- every paid claim has exactly one ledger payment, of its amount, under its key;
- no ledger payment exists for a claim that was refused or failed, or for no claim at all;
- the program's paid total equals its ledger payments and its consumed reservations;
- its reserved total equals the reservations still held, and none is held for a finished claim;
- its ledger account holds the budget less the payments, and the balance the account keeps equals
  the sum of its entries.

And per benefit (``benefits``), its cycles' payments against the ledger:
- every paid payment has its ledger payment (kind ``benefit``, under the payment's key), of its
  amount, and every ledger payment of a benefit has its paid payment;
- no entitlement is paid twice for one period (the keys forbid it; checked all the same);
- nothing is paid for a period after the entitlement ended unless it is marked overpaid, and every
  overpaid payment has its receivable (kind ``recovery``, key ``recovery:<payment key>``);
- each finished cycle's paid count and cents equal its period's paid payments;
- the benefit's account keeps the balance its entries sum to: minus what was paid, plus what is owed back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from typing import Any

from hub.actor import Actor
from hub.audit import record
from hub.clock import beijing_date, now
from hub.db.records import load_json
from hub.db.tables import (
    BenefitPayment,
    BudgetReservation,
    Claim,
    LedgerTransaction,
    PaymentCycle,
    Program,
    ReconciliationReport,
)
from hub.db.transactions import writing
from hub.errors import not_found
from hub.payments.ledger import balance, benefit_account, entries_total, program_account
from workflows.subsidies.types import ReconcileDay, ReconciliationOutcome

# A report belongs to the Beijing day it closes. The scheduled run, at 01:00 Beijing time, closes
# the day before, and so does any run before 02:00; later runs report on the day so far.
DAY_CLOSES_BY = dt.timedelta(hours=2)


def reconciliation_day(at: dt.datetime) -> dt.date:
    """The Beijing day a reconciliation run at ``at`` reports on."""
    return beijing_date(at - DAY_CLOSES_BY)


async def reconciliation_report(day: dt.date) -> dict[str, Any]:
    """Compare everything as it stands now; ``day`` names the report."""
    differences: list[dict[str, Any]] = []
    claims = {c["ref"]: c for c in await Claim.select().where(Claim.request.is_not_null())}
    by_workflow = {c["workflow_id"]: c for c in claims.values()}
    payments = await LedgerTransaction.select().where(LedgerTransaction.kind == "payment")
    paid_by_key = {p["idempotency_key"]: p for p in payments}
    per_reference = Counter(p["reference"] for p in payments)

    for ref, count in per_reference.items():
        if count > 1:
            differences.append({"kind": "paid_more_than_once", "claim": ref, "payments": count})
    for p in payments:
        claim = by_workflow.get(p["idempotency_key"].removesuffix(":payment"))
        if claim is None:
            differences.append({"kind": "payment_without_claim", "transaction": p["id"], "reference": p["reference"]})
        elif claim["state"] in ("refused", "failed", "submitted", "checking", "reviewing"):
            differences.append({"kind": "payment_for_unpaid_claim", "claim": claim["ref"], "state": claim["state"]})
    in_flight = 0
    for claim in claims.values():
        if claim["state"] == "paid":
            payment = paid_by_key.get(f"{claim['workflow_id']}:payment")
            if payment is None:
                differences.append({"kind": "paid_claim_without_payment", "claim": claim["ref"]})
            elif payment["amount_cents"] != claim["amount_cents"]:
                differences.append(
                    {
                        "kind": "amount_differs",
                        "claim": claim["ref"],
                        "claim_cents": claim["amount_cents"],
                        "ledger_cents": payment["amount_cents"],
                    }
                )
        elif claim["state"] == "approved":
            in_flight += 1  # approved, payment under way: not a difference yet

    reservations = await BudgetReservation.select()
    held: dict[int, int] = defaultdict(int)
    consumed: dict[int, int] = defaultdict(int)
    claim_state = {c["id"]: c["state"] for c in claims.values()}
    for r in reservations:
        if r["state"] == "held":
            held[r["program"]] += r["amount_cents"]
            if claim_state.get(r["claim"]) in ("paid", "refused", "failed"):
                differences.append({"kind": "reservation_left_open", "reservation": r["key"]})
        elif r["state"] == "consumed":
            consumed[r["program"]] += r["amount_cents"]

    ledger_paid_by_program: dict[int, int] = defaultdict(int)
    program_of_claim = {c["ref"]: c["program"] for c in claims.values()}
    for p in payments:
        if p["reference"] in program_of_claim:
            ledger_paid_by_program[program_of_claim[p["reference"]]] += p["amount_cents"]
    programs = []
    for program in await Program.select():
        pid, code = program["id"], program["code"]
        ledger_paid = ledger_paid_by_program[pid]
        account_balance = await balance(program_account(code))
        checks = {
            "balance_equals_entries": account_balance == await entries_total(program_account(code)),
            "paid_equals_ledger": program["paid_cents"] == ledger_paid,
            "paid_equals_consumed": program["paid_cents"] == consumed[pid],
            "reserved_equals_held": program["reserved_cents"] == held[pid],
            "within_budget": program["reserved_cents"] + program["paid_cents"] <= program["budget_cents"],
            "account_balance": account_balance == program["budget_cents"] - ledger_paid,
        }
        for name, ok in checks.items():
            if not ok:
                differences.append({"kind": name, "program": code})
        programs.append(
            {
                "program": code,
                "budget_cents": program["budget_cents"],
                "reserved_cents": program["reserved_cents"],
                "paid_cents": program["paid_cents"],
                "ledger_paid_cents": ledger_paid,
                "account_balance_cents": account_balance,
            }
        )
    benefits = await benefits_report(differences)
    return {
        "day": day.isoformat(),
        "claims_paid": sum(1 for c in claims.values() if c["state"] == "paid"),
        "claims_in_flight": in_flight,
        "ledger_payments": len(payments),
        "paid_cents": sum(c["amount_cents"] for c in claims.values() if c["state"] == "paid"),
        "ledger_cents": sum(p["amount_cents"] for p in payments),
        "programs": programs,
        "benefits": benefits,
        "differences": differences,
    }


# The benefit a ledger payment was paid from: the code of the account it debits, "benefit:<service id>".
_BENEFIT_OF_TRANSACTION = (
    "SELECT substr(a.code, 9) FROM ledger_entry e JOIN ledger_account a ON a.id = e.account "
    "WHERE e.\"transaction\" = t.id AND e.amount_cents < 0 AND a.code LIKE 'benefit:%'"
)


async def benefits_report(differences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The benefits' payments against the ledger, one entry per benefit with its cycles; each
    difference found is added to ``differences``. Every comparison is one query, whatever the size of
    the register: the rows compared stay in the database, only the differences come back."""
    raw = BenefitPayment.raw
    for row in await raw(
        "SELECT p.key, p.amount_cents FROM benefit_payment p LEFT JOIN ledger_transaction t "
        "ON t.idempotency_key = p.key AND t.kind = 'benefit' WHERE p.state = 'paid' AND t.id IS NULL ORDER BY p.id"
    ):
        differences.append({"kind": "benefit_paid_without_ledger", "payment": row["key"], "cents": row["amount_cents"]})
    for row in await raw(
        "SELECT t.id, t.reference, t.amount_cents FROM ledger_transaction t LEFT JOIN benefit_payment p "
        "ON p.key = t.reference AND p.state = 'paid' WHERE t.kind = 'benefit' AND p.id IS NULL ORDER BY t.id"
    ):
        differences.append(
            {
                "kind": "benefit_ledger_without_paid",
                "transaction": row["id"],
                "reference": row["reference"],
                "cents": row["amount_cents"],
            }
        )
    for row in await raw(
        "SELECT p.key, p.amount_cents, t.amount_cents AS ledger_cents FROM benefit_payment p JOIN ledger_transaction t "
        "ON t.idempotency_key = p.key AND t.kind = 'benefit' WHERE p.state = 'paid' AND t.amount_cents <> p.amount_cents "
        "ORDER BY p.id"
    ):
        differences.append(
            {
                "kind": "benefit_amount_differs",
                "payment": row["key"],
                "paid_cents": row["amount_cents"],
                "ledger_cents": row["ledger_cents"],
            }
        )
    for row in await raw(
        "SELECT entitlement, period, COUNT(*) AS n FROM benefit_payment WHERE state = 'paid' "
        "GROUP BY entitlement, period HAVING COUNT(*) > 1 ORDER BY entitlement, period"
    ):
        differences.append(
            {
                "kind": "benefit_paid_twice",
                "entitlement": row["entitlement"],
                "period": row["period"],
                "payments": row["n"],
            }
        )
    for row in await raw(
        "SELECT reference, COUNT(*) AS n FROM ledger_transaction WHERE kind = 'benefit' "
        "GROUP BY reference HAVING COUNT(*) > 1 ORDER BY reference"
    ):
        differences.append({"kind": "benefit_ledger_paid_twice", "reference": row["reference"], "payments": row["n"]})
    for row in await raw(
        "SELECT p.key, p.period, e.ended_on FROM benefit_payment p JOIN entitlement e ON e.id = p.entitlement "
        "WHERE p.state = 'paid' AND NOT p.overpaid AND e.ended_on IS NOT NULL "
        "AND p.period > substr(CAST(e.ended_on AS TEXT), 1, 7) ORDER BY p.id"
    ):
        differences.append(
            {"kind": "benefit_paid_after_end", "payment": row["key"], "ended_on": str(row["ended_on"])[:10]}
        )
    for row in await raw(
        "SELECT p.key, p.amount_cents, t.amount_cents AS recovery_cents FROM benefit_payment p "
        "LEFT JOIN ledger_transaction t ON t.idempotency_key = 'recovery:' || p.key AND t.kind = 'recovery' "
        "WHERE p.overpaid AND (t.id IS NULL OR t.amount_cents <> p.amount_cents) ORDER BY p.id"
    ):
        if row["recovery_cents"] is None:
            differences.append({"kind": "benefit_overpaid_without_recovery", "payment": row["key"]})
        else:
            differences.append(
                {
                    "kind": "benefit_recovery_differs",
                    "payment": row["key"],
                    "overpaid_cents": row["amount_cents"],
                    "recovery_cents": row["recovery_cents"],
                }
            )

    # Totals per benefit, and per cycle against its period's rows.
    recorded = await raw(
        "SELECT service_id, period, COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents FROM benefit_payment "
        "WHERE state = 'paid' GROUP BY service_id, period"
    )
    paid_in: dict[tuple[str, str], tuple[int, int]] = {
        (r["service_id"], r["period"]): (int(r["n"]), int(r["cents"])) for r in recorded
    }
    overpaid = {
        r["service_id"]: (int(r["n"]), int(r["cents"]))
        for r in await raw(
            "SELECT service_id, COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents FROM benefit_payment "
            "WHERE overpaid GROUP BY service_id"
        )
    }
    ledger = {
        r["service_id"]: (int(r["n"]), int(r["cents"]))
        for r in await LedgerTransaction.raw(
            "SELECT service_id, COUNT(*) AS n, COALESCE(SUM(cents), 0) AS cents FROM "
            f"(SELECT ({_BENEFIT_OF_TRANSACTION}) AS service_id, t.amount_cents AS cents FROM ledger_transaction t "
            "WHERE t.kind = 'benefit') paid GROUP BY service_id"
        )
    }
    cycles = await PaymentCycle.raw(
        "SELECT key, service_id, period, state, runs, paid, paid_cents FROM payment_cycle ORDER BY service_id, period"
    )
    services = sorted(
        {s for s, _ in paid_in} | {s for s in ledger if s is not None} | {c["service_id"] for c in cycles}
    )
    if None in ledger:  # a benefit payment debiting no benefit's account
        differences.append({"kind": "benefit_ledger_without_account", "payments": ledger[None][0]})
    report = []
    for service in services:
        paid = [v for (s, _), v in paid_in.items() if s == service]
        account = benefit_account(service)
        account_balance = await balance(account)
        if account_balance != await entries_total(account):
            differences.append({"kind": "balance_equals_entries", "benefit": service})
        service_cycles = []
        for c in (c for c in cycles if c["service_id"] == service):
            rows_paid, rows_cents = paid_in.get((service, c["period"]), (0, 0))
            if c["state"] == "finished" and (int(c["paid"]), int(c["paid_cents"])) != (rows_paid, rows_cents):
                differences.append(
                    {
                        "kind": "cycle_totals_differ",
                        "cycle": c["key"],
                        "cycle_paid": int(c["paid"]),
                        "cycle_paid_cents": int(c["paid_cents"]),
                        "payments_paid": rows_paid,
                        "payments_paid_cents": rows_cents,
                    }
                )
            service_cycles.append(
                {
                    "period": c["period"],
                    "state": c["state"],
                    "runs": int(c["runs"]),
                    "paid": int(c["paid"]),
                    "paid_cents": int(c["paid_cents"]),
                    "payments_paid": rows_paid,
                    "payments_paid_cents": rows_cents,
                }
            )
        report.append(
            {
                "benefit": service,
                "paid": sum(n for n, _ in paid),
                "paid_cents": sum(cents for _, cents in paid),
                "ledger_payments": ledger.get(service, (0, 0))[0],
                "ledger_cents": ledger.get(service, (0, 0))[1],
                "overpaid": overpaid.get(service, (0, 0))[0],
                "overpaid_cents": overpaid.get(service, (0, 0))[1],
                "account_balance_cents": account_balance,
                "cycles": service_cycles,
            }
        )
    return report


async def store_report(report: dict[str, Any], at: dt.datetime) -> None:
    """Store the report as its day's, replacing one stored for that day before. Reading a report
    never stores it: this is called by the daily schedule and by an administrator's POST."""
    row = ReconciliationReport(
        day=dt.date.fromisoformat(report["day"]),
        created_at=at,
        claims_paid=report["claims_paid"],
        ledger_payments=report["ledger_payments"],
        paid_cents=report["paid_cents"],
        ledger_cents=report["ledger_cents"],
        differences=json.dumps(report["differences"], ensure_ascii=False),
    )
    await ReconciliationReport.insert(row).on_conflict(
        target=ReconciliationReport.day,
        action="DO UPDATE",
        values=[
            ReconciliationReport.created_at,
            ReconciliationReport.claims_paid,
            ReconciliationReport.ledger_payments,
            ReconciliationReport.paid_cents,
            ReconciliationReport.ledger_cents,
            ReconciliationReport.differences,
        ],
    )


async def compare_now(actor: Actor) -> dict[str, Any]:
    """The ledger against the claims as they stand now, for an auditor or administrator: nothing is
    stored, the look is audited."""
    report = await reconciliation_report(reconciliation_day(now()))
    await record(actor, actor.user, "reconciliation.viewed", "reconciliation", report["day"])
    return report


async def store_now(actor: Actor) -> dict[str, Any]:
    """Compare now and store the result as the day's report, as the daily schedule does (an
    administrator's act: auditors read reports, storing one is a change)."""
    at = now()
    report = await reconciliation_report(reconciliation_day(at))
    async with writing():  # the report and its audit event are stored together, or neither
        await store_report(report, at)
        await record(actor, actor.user, "reconciliation.stored", "reconciliation", report["day"])
    return report


async def stored_report(day: dt.date) -> dict[str, Any]:
    """The report stored for ``day``; not found when none was."""
    row = await ReconciliationReport.objects().where(ReconciliationReport.day == day).first()
    if row is None:
        raise not_found()
    return {
        "day": row.day.isoformat(),
        "created_at": row.created_at.isoformat(),
        "claims_paid": row.claims_paid,
        "ledger_payments": row.ledger_payments,
        "paid_cents": row.paid_cents,
        "ledger_cents": row.ledger_cents,
        "differences": load_json(row.differences),
    }


class LedgerReconciliation:
    """The workflows' reconciliation port: compare, store the day's report."""

    async def reconcile(self, day: ReconcileDay) -> ReconciliationOutcome:
        report = await reconciliation_report(reconciliation_day(day.at))
        await store_report(report, day.at)
        return ReconciliationOutcome(differences=len(report["differences"]))
