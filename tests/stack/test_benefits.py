"""Benefits end to end on a stack of their own (the one-application rule on): an old-age allowance
applied for once, approved into an entitlement at its age band, paid by monthly cycles (a re-run
and a worker killed mid-cycle paying nobody twice), raised when the beneficiary turns 90, and
ended by a death recorded late, the payment after it recorded for recovery.

The cycles of later months run with the hub's clock moved ahead (``QINQING_CLOCK_OFFSET_DAYS``,
restarting the web process): a period can only be paid from its payment day on."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import pytest
from stdnum.cn import ric

from forms.clock import beijing_today
from tests.stack.db import sql
from tests.stack.flows import answers, decide, next_open_task, wait_closed, wait_for
from tests.stack.harness import Api, start_stack
from workflows.benefits.types import next_period, period_of, period_start

pytestmark = pytest.mark.stack

SERVICE = "elderly-care-allowance"
TODAY = beijing_today()
START = period_of(TODAY)  # the month the allowance is approved in: its first period
SECOND = next_period(START)
THIRD = next_period(SECOND)  # the month the beneficiary turns 90
FOURTH = next_period(THIRD)
# Born so that they are 89 until the first day of THIRD, and 90 from then on.
BORN = period_start(THIRD).replace(year=period_start(THIRD).year - 90)
BODY = f"330106{BORN:%Y%m%d}271"
RESIDENT_ID = BODY + ric.calc_check_digit(BODY + "0")  # the check digit of the first 17


def create_citizen(stack, username: str = "laowang", name: str = "王建国", resident_id: str = RESIDENT_ID) -> None:
    """A resident of the city with a sign-in account, as the identity provider and the population
    registry would hold them."""
    code = f"""
import asyncio
from hub.accounts import hash_password, sealed_name
from hub.clock import now
from hub.db.lifecycle import database
from hub.db.tables import Account
from hub.registry.population import register_residents
from hub.sealing import configure_from, seal
from hub.settings import load_settings

async def main():
    settings = load_settings()
    configure_from(settings)
    async with database(settings):
        await Account.insert(Account(username="{username}", full_name=sealed_name("{name}"), role="citizen",
            resident_id=seal("{resident_id}", "account.resident_id"), password_hash=hash_password("qinqing-demo"),
            locale="zh_CN", created_at=now()))
        await register_residents([{{"resident_id": "{resident_id}", "full_name": "{name}"}}])

asyncio.run(main())
"""
    from tests.stack.db import run_python

    run_python(stack, code)


def record_death(stack, died_on: dt.date) -> None:
    """The population registry learns of the death (late, as happens)."""
    from tests.stack.db import run_python

    run_python(
        stack,
        f"""
import asyncio, datetime as dt
from hub.db.lifecycle import database
from hub.db.tables import Resident
from hub.registry.population import resident_key
from hub.sealing import configure_from
from hub.settings import load_settings

async def main():
    settings = load_settings()
    configure_from(settings)
    async with database(settings):
        await Resident.update({{Resident.died_on: dt.date.fromisoformat("{died_on.isoformat()}")}}).where(
            Resident.resident_key == resident_key("{RESIDENT_ID}"))

asyncio.run(main())
""",
    )


def clock_on_payment_day(stack, period: str) -> Api:
    """Move the web process's clock to the 13th of ``period`` (past its payment day, the 10th);
    returns the beneficiary signed in again (sessions made before the move have expired by then)."""
    offset = (period_start(period).replace(day=13) - TODAY).days
    stack.env["QINQING_CLOCK_OFFSET_DAYS"] = str(offset)
    stack.restart("serve")
    return Api(stack.base_url, "laowang", locale="en")


def run_cycle(stack, period: str, runs: int = 1) -> dict:
    admin = Api(stack.base_url, "admin", locale="en")
    r = admin.post(f"/api/benefits/{SERVICE}/cycles", json={"period": period})
    assert r.status_code == 202, r.text

    def finished():
        cycles = admin.get(f"/api/benefits/{SERVICE}/cycles").json()
        cycle = next((c for c in cycles if c["period"] == period), None)
        return cycle if cycle and cycle["state"] == "finished" and cycle["runs"] == runs else None

    return wait_for(finished, timeout=90, what=f"the {period} cycle to finish")


def mine(citizen: Api) -> dict:
    entitlements = citizen.get("/api/benefits/mine").json()
    assert len(entitlements) == 1, entitlements
    return entitlements[0]


def paid_in_ledger(stack, entitlement_id: int, period: str) -> int:
    rows = sql(
        stack,
        "SELECT COUNT(*) AS n FROM ledger_transaction WHERE idempotency_key = {}",
        f"benefit:{entitlement_id}:{period}",
    )
    return int(rows[0]["n"])


@pytest.fixture(scope="module")
def benefits_stack(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("benefits"),
        QINQING_ENFORCE_ONCE_PER="true",
        QINQING_DEMO_BENEFICIARIES="20",
        QINQING_DEMO_ENTERPRISES="10",
    )
    try:
        create_citizen(stack)
        yield stack
    finally:
        stack.shutdown()


def test_an_allowance_applied_for_once_is_paid_every_month_until_the_beneficiary_dies(benefits_stack):
    stack = benefits_stack
    citizen = Api(stack.base_url, "laowang", locale="en")
    filed = citizen.post(
        "/api/requests",
        json={"service_id": SERVICE, "answers": answers()},
        headers={"Idempotency-Key": "benefits-first-application"},
    )
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]

    # A second application while the first is open is refused, naming the first.
    again = citizen.post(
        "/api/requests",
        json={"service_id": SERVICE, "answers": answers()},
        headers={"Idempotency-Key": "benefits-second-application"},
    )
    assert again.status_code == 409, again.text
    assert again.json()["type"] == "/problems/already-applied" and again.json()["existing"] == ref
    assert ref in again.json()["detail"]

    while (step := next_open_task(stack, citizen, ref)) is not None:
        clerk, task = step
        r = decide(clerk, task["id"], "approve", comment="Residence and age confirmed")
        assert r.status_code == 200, r.text
    assert wait_closed(citizen, ref)["state"] == "approved"

    granted = mine(citizen)
    assert granted["request_ref"] == ref and granted["state"] == "active"
    assert (granted["amount"], granted["band"], granted["start_period"]) == ("100.00", "80-89", START)
    assert granted["payee_account"].startswith("6222") and "*" in granted["payee_account"]
    entitlement_id = granted["id"]

    # Approved and paid: still one application at a time.
    third = citizen.post(
        "/api/requests",
        json={"service_id": SERVICE, "answers": answers()},
        headers={"Idempotency-Key": "benefits-third-application"},
    )
    assert third.status_code == 409 and third.json()["existing"] == ref

    # A period before its payment day is refused, with nothing started.
    citizen = clock_on_payment_day(stack, START)
    admin = Api(stack.base_url, "admin", locale="en")
    early = admin.post(f"/api/benefits/{SERVICE}/cycles", json={"period": SECOND})
    assert early.status_code == 422 and early.json()["type"] == "/problems/cycle-not-due"
    assert (
        Api(stack.base_url, "civil.clerk").post(f"/api/benefits/{SERVICE}/cycles", json={"period": START}).status_code
        == 403
    )

    first = run_cycle(stack, START)
    assert first["paid"] >= 1 and first["refused"] == 0
    # Re-run: pays only what is missing, which is nothing.
    rerun = run_cycle(stack, START, runs=2)
    assert (rerun["paid"], rerun["paid_amount"]) == (first["paid"], first["paid_amount"])
    assert paid_in_ledger(stack, entitlement_id, START) == 1

    # The second month, with the worker killed right after it paid and recorded a chunk, before
    # Temporal heard: the chunk runs again on a new worker and pays nobody twice.
    citizen = clock_on_payment_day(stack, SECOND)
    stack.env["QINQING_FAULT_EXIT_AFTER"] = "pay_chunk"
    stack.restart("worker")
    admin = Api(stack.base_url, "admin", locale="en")
    assert admin.post(f"/api/benefits/{SERVICE}/cycles", json={"period": SECOND}).status_code == 202
    wait_for(lambda: stack.processes["worker"].poll() is not None, timeout=60, what="the worker to die mid-cycle")
    del stack.env["QINQING_FAULT_EXIT_AFTER"]
    stack.start("worker")

    def second_finished():
        cycles = admin.get(f"/api/benefits/{SERVICE}/cycles").json()
        return next((c for c in cycles if c["period"] == SECOND and c["state"] == "finished"), None)

    second = wait_for(second_finished, timeout=90, what="the second cycle to finish after the crash")
    active = sql(stack, "SELECT COUNT(*) AS n FROM entitlement WHERE service_id = {} AND state = 'active'", SERVICE)
    assert second["paid"] == int(active[0]["n"])
    twice = sql(
        stack,
        "SELECT entitlement, COUNT(*) AS n FROM benefit_payment WHERE period = {} GROUP BY entitlement HAVING COUNT(*) > 1",
        SECOND,
    )
    assert twice == []
    ledger = sql(
        stack,
        "SELECT COUNT(*) AS n FROM ledger_transaction WHERE kind = 'benefit' AND idempotency_key LIKE {}",
        f"%:{SECOND}",
    )
    assert int(ledger[0]["n"]) == second["paid"]
    assert paid_in_ledger(stack, entitlement_id, SECOND) == 1
    assert [p["period"] for p in mine(citizen)["payments"]] == [SECOND, START]

    # Turning 90: the third month pays the 90-99 band's amount, and says why.
    citizen = clock_on_payment_day(stack, THIRD)
    run_cycle(stack, THIRD)
    now = mine(citizen)
    assert (now["amount"], now["band"]) == ("300.00", "90-99")
    assert now["payments"][0]["period"] == THIRD and now["payments"][0]["amount"] == "300.00"
    change = next(c for c in now["changes"] if c["kind"] == "amount_changed")
    assert (change["from_amount"], change["to_amount"], change["reason_code"], change["period"]) == (
        "100.00",
        "300.00",
        "age-band",
        THIRD,
    )

    # A death on the last day of the second month, learnt of only after the third month was paid:
    # the next cycle ends the entitlement, and the third month's payment is owed back.
    record_death(stack, period_start(THIRD) - dt.timedelta(days=1))
    citizen = clock_on_payment_day(stack, FOURTH)
    fourth = run_cycle(stack, FOURTH)
    assert fourth["ended"] >= 1 and fourth["overpaid"] == 0  # the overpayment belongs to the third month
    ended = mine(citizen)
    assert ended["state"] == "ended" and ended["reason"] == "death" and ended["next_payment"] is None
    by_period = {p["period"]: p for p in ended["payments"]}
    assert FOURTH not in by_period
    assert by_period[THIRD]["overpaid"] and not by_period[SECOND]["overpaid"]
    recovery = sql(
        stack,
        "SELECT amount_cents FROM ledger_transaction WHERE idempotency_key = {}",
        f"recovery:benefit:{entitlement_id}:{THIRD}",
    )
    assert [int(r["amount_cents"]) for r in recovery] == [30000]
    assert any(c["kind"] == "ended" and c["reason_code"] == "death" for c in ended["changes"])
    # The reconciliation finds the ledger and the register in agreement, the receivable included.
    report = Api(stack.base_url, "auditor").get("/api/reconciliation").json()
    assert report["differences"] == []
    [allowance] = [b for b in report["benefits"] if b["benefit"] == SERVICE]
    assert allowance["paid"] == sum(c["payments_paid"] for c in allowance["cycles"])

    # What another person sees: nothing of it.
    assert Api(stack.base_url, "zhangsan").get(f"/api/benefits/entitlements/{entitlement_id}").status_code == 404
    register = (
        Api(stack.base_url, "civil.clerk", locale="en")
        .get(f"/api/benefits/{SERVICE}/register", params={"state": "ended"})
        .json()
    )
    assert entitlement_id in [r["id"] for r in register["rows"]]
    assert all("*" in r["beneficiary"] for r in register["rows"])


def test_parallel_applications_of_one_person_make_one_request(benefits_stack):
    stack = benefits_stack
    body = "330106194105060123"
    create_citizen(stack, "laoli", "李秀兰", body[:17] + ric.calc_check_digit(body))
    citizen = Api(stack.base_url, "laoli", locale="en")

    def apply(n: int):
        return citizen.post(
            "/api/requests",
            json={"service_id": SERVICE, "answers": answers()},
            headers={"Idempotency-Key": f"benefits-parallel-{n}"},
        )

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers_ = list(pool.map(apply, range(6)))
    statuses = sorted(r.status_code for r in answers_)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in answers_]
    [made] = [r.json()["ref"] for r in answers_ if r.status_code == 201]
    assert {r.json()["existing"] for r in answers_ if r.status_code == 409} == {made}
    mine = citizen.get("/api/requests").json()
    assert [r["ref"] for r in (mine if isinstance(mine, list) else mine["requests"])] == [made]


def test_a_life_event_part_granted_once_is_not_filed_when_the_person_applied_for_it_meanwhile(benefits_stack):
    """A case is checked for services granted once when it is filed; a part filed later (after the
    part it waits for) is checked again then, in the transaction that stores it."""
    from tests.stack.test_life_events import ZHAOLIU, case_of, decide_all, file_case, part_filed

    stack = benefits_stack
    citizen = Api(stack.base_url, "zhaoliu", locale="en")
    filed = file_case(citizen, ["disability"])
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    allowance = part_filed(citizen, ref, "allowance")
    # While the case's subsidy waits for the allowance, the same person applies for the subsidy alone.
    alone = citizen.post(
        "/api/requests",
        json={
            "service_id": "disability-living-subsidy",
            "answers": {
                "phone": "13800138000",
                "address": "杭州市西湖区文三路100号",
                "hukou_local": True,
                "disability_certificate_number": ZHAOLIU + "42",
                "disability_grade": "2",
                "receives_minimum_living_allowance": False,
                "low_income_household": True,
                "bank_account": "6222020200112233445",
            },
        },
        headers={"Idempotency-Key": "benefits-subsidy-alone"},
    )
    assert alone.status_code == 201, alone.text
    decide_all(stack, citizen, allowance, "approve")
    done = wait_for(lambda: (c := case_of(citizen, ref))["state"] == "done" and c, timeout=60, what=f"{ref} to be done")
    assert {p["id"]: (p["state"], p["request_ref"]) for p in done["parts"]} == {
        "allowance": ("approved", allowance),
        "disability": ("not_filed", None),
    }
    assert next(p for p in done["parts"] if p["id"] == "disability")["detail"] == f"already:{alone.json()['ref']}"
    subsidies = sql(
        stack,
        "SELECT r.ref FROM service_request r JOIN account a ON a.id = r.applicant "
        "WHERE a.username = {} AND r.service_id = {}",
        "zhaoliu",
        "disability-living-subsidy",
    )
    assert [s["ref"] for s in subsidies] == [alone.json()["ref"]]
