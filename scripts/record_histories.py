"""Record the workflow histories that tests/workflows/test_replay.py replays.

Starts the real stack (Temporal dev server, database, worker, web server: tests/stack/harness.py),
walks every flow through the HTTP API as people would, then writes each workflow's history to
tests/workflows/histories/<label>--<workflow id>.json. The hub seals the payloads it hands to
Temporal with the data keys of the stack that recorded them; they are opened here with those keys
and written in clear, so the replay test needs no keys.

    .venv/bin/python scripts/record_histories.py [directory] [--only label,label...]

``--only`` records just the named flows of ``SINGLE`` (a new path's history, say), leaving the
histories recorded before as they are.

A working day lasts two seconds in the recorded stack, so a task left alone is reminded and
escalated within a flow (escalated-rejected waits for it), and approvals of 200 CNY or more wait
for a second clerk (maker-checker: the minimum living allowance's 400 a month, not the old-age
allowance's 100).
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from google.protobuf.json_format import MessageToDict  # noqa: E402
from temporalio.api.common.v1 import Payload  # noqa: E402
from temporalio.client import Client  # noqa: E402

from forms.catalog import load_catalog  # noqa: E402
from hub.sealing import DataKeys  # noqa: E402
from hub.temporal import PAYLOAD_FIELD, SEALED_PAYLOAD, data_converter  # noqa: E402
from tests.stack.flows import (  # noqa: E402
    decide,
    example_submission,
    file_example,
    file_request,
    hub_python,
    next_open_task,
    open_task,
    program_spec,
    wait_claim,
    wait_closed,
    wait_for,
)
from tests.stack.harness import Api, Stack, start_stack  # noqa: E402
from workflows.names import (  # noqa: E402
    GOVERNANCE_REPORT_SCHEDULE,
    RECONCILIATION_SCHEDULE,
    REQUESTS_QUEUE,
    payment_cycle_schedule,
)

SEALED = base64.b64encode(SEALED_PAYLOAD).decode()


def move(clerk: Api, task_id: int, action: str, **body) -> dict:
    r = clerk.post(f"/api/tasks/{task_id}/{action}", json=body or None)
    assert r.status_code == 200, f"{action}: {r.status_code} {r.text}"
    return r.json()


def request_state(viewer: Api, ref: str) -> dict:
    return viewer.get(f"/api/requests/{ref}").json()


def approved(stack: Stack) -> str:
    """Two departments approve, one after the other."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "同意").status_code == 200
    wait_closed(citizen, ref)
    return ref


def rejected(stack: Stack) -> str:
    """The first department rejects with a reason: the route stops."""
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    assert decide(street, open_task(street, ref)["id"], "reject", "申请人实际居住地不在本街道").status_code == 200
    wait_closed(citizen, ref)
    return ref


def withdrawn(stack: Stack) -> str:
    """The applicant withdraws while a task is open."""
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    open_task(street, ref)
    assert citizen.post(f"/api/requests/{ref}/withdrawal", json={"reason": "已搬家"}).status_code == 202
    wait_for(lambda: request_state(citizen, ref)["state"] == "withdrawn", what="the withdrawal")
    return ref


def escalated_rejected(stack: Stack) -> str:
    """Nobody acts in time: a reminder, then escalation; the overdue task is still decided."""
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    supervisor = Api(stack.base_url, "street.supervisor")
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)

    def escalated() -> bool:
        kinds = [e["kind"] for e in request_state(supervisor, ref)["timeline"]]
        return "task_escalated" in kinds

    wait_for(escalated, timeout=90, what="the escalation")
    assert decide(street, task["id"], "reject", "逾期未补正").status_code == 200
    wait_closed(citizen, ref)
    return ref


def workbench_approved(stack: Stack) -> str:
    """Claimed, released, assigned by a supervisor; more information asked and supplied; approved."""
    citizen = Api(stack.base_url, "zhangsan")
    clerk, clerk2 = Api(stack.base_url, "street.clerk"), Api(stack.base_url, "street.clerk2")
    supervisor = Api(stack.base_url, "street.supervisor")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    move(clerk, task["id"], "claim")
    move(clerk, task["id"], "release")
    move(supervisor, task["id"], "assignment", assignee="street.clerk2")
    move(clerk2, task["id"], "information-request", fields=["phone"], message="电话无法接通，请提供新的联系电话")
    r = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000"}})
    assert r.status_code == 200, r.text
    move(clerk2, task["id"], "decision", verdict="approve", comment="已核实")
    civil = Api(stack.base_url, "civil.clerk")
    assert decide(civil, open_task(civil, ref)["id"], "approve", "同意").status_code == 200
    wait_closed(citizen, ref)
    return ref


def transfer_maker_checker_rejected(stack: Stack) -> str:
    """An approval sent back by the second clerk, proposed again and confirmed; a conditional stage;
    a task transferred to another department, which rejects."""
    applicant = Api(stack.base_url, "lisi")
    r = file_example(applicant, load_catalog().latest("minimum-living-allowance"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    maker, checker = Api(stack.base_url, "street.clerk"), Api(stack.base_url, "street.clerk2")
    task = open_task(maker, ref)
    assert decide(maker, task["id"], "approve", "收入核实").status_code == 200
    move(checker, task["id"], "confirmation", accept=False, comment="请核对收入证明")
    move(maker, task["id"], "decision", verdict="approve", comment="已核对")
    move(checker, task["id"], "confirmation", accept=True, comment="同意")
    # The next task (the home visit when the household is large, else the approval).
    step = next_open_task(stack, applicant, ref)
    assert step is not None
    holder, task = step
    move(holder, task["id"], "claim")
    elsewhere = "street-office" if holder.username.startswith("civil.") else "civil-affairs"
    move(holder, task["id"], "transfer", to_department=elsewhere, reason="不属本部门办理")
    step = next_open_task(stack, applicant, ref)
    assert step is not None
    holder, task = step
    assert decide(holder, task["id"], "reject", "收入超过标准", reason_code="ineligible").status_code == 200
    wait_closed(applicant, ref)
    return ref


def life_event(stack: Stack) -> str:
    """Help in hard times: the allowance approved, then the disability subsidy filed with its number and approved."""
    citizen = Api(stack.base_url, "zhaoliu")
    member = {
        "member_name": "赵六",
        "relationship": "self",
        "resident_id": "330106195809080029",
        "monthly_income": "300",
    }
    r = citizen.post(
        "/api/life-events/hard-times/cases",
        json={
            "answers": {
                "phone": "13800138000",
                "address": "杭州市西湖区文三路100号",
                "hukou_local": True,
                "bank_account": "6222020200112233445",
                "allowance.household_members": [member],
                "allowance.hardship": "长期患病",
                "allowance.authorises_checks": True,
                "disability.disability_certificate_number": "33010619580908002942",
                "disability.disability_grade": "2",
            },
            "parts": ["disability"],
        },
        headers={"Idempotency-Key": "record-life-event"},
    )
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    for part in ("allowance", "disability"):
        part_ref = wait_for(
            lambda part=part: next(
                p for p in citizen.get(f"/api/life-events/cases/{ref}").json()["parts"] if p["id"] == part
            )["request_ref"],
            timeout=60,
            what=f"{part} to be filed",
        )
        while (step := next_open_task(stack, citizen, part_ref)) is not None:
            clerk, task = step
            if task.get("confirm"):  # a second clerk confirms a large amount
                move(clerk, task["id"], "confirmation", accept=True, comment="同意")
            else:
                assert decide(clerk, task["id"], "approve", "同意").status_code == 200
    wait_for(
        lambda: citizen.get(f"/api/life-events/cases/{ref}").json()["state"] == "done", timeout=60, what="the case"
    )
    return ref


def instant_approved(stack: Stack) -> str:
    """Approved by rule: every automatic check passes, no review stage opens, no clerk."""
    yunqi = Api(stack.base_url, "yunqi")
    r = file_example(yunqi, load_catalog().latest("job-stabilisation-subsidy"))
    assert r.status_code == 201, r.text
    done = wait_closed(yunqi, r.json()["ref"])
    assert done["state"] == "approved" and done["tasks"] == [], done
    return r.json()["ref"]


def instant_fallback_rejected(stack: Stack) -> str:
    """An automatic check fails: not refused for it, but handed to the department, which rejects."""
    jiucheng, hr = Api(stack.base_url, "jiucheng"), Api(stack.base_url, "hr.clerk")
    r = file_example(jiucheng, load_catalog().latest("job-stabilisation-subsidy"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert decide(hr, open_task(hr, ref)["id"], "reject", "企业处于经营异常状态").status_code == 200
    wait_closed(jiucheng, ref)
    return ref


def file_on_commitment(applicant: Api, key: str) -> str:
    """The maternity allowance filed with the signed commitment instead of the birth certificate."""
    submission = example_submission(applicant, load_catalog().latest("maternity-allowance"))
    submission["answers"].pop("birth_certificate")
    submission["answers"]["commitment"] = True
    r = applicant.post("/api/requests", json=submission, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def commitment_kept(stack: Stack) -> str:
    """Approved on commitment with no review; the post-check finds the commitment kept."""
    lisi, hr = Api(stack.base_url, "lisi"), Api(stack.base_url, "hr.clerk")
    ref = file_on_commitment(lisi, "record-commitment-kept")
    task = open_task(hr, ref)
    assert task["stage_id"] == "post-check", task
    move(hr, task["id"], "claim")
    move(hr, task["id"], "post-check", kept=True)
    wait_for(
        lambda: "commitment_kept" in [e["kind"] for e in request_state(lisi, ref)["timeline"]],
        what="the post-check",
    )
    return ref


def commitment_broken(stack: Stack) -> str:
    """Approved on commitment; the post-check finds it untrue: the decision is revoked."""
    zhaoliu, hr = Api(stack.base_url, "zhaoliu"), Api(stack.base_url, "hr.clerk")
    ref = file_on_commitment(zhaoliu, "record-commitment-broken")
    task = open_task(hr, ref)
    move(hr, task["id"], "claim")
    move(hr, task["id"], "post-check", kept=False, reason="助产医院无该日期的出生记录")
    wait_for(lambda: request_state(zhaoliu, ref)["state"] == "revoked", what="the revocation")
    return ref


# Flows that ``--only`` may record on their own: label -> flow (each a request's workflow).
def notified(stack: Stack) -> str:
    """Told at each step: the filing, a task assigned by the supervisor (to the clerk), more
    information asked and supplied, and the decision (one message per event in the hub)."""
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    supervisor = Api(stack.base_url, "street.supervisor")
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    assert supervisor.post(f"/api/tasks/{task['id']}/assignment", json={"assignee": "street.clerk"}).status_code == 200
    asked = street.post(
        f"/api/tasks/{task['id']}/information-request", json={"fields": ["phone"], "message": "请提供可联系的手机号码"}
    )
    assert asked.status_code == 200, asked.text
    supplied = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13800138001"}})
    assert supplied.status_code in (200, 202), supplied.text
    wait_for(lambda: request_state(citizen, ref)["state"] == "in_review", what="the supplement")
    assert decide(street, task["id"], "reject", "申请人实际居住地不在本街道").status_code == 200
    wait_closed(citizen, ref)
    kinds = [m["kind"] for m in citizen.get("/api/messages").json()["messages"] if ref in m["subject"]]
    assert sorted(kinds) == ["information_requested", "request_decided", "request_filed"], kinds
    return ref


SINGLE = {"commitment-kept": commitment_kept, "commitment-broken": commitment_broken, "notified": notified}


def claim_instant_paid(stack: Stack) -> str:
    yunqi = Api(stack.base_url, "yunqi")
    r = yunqi.post("/api/programs/new-hire-insurance-2026/claims", json={})
    assert r.status_code == 201 and r.json()["state"] == "paid", r.text
    return r.json()["ref"]


def claim_offer_paid(stack: Stack) -> str:
    """An apply-free program's offer, taken up."""
    chashe = Api(stack.base_url, "chashe")

    def offered():
        eligible = chashe.get("/api/enterprise/programs").json()["eligible"]
        return next((p for p in eligible if p["program"]["code"] == "job-stabilisation-2026" and p["claim"]), None)

    wait_for(offered, timeout=120, what="the offer")
    r = chashe.post("/api/programs/job-stabilisation-2026/claims", json={})
    assert r.status_code == 201 and r.json()["state"] == "paid", r.text
    return r.json()["ref"]


def claim_reviewed_paid(stack: Stack) -> tuple[str, str]:
    """A claim reviewed by clerks (a child request workflow), then paid."""
    yunqi = Api(stack.base_url, "yunqi")
    answers = example_submission(yunqi, load_catalog().latest("rnd-expense-subsidy"))["answers"]
    r = yunqi.post("/api/programs/rnd-subsidy-2026/claims", json={"answers": answers})
    assert r.status_code == 201, r.text
    claimed = r.json()
    while (step := next_open_task(stack, yunqi, claimed["request_ref"])) is not None:
        clerk, task = step
        if task.get("confirm"):
            move(clerk, task["id"], "confirmation", accept=True)
        else:
            move(clerk, task["id"], "claim")
            move(clerk, task["id"], "decision", verdict="approve", comment="同意")
    assert wait_claim(yunqi, claimed["ref"])["state"] == "paid"
    return claimed["ref"], claimed["request_ref"]


def claim_payment_refused(stack: Stack) -> str:
    """The gateway refuses the payment (the account is closed): the reservation is released."""
    admin = Api(stack.base_url, "admin")
    assert admin.post("/api/programs", json=program_spec("closed-account")).status_code == 201
    hub_python(
        stack,
        "await Enterprise.update({Enterprise.bank_account_status: 'closed'})"
        ".where(Enterprise.uscc == '91330106MA7E2R9P3T')",
    )
    qihang = Api(stack.base_url, "qihang")
    r = qihang.post("/api/programs/closed-account/claims", json={})
    assert r.status_code == 201, r.text
    assert wait_claim(qihang, r.json()["ref"])["state"] == "failed"
    return r.json()["ref"]


def reissued(stack: Stack, ref: str) -> None:
    """A decision document corrected by its issuer."""
    citizen = Api(stack.base_url, "zhangsan")
    old = next(d for d in request_state(citizen, ref)["documents"] if d["kind"] == "decision")
    r = Api(stack.base_url, "civil.clerk").post(
        f"/api/documents/{old['id']}/reissue", json={"reason": "更正申请人地址"}
    )
    assert r.status_code == 201, r.text


def open_payloads(node: Any, keys: DataKeys) -> Any:
    """The history's JSON with every sealed payload replaced by the payload it seals."""
    if isinstance(node, list):
        return [open_payloads(n, keys) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("metadata", {}).get("encoding") == SEALED and "data" in node:
        inner = Payload()
        inner.ParseFromString(keys.open_bytes(base64.b64decode(node["data"]), PAYLOAD_FIELD))
        return MessageToDict(inner)
    return {k: open_payloads(v, keys) for k, v in node.items()}


async def write_histories(stack: Stack, wanted: dict[str, str], types: dict[str, str], out: Path) -> list[Path]:
    keys = DataKeys(Path(stack.env["QINQING_VAR_DIR"]) / "data-keys")
    client = await Client.connect(stack.temporal.address, data_converter=data_converter(keys))
    for label, workflow_type in types.items():
        # The first completed run of the type (e.g. a program's matching, the day's reconciliation).
        query = f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Completed'"
        for _ in range(120):
            found = [execution.id async for execution in client.list_workflows(query)]
            if found:
                wanted[label] = found[-1]
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"no completed {workflow_type}")
    written = []
    for label, workflow_id in wanted.items():
        handle = client.get_workflow_handle(workflow_id)
        await asyncio.wait_for(handle.result(), 120)
        history = await handle.fetch_history()
        body = open_payloads(json.loads(history.to_json()), keys)
        sealed = json.dumps(body).count(SEALED)
        assert not sealed, f"{workflow_id}: {sealed} payloads left sealed"
        # Workflow ids may hold colons, which some file systems refuse in a name.
        path = out / f"{label}--{quote(workflow_id, safe='')}.json"
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def main() -> None:
    args = sys.argv[1:]
    only: list[str] = []
    if "--only" in args:
        at = args.index("--only")
        only = args[at + 1].split(",")
        del args[at : at + 2]
        unknown = [label for label in only if label not in SINGLE]
        assert not unknown, f"--only knows {', '.join(SINGLE)}, not {', '.join(unknown)}"
    out = Path(args[0]) if args else ROOT / "tests" / "workflows" / "histories"
    out.mkdir(parents=True, exist_ok=True)
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "compile", "-d", str(ROOT / "locales"), "-D", "messages"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp) / "stack", QINQING_WORKING_DAY_SECONDS="2", QINQING_CONFIRM_ABOVE_AMOUNT="200")
        try:
            if only:
                chosen = {label: f"request-{SINGLE[label](stack)}" for label in only}
                for path in asyncio.run(write_histories(stack, chosen, {}, out)):
                    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                return
            wanted = {
                "approved": f"request-{approved(stack)}",
                "rejected": f"request-{rejected(stack)}",
                "withdrawn": f"request-{withdrawn(stack)}",
                "escalated-rejected": f"request-{escalated_rejected(stack)}",
                "workbench-approved": f"request-{workbench_approved(stack)}",
                "transfer-maker-checker-rejected": f"request-{transfer_maker_checker_rejected(stack)}",
                "claim-instant-paid": f"claim-{claim_instant_paid(stack)}",
                "claim-offer-paid": f"claim-{claim_offer_paid(stack)}",
                "claim-payment-refused": f"claim-{claim_payment_refused(stack)}",
                "life-event": f"life-event-{life_event(stack)}",
                "instant-approved": f"request-{instant_approved(stack)}",
                "instant-fallback-rejected": f"request-{instant_fallback_rejected(stack)}",
            }
            wanted |= {label: f"request-{flow(stack)}" for label, flow in SINGLE.items()}
            claim_ref, review_ref = claim_reviewed_paid(stack)
            wanted["claim-reviewed-paid"] = f"claim-{claim_ref}"
            wanted["claim-review-approved"] = f"request-{review_ref}"
            reissued(stack, wanted["approved"].removeprefix("request-"))
            trigger = stack.temporal_cli("schedule", "trigger", "--schedule-id", RECONCILIATION_SCHEDULE)
            assert trigger.returncode == 0, trigger.stderr
            # The old-age allowance's monthly cycle, as its schedule starts it (the month it runs in),
            # and a cycle of a past month one entitlement per chunk, which continues as new.
            trigger = stack.temporal_cli(
                "schedule", "trigger", "--schedule-id", payment_cycle_schedule("elderly-care-allowance")
            )
            assert trigger.returncode == 0, trigger.stderr
            started = stack.temporal_cli(
                "workflow",
                "start",
                "--type",
                "PaymentCycleWorkflow",
                "--task-queue",
                REQUESTS_QUEUE,
                "--workflow-id",
                "cycle-continued",
                "--input",
                json.dumps({"service_id": "elderly-care-allowance", "period": "2026-11", "chunk_size": 1}),
            )
            assert started.returncode == 0, started.stderr
            wanted["payment-cycle-continued"] = "cycle-continued"
            # The governance report of last month, as its monthly schedule starts it.
            trigger = stack.temporal_cli("schedule", "trigger", "--schedule-id", GOVERNANCE_REPORT_SCHEDULE)
            assert trigger.returncode == 0, trigger.stderr
            types = {
                "governance-report": "GovernanceReportWorkflow",
                "matching": "ProgramMatchingWorkflow",
                "reissued": "DocumentReissueWorkflow",
                "reconciliation": "ReconciliationWorkflow",
                "payment-cycle": "PaymentCycleWorkflow",
            }
            written = asyncio.run(write_histories(stack, wanted, types, out))
        finally:
            stack.shutdown()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
