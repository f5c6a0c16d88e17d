"""Retiring (退休一件事): one form for the basic pension, retiree medical insurance and, if wished,
the old-age allowance, which is not filed now but scheduled for the applicant's 80th birthday. The
pension and the insurance reach their departments in order and are approved, the insurance taking
the pension's decision number; a person already past 80 has the allowance filed at once."""

from __future__ import annotations

import uuid

import pytest

from forms.clock import beijing_today
from tests.stack.flows import decide, next_open_task, pdf_text, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack


def answers(**changes) -> dict:
    return {
        "phone": "13905710066",
        "address": "杭州市西湖区古翠路80号3幢2单元501室",
        "bank_account": "6222020200112233445",
        "pension.insured_as": "employee",
        "pension.last_employer": "杭州西湖机械厂有限公司",
        "pension.retirement_date": beijing_today().replace(day=1).isoformat(),
        "pension.contribution_years": 38,
        "pension.insured_here": True,
        "pension.receives_other_pension": False,
        "medical.medical_contribution_years": 33,
        "medical.local_contribution_years": 30,
        "medical.pays_shortfall": False,
        "medical.transferred_in": False,
        "allowance.hukou_local": True,
        "allowance.living_arrangement": "with_family",
        **changes,
    }


def file_retirement(citizen: Api, parts: list[str]):
    return citizen.post(
        "/api/life-events/retirement/cases",
        json={"answers": answers(), "parts": parts},
        headers={"Idempotency-Key": f"retirement-{uuid.uuid4()}"},
    )


def part_of(citizen: Api, ref: str, part: str) -> dict:
    return next(p for p in citizen.get(f"/api/life-events/cases/{ref}").json()["parts"] if p["id"] == part)


def filed_part(citizen: Api, ref: str, part: str) -> str:
    return wait_for(lambda: part_of(citizen, ref, part)["request_ref"], timeout=60, what=f"{part} of {ref} filed")


def approve(stack, citizen: Api, request_ref: str) -> None:
    while (step := next_open_task(stack, citizen, request_ref)) is not None:
        clerk, task = step
        r = decide(clerk, task["id"], "approve", "材料齐全，同意")
        assert r.status_code == 200, r.text


def test_the_one_form_asks_each_shared_answer_once_and_says_the_allowance_comes_later(stack):
    event = Api(stack.base_url, locale="en").get("/api/life-events/retirement").json()
    names = [f["name"] for f in event["form"]]
    for shared in ("resident_id", "phone", "bank_account"):
        assert names.count(shared) == 1 and not any(n.endswith("." + shared) for n in names)
    # Handed on by the pension, or fixed by the event: never asked.
    assert "medical.pension_decision_number" not in names and "allowance.payment_method" not in names
    parts = {p["id"]: p for p in event["parts"]}
    assert parts["allowance"]["optional"] and "age of 80" in parts["allowance"]["applied_later"]
    assert parts["pension"]["applied_later"] == "" and parts["medical"]["after"] == ["pension"]


def test_the_allowance_is_scheduled_for_the_80th_birthday_and_the_rest_is_approved(stack):
    citizen = Api(stack.base_url, "chenjianguo", locale="en")  # born 18 June 1966, retiring at 60
    filed = file_retirement(citizen, ["allowance"])
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    # Not 80 yet, and not refused for it: the allowance waits for its date.
    allowance = part_of(citizen, ref, "allowance")
    assert (allowance["state"], allowance["due_on"], allowance["request_ref"]) == ("scheduled", "2046-06-18", None)

    pension = filed_part(citizen, ref, "pension")
    assert part_of(citizen, ref, "medical")["state"] == "waiting"  # the insurance follows the pension
    approve(stack, citizen, pension)
    medical = filed_part(citizen, ref, "medical")
    [decision] = [d for d in citizen.get(f"/api/requests/{pension}").json()["documents"] if d["kind"] == "decision"]
    assert citizen.get(f"/api/requests/{medical}").json()["answers"]["pension_decision_number"] == decision["number"]
    approve(stack, citizen, medical)

    def settled():
        case = citizen.get(f"/api/life-events/cases/{ref}").json()
        states = {p["id"]: p["state"] for p in case["parts"]}
        return case if states["medical"] == "approved" else None

    case = wait_for(settled, timeout=60, what=f"{ref}'s insurance approved")
    assert {p["id"]: p["state"] for p in case["parts"]} == {
        "pension": "approved",
        "medical": "approved",
        "allowance": "scheduled",
    }
    assert case["state"] == "in_progress"  # until the allowance is filed and decided, in 2046
    # What is decided now has its combined result; the allowance is listed with its date.
    result = citizen.get(f"/api/life-events/cases/{ref}/result.pdf")
    assert result.status_code == 200, result.text
    text = " ".join(pdf_text(result.content).split())
    assert "To be applied for on" in text and decision["number"] in text


def test_past_80_the_allowance_is_filed_at_once_and_checked_then(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")  # born 15 March 1940
    filed = file_retirement(citizen, ["allowance"])
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    request_ref = filed_part(citizen, ref, "allowance")
    allowance = part_of(citizen, ref, "allowance")
    assert allowance["due_on"] == "2020-03-15" and allowance["state"] in ("filed", "approved")
    request = citizen.get(f"/api/requests/{request_ref}").json()
    assert request["service_id"] == "elderly-care-allowance"
    # Its rules were checked when it was filed, and their results kept on its request.
    assert {r["rule"] for r in request["rules"]} >= {"aged-80", "local-hukou"} and all(
        r["passed"] for r in request["rules"]
    )
