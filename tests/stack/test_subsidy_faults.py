"""Faults must not lose or double money.

A batch of instant claims is under way while the worker is killed right after each kind of step
(the step's work done, Temporal not yet told: the worst moment), and then while the Temporal server
is stopped and started again on its persisted state. Afterwards the ledger shows each approved
claim paid exactly once and every other claim paid nothing, the budget adds up, and every claim's
recorded history replays against the current code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time

import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from hub.sealing import DataKeys
from hub.temporal import data_converter
from tests.stack.flows import hub_python, program_spec, wait_for
from tests.stack.harness import Api, start_stack
from workflows.service_request import ServiceRequestWorkflow
from workflows.subsidies.claim import SubsidyClaimWorkflow

pytestmark = pytest.mark.stack

ACCOUNTS = 40
# Every step of an instant claim, in the order a claim takes them.
# (A crash inside ``pay``, after the money and before its record, is the step repeated: its
# gateway answers the first receipt again. tests/workflows/test_open_claim.py covers it.)
STEPS = [
    "open_claim",
    "pay",
    "issue_document",
]


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    hub = start_stack(
        tmp_path_factory.mktemp("subsidy-faults"),
        QINQING_DEMO_ENTERPRISE_ACCOUNTS=str(ACCOUNTS),
        QINQING_CLAIM_WAIT_SECONDS="0",
    )
    try:
        yield hub
    finally:
        hub.shutdown()


def claim_all(stack, usernames: list[str], code: str) -> dict[str, object]:
    def claim(username):
        return username, Api(stack.base_url, username).post(f"/api/programs/{code}/claims", json={})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return dict(pool.map(claim, usernames))


def ledger_state(stack, code: str) -> dict:
    out = hub_python(
        stack,
        f"""
import json
program = await Program.objects().where(Program.code == {code!r}).first()
claims = await Claim.select(Claim.ref, Claim.state, Claim.amount_cents, Claim.workflow_id).where(Claim.program == program.id)
payments = await LedgerTransaction.select(LedgerTransaction.reference, LedgerTransaction.amount_cents).where(LedgerTransaction.kind == 'payment')
held = await BudgetReservation.select(BudgetReservation.amount_cents).where((BudgetReservation.program == program.id) & (BudgetReservation.state == 'held'))
print(json.dumps(dict(budget=program.budget_cents, reserved=program.reserved_cents, paid=program.paid_cents,
    claims=claims, payments=payments, held=sum(h['amount_cents'] for h in held))))
""",
    )
    return json.loads(out)


def test_no_money_lost_or_doubled_through_crashes_and_restarts(own_stack):
    stack = own_stack
    code = "fault-batch"
    # Room for 25 claims of 1000; 40 enterprises claim, some not eligible (no insured staff or abnormal).
    spec = program_spec(
        code,
        budget="25000",
        criteria=[
            {
                "id": "active",
                "expression": "enterprise.status == 'active'",
                "reason": {"zh_CN": "企业须正常经营。", "en": "The enterprise must be active."},
            },
            {
                "id": "insured",
                "expression": "enterprise.insured_employees >= 1",
                "reason": {"zh_CN": "须有参保职工。", "en": "The enterprise must insure someone."},
            },
        ],
    )
    assert Api(stack.base_url, "admin").post("/api/programs", json=spec).status_code == 201
    # One of them has a closed settlement account: its payment fails and must be compensated.
    hub_python(
        stack,
        "acc = await Account.objects().where(Account.username == 'ent0003').first()\n"
        "await Enterprise.update({Enterprise.bank_account_status: 'closed'}).where(Enterprise.id == acc.enterprise)",
    )
    usernames = [f"ent{n:04d}" for n in range(1, ACCOUNTS + 1)]
    first, second = usernames[:30], usernames[30:]

    # 1. The worker dies right after each kind of step, one after another, while the batch runs.
    stack.stop("worker")
    responses = claim_all(stack, first, code)
    crashed = []
    for step in STEPS:
        stack.env["QINQING_FAULT_EXIT_AFTER"] = step
        stack.start("worker")
        proc = stack.processes["worker"]
        deadline = time.monotonic() + 40
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc.poll() == 70:
            crashed.append(step)
        stack.stop("worker")
    stack.env.pop("QINQING_FAULT_EXIT_AFTER")
    assert crashed == STEPS, f"the worker was not interrupted after every step: {crashed}"
    stack.start("worker")

    # 2. The Temporal server goes down and comes back on its persisted state, mid-batch.
    responses |= claim_all(stack, second[:5], code)
    stack.temporal.stop()
    responses |= claim_all(stack, second[5:], code)  # stored; passed on when Temporal is back
    stack.temporal.start()
    stack.restart("worker")

    for username, r in responses.items():
        assert r.status_code in (201, 202, 422, 503), (username, r.status_code, r.text)

    def all_final():
        state = ledger_state(stack, code)
        return state if all(c["state"] in ("paid", "refused", "failed") for c in state["claims"]) else None

    state = wait_for(all_final, timeout=240, interval=2, what="every claim to finish")
    paid_by_ref: dict[str, int] = {}
    for p in state["payments"]:
        paid_by_ref[p["reference"]] = paid_by_ref.get(p["reference"], 0) + 1
    for claim in state["claims"]:
        expected = 1 if claim["state"] == "paid" else 0
        assert paid_by_ref.get(claim["ref"], 0) == expected, claim
    paid = [c for c in state["claims"] if c["state"] == "paid"]
    # The budget holds 25 claims and is never overspent. Fewer may be paid: while the closed
    # account's claim holds its reservation (until its payment fails), claims arriving then are
    # refused for the budget. What is not paid stays in the program's account (checked below).
    assert 0 < len(paid) <= 25
    # The closed account's claim failed at payment and was compensated, unless the budget ran out first.
    closed = responses["ent0003"]
    if closed.status_code in (201, 202):
        claim = next(c for c in state["claims"] if c["ref"] == closed.json()["ref"])
        assert claim["state"] in ("failed", "refused"), claim
    assert state["held"] == 0 and state["reserved"] == 0
    assert state["paid"] == sum(c["amount_cents"] for c in paid) == len(paid) * 100_000
    report = Api(stack.base_url, "auditor").get("/api/reconciliation").json()
    assert report["differences"] == []
    # The program's ledger account still holds the budget less exactly what was paid.
    account = next(p for p in report["programs"] if p["program"] == code)
    assert account["account_balance_cents"] == state["budget"] - state["paid"]

    # 3. Every claim's history replays against the current code.
    async def replay():
        # The hub's payloads are sealed: opened with this stack's data keys.
        converter = data_converter(DataKeys(stack.root / "var" / "data-keys"))
        client = await Client.connect(stack.temporal.address, data_converter=converter)
        replayer = Replayer(workflows=[SubsidyClaimWorkflow, ServiceRequestWorkflow], data_converter=converter)
        for claim in state["claims"]:
            history = await client.get_workflow_handle(claim["workflow_id"]).fetch_history()
            result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            assert result.replay_failure is None, (claim["ref"], result.replay_failure)

    asyncio.run(replay())
