"""The embedded payment gateway: a double-entry ledger in the database.

A program's budget is moved from the treasury into the program's account when the program is
published; a payment moves money from the program's account to the enterprise's. Every
transaction's entries sum to zero, and its idempotency key is unique, so a second payment with
the same key is refused by the database itself and the first receipt is returned instead.
"""

from __future__ import annotations

import datetime as dt

from piccolo.query.functions.aggregate import Sum

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
    opened = (
        await LedgerAccount.insert(LedgerAccount(code=code, name=name))
        .on_conflict(target=LedgerAccount.code, action="DO NOTHING")
        .returning(LedgerAccount.id)
    )
    if opened:
        return opened[0]["id"]
    rows = await LedgerAccount.select(LedgerAccount.id).where(LedgerAccount.code == code)
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
    inserted = (
        await LedgerTransaction.insert(
            LedgerTransaction(idempotency_key=key, kind=kind, reference=reference, amount_cents=cents, created_at=at)
        )
        .on_conflict(target=LedgerTransaction.idempotency_key, action="DO NOTHING")
        .returning(LedgerTransaction.id)
    )
    if not inserted:
        return None
    tx = inserted[0]["id"]
    await LedgerEntry.insert(
        LedgerEntry(transaction=tx, account=debit, amount_cents=-cents),
        LedgerEntry(transaction=tx, account=credit, amount_cents=cents),
    )
    for account, change in ((debit, -cents), (credit, cents)):
        await LedgerAccount.update({LedgerAccount.balance_cents: LedgerAccount.balance_cents + change}).where(
            LedgerAccount.id == account
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
            done = (
                await LedgerTransaction.select(LedgerTransaction.id, LedgerTransaction.amount_cents)
                .where(LedgerTransaction.idempotency_key == order.key)
                .first()
            )
            if done is not None:
                return PaymentReceipt(payment_ref=f"LEDGER-{done['id']:08d}", amount_cents=done["amount_cents"])
            # The claim with its program and enterprise, and the program's account: two reads, as
            # each statement of the payment holds the database's write lock a little longer.
            claim = (
                await Claim.select(
                    Claim.ref,
                    Claim.program.code.as_alias("program"),
                    Claim.enterprise.uscc.as_alias("uscc"),
                    Claim.enterprise.name.as_alias("enterprise"),
                    Claim.enterprise.bank_account_status.as_alias("account_status"),
                )
                .where(Claim.id == order.claim_id)
                .first()
            )
            assert claim is not None, "a claim is paid once it is stored"
            if claim["account_status"] != "open":
                raise PaymentRefused(f"the settlement account of {claim['uscc']} is {claim['account_status']}")
            source = program_account(claim["program"])
            funds = await LedgerAccount.select(LedgerAccount.id, LedgerAccount.balance_cents).where(
                LedgerAccount.code == source
            )
            if not funds or funds[0]["balance_cents"] < order.amount_cents:
                raise PaymentRefused(f"the account {source} holds less than {order.amount_cents} cents")
            credit = await _account(enterprise_account(claim["uscc"]), claim["enterprise"])
            tx = await post(order.key, "payment", claim["ref"], funds[0]["id"], credit, order.amount_cents, order.at)
        return PaymentReceipt(payment_ref=f"LEDGER-{tx:08d}", amount_cents=order.amount_cents)
