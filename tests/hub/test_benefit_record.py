"""A cycle's chunk recorded in the register (``PiccoloBenefitRegister.record``): every outcome of the
assessment in its row, recorded once however often the chunk is recorded, and a paid payment never
overwritten. In process, against a real SQLite database (``database`` in conftest.py)."""

from __future__ import annotations

import datetime as dt

from hub.benefits.register import PiccoloBenefitRegister
from hub.db.tables import BenefitPayment, Entitlement, EntitlementChange, PaymentCycle
from workflows.benefits.activities import payment_key
from workflows.benefits.types import Assessment, BenefitReceipt, CycleTotals, RecordChunk

SERVICE = "elderly-care-allowance"
AT = dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)
PERIOD = "2026-12"


async def entitlements(count: int) -> list[int]:
    rows = [
        Entitlement(
            key=f"register:{n}",
            service_id=SERVICE,
            service_version=1,
            holder_key=str(n),
            resident_id="sealed",
            full_name="sealed",
            kind="monthly",
            amount_formula="100",
            maximum_cents=100_000,
            amount_cents=10_000,
            band="80-89",
            start_period="2026-01",
            state="active",
            created_at=AT,
            updated_at=AT,
        )
        for n in range(count)
    ]
    return [r["id"] for r in await Entitlement.insert(*rows).returning(Entitlement.id)]


def register() -> PiccoloBenefitRegister:
    return PiccoloBenefitRegister(None, None)  # type: ignore[arg-type]  # record() reads neither


async def chunk(assessments: list[Assessment], receipts: list[BenefitReceipt]) -> RecordChunk:
    cycle = await PaymentCycle.raw("SELECT id FROM payment_cycle WHERE key = {}", f"{SERVICE}:{PERIOD}")
    if not cycle:
        await PaymentCycle.insert(
            PaymentCycle(key=f"{SERVICE}:{PERIOD}", service_id=SERVICE, period=PERIOD, state="running", started_at=AT)
        )
        cycle = await PaymentCycle.raw("SELECT id FROM payment_cycle WHERE key = {}", f"{SERVICE}:{PERIOD}")
    return RecordChunk(
        cycle_id=cycle[0]["id"], service_id=SERVICE, period=PERIOD, at=AT, assessments=assessments, receipts=receipts
    )


async def payments() -> dict[int, tuple[str, int, str]]:
    rows = await BenefitPayment.select(
        BenefitPayment.entitlement, BenefitPayment.state, BenefitPayment.amount_cents, BenefitPayment.reason
    )
    return {r["entitlement"]: (r["state"], r["amount_cents"], r["reason"]) for r in rows}


async def test_a_chunk_is_recorded_whole_and_once(database):
    paid, aside, refused, older, died = await entitlements(5)
    recorded = await chunk(
        [
            Assessment(entitlement_id=paid, pay_cents=10_000),
            Assessment(entitlement_id=aside, set_aside="no-registry-record"),
            Assessment(entitlement_id=refused, pay_cents=10_000),
            Assessment(entitlement_id=older, pay_cents=30_000, new_cents=30_000, new_band="90-99"),
            Assessment(entitlement_id=died, end="death", ended_on=dt.date(2026, 11, 20)),
        ],
        [
            BenefitReceipt(key=payment_key(paid, PERIOD), paid=True, payment_ref="LEDGER-00000001"),
            BenefitReceipt(key=payment_key(refused, PERIOD), paid=False, reason="no bank account to pay into"),
            BenefitReceipt(key=payment_key(older, PERIOD), paid=True, payment_ref="LEDGER-00000002"),
        ],
    )
    first = await register().record(recorded)
    assert first == CycleTotals(paid=2, paid_cents=40_000, refused=1, set_aside=1, ended=1, changed=1)
    expected = {
        paid: ("paid", 10_000, ""),
        aside: ("set_aside", 0, "no-registry-record"),
        refused: ("refused", 10_000, "bank: no bank account to pay into"),
        older: ("paid", 30_000, ""),
    }
    assert await payments() == expected
    changed = await Entitlement.select(Entitlement.amount_cents, Entitlement.band).where(Entitlement.id == older)
    assert changed == [{"amount_cents": 30_000, "band": "90-99"}]
    change = await EntitlementChange.select(
        EntitlementChange.from_cents, EntitlementChange.to_cents, EntitlementChange.reason_code
    ).where(EntitlementChange.kind == "amount_changed")
    assert change == [{"from_cents": 10_000, "to_cents": 30_000, "reason_code": "age-band"}]
    ended = await Entitlement.select(Entitlement.state, Entitlement.reason).where(Entitlement.id == died)
    assert ended == [{"state": "ended", "reason": "death"}]

    # The same chunk again (a retried activity): the same rows, no change or end counted twice.
    again = await register().record(recorded)
    assert (again.changed, again.ended) == (0, 0)
    assert await payments() == expected
    assert await EntitlementChange.count().where(EntitlementChange.kind == "amount_changed") == 1
    assert await EntitlementChange.count().where(EntitlementChange.kind == "ended") == 1


async def test_a_paid_payment_is_never_overwritten(database):
    (one,) = await entitlements(1)
    key = payment_key(one, PERIOD)
    pay = [Assessment(entitlement_id=one, pay_cents=10_000)]
    await register().record(await chunk(pay, [BenefitReceipt(key=key, paid=True, payment_ref="LEDGER-00000009")]))
    await register().record(await chunk(pay, [BenefitReceipt(key=key, paid=False, reason="closed")]))
    await register().record(await chunk([Assessment(entitlement_id=one, set_aside="formula-failed")], []))
    assert await payments() == {one: ("paid", 10_000, "")}


async def test_a_chunk_larger_than_one_statement_is_recorded_whole(database, monkeypatch):
    monkeypatch.setattr("hub.benefits.register.ROWS_PER_STATEMENT", 3)
    ids = await entitlements(8)
    assessments = [Assessment(entitlement_id=i, pay_cents=10_000, new_cents=10_500, new_band="80-89") for i in ids]
    receipts = [BenefitReceipt(key=payment_key(i, PERIOD), paid=True, payment_ref=f"LEDGER-{i:08d}") for i in ids]
    totals = await register().record(await chunk(assessments, receipts))
    assert (totals.paid, totals.changed) == (8, 8)
    assert set(await payments()) == set(ids)
    assert {r["amount_cents"] for r in await Entitlement.select(Entitlement.amount_cents)} == {10_500}


async def test_due_are_the_active_entitlements_not_yet_paid_or_refused_for_the_period(database):
    paid, refused, aside, unpaid, paid_before = await entitlements(5)
    for entitlement, period, state in (
        (paid, PERIOD, "paid"),
        (refused, PERIOD, "refused"),
        (aside, PERIOD, "set_aside"),
        (paid_before, "2026-11", "paid"),
        (unpaid, "2026-11", "paid"),
    ):
        await BenefitPayment.insert(
            BenefitPayment(
                key=payment_key(entitlement, period),
                entitlement=entitlement,
                service_id=SERVICE,
                period=period,
                amount_cents=10_000,
                state=state,
            )
        )
    due = await register().due(SERVICE, PERIOD, 0, 10)
    assert [d.id for d in due] == [aside, unpaid, paid_before]
    assert [d.id for d in await register().due(SERVICE, PERIOD, aside, 1)] == [unpaid]
    assert [d.id for d in await register().due(SERVICE, "2026-11", 0, 10)] == [paid, refused, aside]


async def test_an_entitlement_stopped_while_its_chunk_is_paid_is_left_out_or_owed_back(database):
    left_out, paid_meanwhile, still = await entitlements(3)
    # A clerk suspends one while the registry is asked: the chunk asks again before paying.
    await Entitlement.update({Entitlement.state: "suspended"}).where(Entitlement.id == left_out)
    assert await register().still_active([left_out, paid_meanwhile, still]) == {paid_meanwhile, still}
    # Another is ended while the bank pays it: the money went, and is owed back (once).
    await Entitlement.update({Entitlement.state: "ended"}).where(Entitlement.id == paid_meanwhile)
    recorded = await chunk(
        [Assessment(entitlement_id=i, pay_cents=10_000) for i in (paid_meanwhile, still)],
        [
            BenefitReceipt(key=payment_key(i, PERIOD), paid=True, payment_ref=f"LEDGER-{i:08d}")
            for i in (paid_meanwhile, still)
        ],
    )
    totals = await register().record(recorded)
    assert (totals.paid, totals.overpaid, totals.overpaid_cents) == (2, 1, 10_000)
    rows = await BenefitPayment.select(
        BenefitPayment.entitlement, BenefitPayment.state, BenefitPayment.overpaid, BenefitPayment.recovery_ref
    )
    by_entitlement = {r["entitlement"]: r for r in rows}
    assert by_entitlement[paid_meanwhile]["state"] == "paid" and by_entitlement[paid_meanwhile]["overpaid"]
    assert by_entitlement[paid_meanwhile]["recovery_ref"]
    assert not by_entitlement[still]["overpaid"]
    again = await register().record(recorded)
    assert again.overpaid == 0
