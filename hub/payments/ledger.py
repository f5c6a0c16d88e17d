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
