"""Route shapes through the real workflow: automatic checks, conditional stages, parallel
reviews where all must approve, and where the first approval carries the stage."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from tests.stack.flows import CLERKS, decide, decision_of, file_example, open_task, pdf_text, wait_closed, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

CATALOG = load_catalog()


def clerk(stack, department: str) -> Api:
    return Api(stack.base_url, CLERKS[department])


def state_of(applicant: Api, ref: str) -> dict:
    return applicant.get(f"/api/requests/{ref}").json()


def test_a_failed_automatic_check_rejects_without_any_clerk(stack):
    # The tax bureau rates this enterprise M; the R&D subsidy is not approved by rule, so its check decides.
    applicant = Api(stack.base_url, "qihang")
    spec = CATALOG.latest("rnd-expense-subsidy")
    assert not spec.instant
    r = file_example(applicant, spec)
    assert r.status_code == 201, r.text
    done = wait_closed(applicant, r.json()["ref"])
    assert done["state"] == "rejected"
    assert done["tasks"] == []  # no human was asked
    failed = [c for c in done["checks"] if not c["passed"]]
    assert [c["rule"] for c in failed] == ["tax-credit"]
    step = next(e for e in done["timeline"] if e["kind"] == "check_failed")
    assert step["comment"] == failed[0]["message"]
    text = pdf_text(applicant.get(decision_of(done)["download_url"]).content)
    squeeze = lambda s: "".join(s.split())  # noqa: E731 - PDF text wraps lines
    assert squeeze(failed[0]["message"]) in squeeze(text)
    assert "决定不予批准" in squeeze(text)


def test_a_passed_check_leads_to_review_and_an_amount(stack):
    applicant = Api(stack.base_url, "yunqi")
    spec = CATALOG.latest("rnd-expense-subsidy")
    ref = file_example(applicant, spec, rnd_expenses_last_year="950000.00").json()["ref"]
    science = clerk(stack, "science-technology")
    assert decide(science, open_task(science, ref)["id"], "approve", "同意").status_code == 200
    done = wait_closed(applicant, ref)  # 95,000 is not above the finance review's threshold
    assert done["state"] == "approved"
    assert all(c["passed"] for c in done["checks"]) and len(done["checks"]) == 2
    assert done["amount"] == "95000.00"  # 10% of the R&D expenses
    assert "95,000.00" in pdf_text(applicant.get(decision_of(done)["download_url"]).content)


MEMBERS = [
    {"member_name": "李四", "relationship": "self", "resident_id": "330106199205200024", "monthly_income": "800"},
    {"member_name": "张伟", "relationship": "spouse", "resident_id": "330106199003030020", "monthly_income": "1000"},
    {"member_name": "李小明", "relationship": "child", "resident_id": "330106201506060037", "monthly_income": "0"},
    {"member_name": "王兰", "relationship": "parent", "resident_id": "330106196501010010", "monthly_income": "600"},
]


@pytest.mark.parametrize(
    "members, visited", [(MEMBERS[:1], False), (MEMBERS, True)], ids=["small-household", "large-household"]
)
def test_a_conditional_stage_runs_only_when_its_condition_holds(stack, members, visited):
    applicant = Api(stack.base_url, "lisi")
    r = file_example(applicant, CATALOG.latest("minimum-living-allowance"), household_members=members)
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    street, civil = clerk(stack, "street-office"), clerk(stack, "civil-affairs")
    assert decide(street, open_task(street, ref)["id"], "approve", "收入核实").status_code == 200
    if visited:
        visit = open_task(street, ref)
        assert visit["stage_id"] == "home-visit"
        assert decide(street, visit["id"], "approve", "入户调查属实").status_code == 200
    assert decide(civil, open_task(civil, ref)["id"], "approve", "同意").status_code == 200
    done = wait_closed(applicant, ref)
    stages = [t["stage_id"] for t in done["tasks"]]
    assert ("home-visit" in stages) is visited
    skipped = [e for e in done["timeline"] if e["kind"] == "stage_skipped"]
    assert len(skipped) == (0 if visited else 1)
    # (1200 - per-capita income) × members
    expected = {False: "400.00", True: "2400.00"}[visited]
    assert done["amount"] == expected


def test_parallel_reviews_where_all_must_approve(stack):
    applicant = Api(stack.base_url, "lisi")
    ref = file_example(applicant, CATALOG.latest("maternity-allowance")).json()["ref"]
    health, hr = clerk(stack, "health"), clerk(stack, "human-resources")
    first, second = open_task(health, ref), open_task(hr, ref)
    assert first["stage_id"] == second["stage_id"]  # one stage, two departments at once
    assert decide(health, first["id"], "approve", "出生医学证明核实").status_code == 200
    assert state_of(applicant, ref)["state"] == "in_review"
    assert decide(hr, second["id"], "approve", "同意").status_code == 200
    assert wait_closed(applicant, ref)["state"] == "approved"


def test_parallel_reviews_where_one_rejection_ends_an_all_stage(stack):
    applicant = Api(stack.base_url, "lisi")
    ref = file_example(applicant, CATALOG.latest("maternity-allowance")).json()["ref"]
    health, hr = clerk(stack, "health"), clerk(stack, "human-resources")
    waiting = open_task(hr, ref)
    assert decide(health, open_task(health, ref)["id"], "reject", "出生医学证明与医院记录不符").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "rejected"
    other = next(t for t in done["tasks"] if t["department"]["code"] == "human-resources")
    assert other["state"] == "cancelled"
    assert decide(hr, waiting["id"], "approve", "").status_code == 409


def test_parallel_reviews_where_the_first_approval_carries(stack):
    applicant = Api(stack.base_url, "zhaoliu")
    ref = file_example(applicant, CATALOG.latest("disability-living-subsidy")).json()["ref"]
    street = clerk(stack, "street-office")
    assert decide(street, open_task(street, ref)["id"], "approve", "核实").status_code == 200
    federation, civil = clerk(stack, "disabled-federation"), clerk(stack, "civil-affairs")
    other = open_task(civil, ref)
    assert decide(federation, open_task(federation, ref)["id"], "approve", "同意").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "approved"
    assert {t["department"]["code"]: t["state"] for t in done["tasks"] if t["stage_id"] == "approval"} == {
        "disabled-federation": "approved",
        "civil-affairs": "cancelled",
    }
    wait_for(lambda: all(t["request_ref"] != ref for t in civil.get("/api/tasks").json()), what="the inbox to drop it")
    assert decide(civil, other["id"], "approve", "").status_code == 409
