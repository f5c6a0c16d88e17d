"""Instant approval by rule (秒批) through the real workflow: the job-stabilisation refund's registry
check decides by itself when it passes (no task is ever opened, the decision says it was approved by
rule and lists the rules met), and hands the request to the department when it fails."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from tests.stack.flows import CLERKS, decide, decision_of, file_example, open_task, pdf_text, wait_closed
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

SPEC = load_catalog().latest("job-stabilisation-subsidy")


def squeeze(text: str) -> str:
    return "".join(text.split())  # PDF text wraps lines


def test_passing_checks_approve_by_rule_with_no_clerk(stack):
    assert Api(stack.base_url).get(f"/api/services/{SPEC.id}").json()["instant"] is True
    assert Api(stack.base_url).get("/api/services/rnd-expense-subsidy").json()["instant"] is False
    page = Api(stack.base_url).get(f"/services/{SPEC.id}").text
    assert "秒批" in page and "按规则批准" in page
    applicant = Api(stack.base_url, "yunqi")  # active, 3 layoffs of 80 insured employees
    r = file_example(applicant, SPEC)
    assert r.status_code == 201, r.text
    done = wait_closed(applicant, r.json()["ref"])
    assert done["state"] == "approved", done["timeline"]
    assert done["tasks"] == []  # no review stage opened: no clerk was ever asked
    kinds = [e["kind"] for e in done["timeline"]]
    assert "stage_opened" not in kinds
    assert kinds.index("check_passed") < kinds.index("approved_by_rule") < kinds.index("request_approved")
    step = next(e for e in done["timeline"] if e["kind"] == "approved_by_rule")
    assert step["title"] == "系统自动核验通过，按规则批准"
    assert all(c["passed"] for c in done["checks"]) and len(done["checks"]) == 2
    # The refund is granted as a clerk's approval grants it: 76,800 paid × 90% (small or micro).
    assert done["amount"] == "69120.00"
    hr = Api(stack.base_url, CLERKS["human-resources"])
    assert all(t["request_ref"] != done["ref"] for t in hr.get("/api/tasks").json())
    text = squeeze(pdf_text(applicant.get(decision_of(done)["download_url"]).content))
    assert "决定批准" in text and "69,120.00" in text
    assert "秒批" in text and "系统自动核验通过，按规则批准" in text
    # Every rule and check it met, in the applicant's language.
    assert "规则校验结果" in text
    met = [r["message"] for r in done["rules"]] + [c["message"] for c in done["checks"]]
    assert met and all(f"符合:{squeeze(m)}" in text for m in met), text


def test_a_failed_check_falls_back_to_the_department_which_may_reject(stack):
    applicant = Api(stack.base_url, "jiucheng")  # the registry lists it as operating abnormally
    r = file_example(applicant, SPEC)
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    hr = Api(stack.base_url, CLERKS["human-resources"])
    task = open_task(hr, ref)  # not refused by the check: it lands in the department's inbox
    assert task["stage_id"] == "hr-review"
    body = applicant.get(f"/api/requests/{ref}").json()
    assert body["state"] == "in_review"
    assert [c["rule"] for c in body["checks"] if not c["passed"]] == ["active"]
    kinds = [e["kind"] for e in body["timeline"]]
    assert "check_failed" in kinds and "approved_by_rule" not in kinds
    assert decide(hr, task["id"], "reject", "企业处于经营异常状态").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "rejected"
    text = squeeze(pdf_text(applicant.get(decision_of(done)["download_url"]).content))
    assert "决定不予批准" in text and "企业处于经营异常状态" in text and "秒批" not in text


def test_a_failed_check_approved_by_the_department_states_no_failed_check_as_a_reason(stack):
    applicant = Api(stack.base_url, "jiucheng")
    ref = file_example(applicant, SPEC).json()["ref"]
    hr = Api(stack.base_url, CLERKS["human-resources"])
    assert decide(hr, open_task(hr, ref)["id"], "approve", "已恢复正常经营，同意").status_code == 200
    done = wait_closed(applicant, ref)
    assert done["state"] == "approved"
    text = squeeze(pdf_text(applicant.get(decision_of(done)["download_url"]).content))
    failed = next(c for c in done["checks"] if not c["passed"])
    assert "决定批准" in text and squeeze(failed["message"]) not in text and "秒批" not in text
