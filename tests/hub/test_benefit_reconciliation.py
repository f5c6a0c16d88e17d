"""The reconciliation covers the benefits' cycles: their paid payments against the ledger, the
payments after an entitlement ended, the receivables of overpayments, and each cycle's totals.
In process, against a real SQLite database migrated in a temporary directory (``database`` in conftest.py)."""

from __future__ import annotations

import datetime as dt

from hub.db.tables import BenefitPayment, Entitlement, PaymentCycle
from hub.db.transactions import writing
from hub.payments.ledger import LedgerBenefitGateway, post_recovery
from hub.payments.reconciliation import reconciliation_report
from workflows.benefits.activities import payment_key
from workflows.benefits.types import BenefitOrder

SERVICE = "elderly-care-allowance"
AT = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 1)
MONTHLY = 20_000


async def entitlement(name: str, ended_on: dt.date | None = None) -> int:
    row = Entitlement(
        key=f"register:{name}",
        service_id=SERVICE,
        service_version=1,
        holder_key=name,
        resident_id="sealed",
        full_name="sealed",
        kind="monthly",
        amount_formula="200",
        maximum_cents=100_000,
        amount_cents=MONTHLY,
        start_period="2026-01",
        state="ended" if ended_on else "active",
        reason="death" if ended_on else "",
        ended_on=ended_on,
        created_at=AT,
        updated_at=AT,
    )
    inserted = await Entitlement.insert(row).returning(Entitlement.id)
    return inserted[0]["id"]


async def paid(entitlement_id: int, period: str, *, ledger: bool = True, overpaid: bool = False) -> str:
    """A paid payment as a cycle records it: the ledger's payment first, then its row."""
    key = payment_key(entitlement_id, period)
    ref = ""
    if ledger:
        order = BenefitOrder(
            key=key,
            entitlement_id=entitlement_id,
            service_id=SERVICE,
            amount_cents=MONTHLY,
            payee_account="6222020000000000",
            payment_method="bank",
            at=AT,
        )
        (receipt,) = await LedgerBenefitGateway().disburse_batch([order])
        ref = receipt.payment_ref
    await BenefitPayment.insert(
        BenefitPayment(
            key=key,
            entitlement=entitlement_id,
            service_id=SERVICE,
            period=period,
            amount_cents=MONTHLY,
            state="paid",
            payment_ref=ref,
            paid_at=AT,
            overpaid=overpaid,
        )
    )
    return key


async def cycle(period: str, paid: int) -> None:
    await PaymentCycle.insert(
        PaymentCycle(
            key=f"{SERVICE}:{period}",
            service_id=SERVICE,
            period=period,
            state="finished",
            runs=1,
            started_at=AT,
            finished_at=AT,
            paid=paid,
            paid_cents=paid * MONTHLY,
        )
    )


async def two_cycles(*, recovered: bool = True, marked_overpaid: bool = True) -> tuple[int, int]:
    """Two months of two beneficiaries; the second died in October and was paid for November
    before the registry said so (an overpayment, owed back)."""
    alive, died = await entitlement("alive"), await entitlement("died", ended_on=dt.date(2026, 10, 15))
    for period in ("2026-10", "2026-11"):
        await paid(alive, period)
    await paid(died, "2026-10")
    late = await paid(died, "2026-11", overpaid=marked_overpaid)
    if recovered:
        async with writing():
            await post_recovery(late, died, SERVICE, MONTHLY, AT)
    await cycle("2026-10", paid=2)
    await cycle("2026-11", paid=2)
    return alive, died


async def test_cycles_that_match_the_ledger_have_no_difference(database):
    await two_cycles()
    report = await reconciliation_report(DAY)
    assert report["differences"] == []
    (benefit,) = report["benefits"]
    assert benefit["benefit"] == SERVICE
    assert (benefit["paid"], benefit["paid_cents"]) == (4, 4 * MONTHLY)
    assert (benefit["ledger_payments"], benefit["ledger_cents"]) == (4, 4 * MONTHLY)
    assert (benefit["overpaid"], benefit["overpaid_cents"]) == (1, MONTHLY)
    # Paid out of the benefit's account, one payment owed back into it.
    assert benefit["account_balance_cents"] == -3 * MONTHLY
    assert [(c["period"], c["paid"], c["payments_paid"]) for c in benefit["cycles"]] == [
        ("2026-10", 2, 2),
        ("2026-11", 2, 2),
    ]
    # The claims' side of the report keeps its shape.
    assert report["claims_paid"] == 0 and report["ledger_payments"] == 0 and report["programs"] == []


async def test_a_paid_payment_without_its_ledger_payment_is_one_difference(database):
    alive, _ = await two_cycles()
    key = await paid(alive, "2026-12", ledger=False)
    report = await reconciliation_report(DAY)
    assert report["differences"] == [{"kind": "benefit_paid_without_ledger", "payment": key, "cents": MONTHLY}]
    assert report["benefits"][0]["paid"] - report["benefits"][0]["ledger_payments"] == 1


async def test_an_overpayment_without_its_receivable_is_one_difference(database):
    _, died = await two_cycles(recovered=False)
    report = await reconciliation_report(DAY)
    assert report["differences"] == [
        {"kind": "benefit_overpaid_without_recovery", "payment": payment_key(died, "2026-11")}
    ]


async def test_a_payment_after_the_end_not_marked_overpaid_is_one_difference(database):
    _, died = await two_cycles(recovered=False, marked_overpaid=False)
    report = await reconciliation_report(DAY)
    assert report["differences"] == [
        {"kind": "benefit_paid_after_end", "payment": payment_key(died, "2026-11"), "ended_on": "2026-10-15"}
    ]


async def test_a_cycle_whose_totals_differ_from_its_payments_is_one_difference(database):
    await two_cycles()
    await PaymentCycle.update({PaymentCycle.paid: 3}).where(PaymentCycle.period == "2026-11")
    report = await reconciliation_report(DAY)
    assert [d["kind"] for d in report["differences"]] == ["cycle_totals_differ"]
    assert report["differences"][0]["cycle"] == f"{SERVICE}:2026-11"


async def test_a_ledger_payment_without_its_paid_payment_is_one_difference(database):
    alive, _ = await two_cycles()
    await BenefitPayment.delete().where(BenefitPayment.key == payment_key(alive, "2026-10"))
    await PaymentCycle.update({PaymentCycle.paid: 1, PaymentCycle.paid_cents: MONTHLY}).where(
        PaymentCycle.period == "2026-10"
    )
    report = await reconciliation_report(DAY)
    assert [(d["kind"], d["reference"]) for d in report["differences"]] == [
        ("benefit_ledger_without_paid", payment_key(alive, "2026-10"))
    ]
