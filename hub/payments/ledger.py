"""The embedded payment gateway: a double-entry ledger in the database.

A program's budget is moved from the treasury into the program's account when the program is
published; a payment moves money from the program's account to the enterprise's. Every
transaction's entries sum to zero, and its idempotency key is unique, so a second payment with
the same key is refused by the database itself and the first receipt is returned instead.
"""

from __future__ import annotations

import datetime as dt

from piccolo.query.functions.aggregate import Sum

from hub.db.records import first
from hub.db.tables import Claim, LedgerAccount, LedgerEntry, LedgerTransaction
from hub.db.transactions import writing
from workflows.benefits.types import BenefitOrder, BenefitReceipt
from workflows.subsidies.ports import PaymentRefused
from workflows.subsidies.types import PaymentOrder, PaymentReceipt

TREASURY = "treasury"


def program_account(code: str) -> str:
    return f"program:{code}"


def enterprise_account(uscc: str) -> str:
    return f"enterprise:{uscc}"


async def _account(code: str, name: str) -> int:
    """The account's id, opening it first if it has none (inside a write transaction)."""
    rows = await LedgerAccount.raw("SELECT id FROM ledger_account WHERE code = {}", code)
    if rows:
        return rows[0]["id"]
    opened = await LedgerAccount.raw(
        "INSERT INTO ledger_account (code, name, balance_cents) VALUES ({}, {}, 0) "
        "ON CONFLICT (code) DO NOTHING RETURNING id",
        code,
        name,
    )
    if opened:
        return opened[0]["id"]
    rows = await LedgerAccount.raw("SELECT id FROM ledger_account WHERE code = {}", code)
    return rows[0]["id"]


async def balance(code: str) -> int:
    """An account's balance in cents (credits minus debits), as kept with every posting."""
    rows = await LedgerAccount.select(LedgerAccount.balance_cents).where(LedgerAccount.code == code)
    return int(rows[0]["balance_cents"]) if rows else 0


async def entries_total(code: str) -> int:
    """The sum of an account's entries, added up from the first: what its balance must equal."""
    rows = await LedgerEntry.select(Sum(LedgerEntry.amount_cents).as_alias("total")).where(
        LedgerEntry.account.code == code
    )
    return int(rows[0]["total"] or 0)


async def post(key: str, kind: str, reference: str, debit: int, credit: int, cents: int, at: dt.datetime) -> int | None:
    """Post one transaction (call inside a write transaction); None when the key was posted before."""
    # Written as SQL: one payment per claim, and Piccolo spent more building these statements than
    # the database spent running them.
    inserted = await LedgerTransaction.raw(
        "INSERT INTO ledger_transaction (idempotency_key, kind, reference, amount_cents, created_at) "
        "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        key,
        kind,
        reference,
        cents,
        at,
    )
    if not inserted:
        return None
    tx = inserted[0]["id"]
    await LedgerEntry.raw(
        'INSERT INTO ledger_entry ("transaction", account, amount_cents) VALUES ({}, {}, {}), ({}, {}, {})',
        tx,
        debit,
        -cents,
        tx,
        credit,
        cents,
    )
    for account, change in ((debit, -cents), (credit, cents)):
        await LedgerAccount.raw(
            "UPDATE ledger_account SET balance_cents = balance_cents + {} WHERE id = {}", change, account
        )
    return tx


async def fund_program(code: str, title: str, cents: int, at: dt.datetime) -> None:
    """Move a program's budget from the treasury to its account (once per program)."""
    async with writing():
        treasury = await _account(TREASURY, "Treasury")
        account = await _account(program_account(code), title)
        await post(f"fund:{code}", "funding", code, treasury, account, cents, at)


class LedgerPaymentGateway:
    """Pays claims from the program's account into the enterprise's, exactly once per key."""

    async def disburse(self, order: PaymentOrder) -> PaymentReceipt:
        async with writing():
            done = await first(
                LedgerTransaction,
                "SELECT id, amount_cents FROM ledger_transaction WHERE idempotency_key = {}",
                order.key,
            )
            if done is not None:
                return PaymentReceipt(payment_ref=f"LEDGER-{done['id']:08d}", amount_cents=done["amount_cents"])
            # The claim with its program and enterprise, and the program's account: two reads, as
            # each statement of the payment holds the database's write lock a little longer.
            claim = await first(
                Claim,
                "SELECT c.ref, p.code AS program, e.uscc, e.name AS enterprise, e.bank_account_status AS account_status "
                "FROM claim c JOIN program p ON p.id = c.program JOIN enterprise e ON e.id = c.enterprise "
                "WHERE c.id = {}",
                order.claim_id,
            )
            assert claim is not None, "a claim is paid once it is stored"
            if claim["account_status"] != "open":
                raise PaymentRefused(f"the settlement account of {claim['uscc']} is {claim['account_status']}")
            source = program_account(claim["program"])
            funds = await LedgerAccount.raw("SELECT id, balance_cents FROM ledger_account WHERE code = {}", source)
            if not funds or funds[0]["balance_cents"] < order.amount_cents:
                raise PaymentRefused(f"the account {source} holds less than {order.amount_cents} cents")
            credit = await _account(enterprise_account(claim["uscc"]), claim["enterprise"])
            tx = await post(order.key, "payment", claim["ref"], funds[0]["id"], credit, order.amount_cents, order.at)
        return PaymentReceipt(payment_ref=f"LEDGER-{tx:08d}", amount_cents=order.amount_cents)


def benefit_account(service_id: str) -> str:
    """The account a benefit is paid from: its balance is minus what the benefit has paid."""
    return f"benefit:{service_id}"


def beneficiary_account(entitlement_id: int) -> str:
    return f"beneficiary:{entitlement_id}"


def _values(rows: int, columns: int) -> str:
    return ", ".join("(" + ", ".join("{}" for _ in range(columns)) + ")" for _ in range(rows))


async def _accounts(codes: dict[str, str]) -> dict[str, int]:
    """Ids of the accounts named (code -> name), opening those that do not exist yet, in two statements."""
    items = list(codes.items())
    await LedgerAccount.raw(
        f"INSERT INTO ledger_account (code, name, balance_cents) VALUES {_values(len(items), 3)} "
        "ON CONFLICT (code) DO NOTHING",
        *[v for code, name in items for v in (code, name, 0)],
    )
    rows = await LedgerAccount.raw(
        f"SELECT id, code FROM ledger_account WHERE code IN ({', '.join('{}' for _ in items)})", *codes
    )
    return {r["code"]: r["id"] for r in rows}


class LedgerBenefitGateway:
    """Pays a cycle's batch from the benefit's account into each beneficiary's, exactly once per key:
    a handful of statements per batch, however many payments it holds."""

    async def disburse_batch(self, orders: list[BenefitOrder]) -> list[BenefitReceipt]:
        if not orders:
            return []
        receipts: dict[str, BenefitReceipt] = {}
        async with writing():
            keys = [o.key for o in orders]
            done = await LedgerTransaction.raw(
                f"SELECT id, idempotency_key FROM ledger_transaction WHERE idempotency_key IN "
                f"({', '.join('{}' for _ in keys)})",
                *keys,
            )
            for row in done:
                receipts[row["idempotency_key"]] = BenefitReceipt(
                    key=row["idempotency_key"], paid=True, payment_ref=f"LEDGER-{row['id']:08d}"
                )
            to_pay = []
            for order in orders:
                if order.key in receipts:
                    continue
                if order.payment_method == "bank" and not order.payee_account:
                    receipts[order.key] = BenefitReceipt(
                        key=order.key, paid=False, reason="no bank account to pay into"
                    )
                    continue
                to_pay.append(order)
            if to_pay:
                codes = {benefit_account(o.service_id): o.service_id for o in to_pay}
                codes |= {beneficiary_account(o.entitlement_id): f"entitlement {o.entitlement_id}" for o in to_pay}
                ids = await _accounts(codes)
                inserted = await LedgerTransaction.raw(
                    "INSERT INTO ledger_transaction (idempotency_key, kind, reference, amount_cents, created_at) "
                    f"VALUES {_values(len(to_pay), 5)} ON CONFLICT (idempotency_key) DO NOTHING "
                    "RETURNING id, idempotency_key",
                    *[v for o in to_pay for v in (o.key, "benefit", o.key, o.amount_cents, o.at)],
                )
                tx_of = {r["idempotency_key"]: r["id"] for r in inserted}
                posted = [o for o in to_pay if o.key in tx_of]
                if posted:
                    entries = [
                        v
                        for o in posted
                        for v in (
                            tx_of[o.key],
                            ids[benefit_account(o.service_id)],
                            -o.amount_cents,
                            tx_of[o.key],
                            ids[beneficiary_account(o.entitlement_id)],
                            o.amount_cents,
                        )
                    ]
                    await LedgerEntry.raw(
                        f'INSERT INTO ledger_entry ("transaction", account, amount_cents) VALUES {_values(2 * len(posted), 3)}',
                        *entries,
                    )
                    changes: dict[int, int] = {}
                    for o in posted:
                        source, target = ids[benefit_account(o.service_id)], ids[beneficiary_account(o.entitlement_id)]
                        changes[source] = changes.get(source, 0) - o.amount_cents
                        changes[target] = changes.get(target, 0) + o.amount_cents
                    # Typed: PostgreSQL cannot infer a parameter's type inside CASE.
                    cases = " ".join("WHEN {} THEN CAST({} AS BIGINT)" for _ in changes)
                    await LedgerAccount.raw(
                        f"UPDATE ledger_account SET balance_cents = balance_cents + CASE id {cases} END "
                        f"WHERE id IN ({', '.join('{}' for _ in changes)})",
                        *[v for account, change in changes.items() for v in (account, change)],
                        *changes,
                    )
                for o in to_pay:
                    # Not inserted: a concurrent run posted it a moment ago; its receipt is the same payment.
                    tx = tx_of.get(o.key)
                    if tx is None:
                        row = await first(
                            LedgerTransaction, "SELECT id FROM ledger_transaction WHERE idempotency_key = {}", o.key
                        )
                        assert row is not None, "the key was posted by the other run"
                        tx = row["id"]
                    receipts[o.key] = BenefitReceipt(key=o.key, paid=True, payment_ref=f"LEDGER-{tx:08d}")
        return [receipts[o.key] for o in orders]


async def post_recovery(payment_key: str, entitlement_id: int, service_id: str, cents: int, at: dt.datetime) -> str:
    """Record money paid that is owed back (a payment after a death) as a receivable: the
    beneficiary's account owes it to the benefit's. Inside a write transaction; once per payment."""
    source = await _account(beneficiary_account(entitlement_id), f"entitlement {entitlement_id}")
    target = await _account(benefit_account(service_id), service_id)
    key = f"recovery:{payment_key}"
    tx = await post(key, "recovery", payment_key, source, target, cents, at)
    if tx is None:
        row = await first(LedgerTransaction, "SELECT id FROM ledger_transaction WHERE idempotency_key = {}", key)
        assert row is not None
        tx = row["id"]
    return f"LEDGER-{tx:08d}"
