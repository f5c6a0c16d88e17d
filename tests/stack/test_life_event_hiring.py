"""An employer hiring someone applies once (员工录用一件事): the one form asks the employee's and the
contact's answers once and prefills the enterprise from its registry record; the employment
registration goes first, its decision number reaches the insurance agencies and the fund centre,
which work in parallel, and the subsidy waits for the insurance enrolment; only the enterprise sees
its case, whose combined result lists every decision."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from forms.clock import beijing_today
from tests.stack.flows import decide, decision_of, next_open_task, pdf_text, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

LISI = "330106199205200024"
YUNQI = "杭州云栖智算科技有限公司"


def hiring_answers() -> dict:
    start = (beijing_today() - dt.timedelta(days=10)).isoformat()
    return {
        "employee_name": "李四",
        "employee_resident_id": LISI,
        "employee_phone": "13900139000",
        "start_date": start,
        "contract_type": "fixed_term",
        "monthly_wage": "9000.00",
        "contact_name": "陈晨",
        "contact_phone": "0571-88001234",
        "registration.education": "bachelor",
        "registration.job_title": "软件开发工程师",
        "registration.contract_end": (beijing_today() + dt.timedelta(days=3 * 365)).isoformat(),
        "insurance.hukou_type": "urban",
        "insurance.insured_before": True,
        "fund.contribution_rate": 12,
        "fund.account": "open",
        "subsidy.hires": [{"full_name": "李四", "resident_id": LISI, "hire_date": start, "months_insured": 1}],
        "subsidy.bank_name": "中国工商银行杭州西湖支行",
        "subsidy.bank_account": "6222021202003456789",
        "subsidy.contracts_signed": True,
    }


def file_hiring(employer: Api, parts: list[str]):
    return employer.post(
        "/api/life-events/hiring/cases",
        json={"answers": hiring_answers(), "parts": parts},
        headers={"Idempotency-Key": f"hiring-{uuid.uuid4()}"},
    )


def parts_of(employer: Api, ref: str) -> dict[str, dict]:
    r = employer.get(f"/api/life-events/cases/{ref}")
    assert r.status_code == 200, r.text
    return {p["id"]: p for p in r.json()["parts"]}


def filed(employer: Api, ref: str, part: str) -> str:
    return wait_for(
        lambda: parts_of(employer, ref)[part]["request_ref"], timeout=60, what=f"part {part} of {ref} to be filed"
    )


def in_inbox(stack, clerk: str, request_ref: str) -> bool:
    return any(t["request_ref"] == request_ref for t in Api(stack.base_url, clerk).get("/api/tasks").json())


def approve(stack, employer: Api, request_ref: str) -> set[str]:
    """Every open task of the request approved (a large amount confirmed by a second clerk); returns
    the departments that decided."""
    departments = set()
    while (step := next_open_task(stack, employer, request_ref)) is not None:
        clerk, task = step
        if task.get("confirm"):
            r = clerk.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True, "comment": "复核同意"})
        else:
            r = decide(clerk, task["id"], "approve", "材料齐全，同意")
            departments.add(task["department"]["code"])
        assert r.status_code == 200, r.text
    return departments


def test_the_one_form_asks_each_shared_answer_once(stack):
    event = Api(stack.base_url, locale="en").get("/api/life-events/hiring").json()
    names = [f["name"] for f in event["form"]]
    for shared in ("employee_name", "employee_resident_id", "start_date", "monthly_wage", "company_name"):
        assert names.count(shared) == 1
        assert not any(n.endswith("." + shared) for n in names), shared
    # The registration's number is handed on, never typed.
    assert "insurance.employment_registration_number" not in names
    assert "fund.employment_registration_number" not in names
    assert event["fields_asked"] < event["fields_separately"]
    assert [(p["id"], p["optional"]) for p in event["parts"]] == [
        ("registration", False),
        ("insurance", False),
        ("fund", False),
        ("subsidy", True),
    ]


def test_an_employer_applies_once_and_the_departments_follow_in_order(stack):
    employer = Api(stack.base_url, "yunqi", locale="en")
    # Its preparer may not apply for the enterprise; a citizen may not apply at all.
    preparer = Api(stack.base_url, "yunqi.preparer", locale="en")
    refused = file_hiring(preparer, ["subsidy"])
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/approver-required"
    assert file_hiring(Api(stack.base_url, "lisi"), []).status_code == 403

    r = file_hiring(employer, ["subsidy"])
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    registration = filed(employer, ref, "registration")
    assert wait_for(lambda: in_inbox(stack, "hr.clerk", registration), what="the registration in the HR inbox")
    waiting = parts_of(employer, ref)
    assert [waiting[p]["state"] for p in ("insurance", "fund", "subsidy")] == ["waiting"] * 3
    # The enterprise's record filled its name; its preparer follows the request too (personal data masked).
    answers = preparer.get(f"/api/requests/{registration}").json()["answers"]
    assert answers["company_name"] == YUNQI and answers["employee_name"] == "李**"
    # The preparer follows the case as the approver does, but does not withdraw it.
    assert (
        preparer.get(f"/api/life-events/cases/{ref}").json()["parts"]
        == employer.get(f"/api/life-events/cases/{ref}").json()["parts"]
    )
    assert preparer.post(f"/api/life-events/cases/{ref}/withdrawal", json={}).status_code == 403
    # Nobody outside the enterprise finds the case.
    other = Api(stack.base_url, "chashe")
    assert other.get(f"/api/life-events/cases/{ref}").status_code == 404
    assert other.get(f"/api/requests/{registration}").status_code == 404

    assert approve(stack, employer, registration) == {"human-resources"}
    number = decision_of(employer.get(f"/api/requests/{registration}").json())["number"]
    insurance, fund = filed(employer, ref, "insurance"), filed(employer, ref, "fund")
    for request_ref in (insurance, fund):
        got = employer.get(f"/api/requests/{request_ref}").json()["answers"]
        assert got["employment_registration_number"] == number and got["start_date"] == answers["start_date"]
    assert wait_for(lambda: in_inbox(stack, "fund.clerk", fund), what="the fund part in the fund centre's inbox")
    assert parts_of(employer, ref)["subsidy"]["state"] == "waiting"

    assert approve(stack, employer, fund) == {"housing-fund"}
    assert approve(stack, employer, insurance) == {"human-resources", "healthcare-security"}
    subsidy = filed(employer, ref, "subsidy")
    assert approve(stack, employer, subsidy) == {"human-resources"}
    done = wait_for(
        lambda: (c := employer.get(f"/api/life-events/cases/{ref}").json())["state"] == "done" and c,
        timeout=60,
        what=f"{ref} to be done",
    )
    assert {p["id"]: p["state"] for p in done["parts"]} == dict.fromkeys(
        ("registration", "insurance", "fund", "subsidy"), "approved"
    )

    result = employer.get(f"/api/life-events/cases/{ref}/result.pdf")
    assert result.status_code == 200 and result.headers["content-type"] == "application/pdf"
    text = pdf_text(result.content)
    assert "Notice of the results of a life event" in text and "Hiring an employee" in text
    for request_ref in (registration, insurance, fund, subsidy):
        decision = decision_of(employer.get(f"/api/requests/{request_ref}").json())
        assert decision["number"] in text and decision["verification_code"] in text
    # The enterprise is named by its name and credit code; its people may all read the result.
    assert YUNQI in text and "91330106MA2H3K1X75" in text
    assert preparer.get(f"/api/life-events/cases/{ref}/result.pdf").status_code == 200
    assert other.get(f"/api/life-events/cases/{ref}/result.pdf").status_code == 404
