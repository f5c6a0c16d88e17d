"""What changes a request after filing is checked as filing checked it: a supplement carries only
the fields a department named (never what the government holds), the eligibility rules and the
amount are computed again, the second-clerk rule applies to the amount an approval would grant,
and the documents, which name the applicant, open to staff only after a reveal with a reason."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from tests.stack.flows import claim, file_example, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

OTHER_PERSON = {"full_name": "王小明", "resident_id": "330106199501010017", "hukou_local": False}


def ask(clerk: Api, task_id: int, fields: list[str], message: str = "请补充材料"):
    return clerk.post(f"/api/tasks/{task_id}/information-request", json={"fields": fields, "message": message})


def problem_fields(response) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


def test_a_supplement_changes_only_the_fields_the_department_named(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    clerk = Api(stack.base_url, "street.clerk", locale="en")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200

    # The clerk must name what to supply, and cannot ask for what the registries hold.
    nothing = ask(clerk, task["id"], [])
    assert nothing.status_code == 422 and problem_fields(nothing) == {"fields"}, nothing.text
    identity = ask(clerk, task["id"], ["full_name"])
    assert identity.status_code == 422 and problem_fields(identity) == {"fields"}, identity.text
    assert "government records" in identity.json()["errors"][0]["message"]
    assert ask(clerk, task["id"], ["phone"]).status_code == 200

    # The applicant's account tries to become someone else: refused field by field, nothing kept.
    rewrite = citizen.post(
        f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000", **OTHER_PERSON}}
    )
    assert rewrite.status_code == 422, rewrite.text
    assert problem_fields(rewrite) == set(OTHER_PERSON)
    body = citizen.get(f"/api/requests/{ref}").json()
    assert body["state"] == "waiting_applicant" and body["answers"]["hukou_local"] is True

    ok = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000"}})
    assert ok.status_code == 200, ok.text
    revealed = clerk.post(
        f"/api/tasks/{task['id']}/reveal", json={"fields": ["full_name", "resident_id"], "reason": "核对身份"}
    )
    assert revealed.json()["values"]["resident_id"] == "330106194003150011"


def test_a_supplement_is_checked_against_the_rules_again(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    clerk = Api(stack.base_url, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200
    assert ask(clerk, task["id"], ["hukou_local", "phone"], "请核实户籍").status_code == 200

    outside = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"hukou_local": False}})
    assert outside.status_code == 422, outside.text
    assert outside.json()["type"] == "/problems/not-eligible"
    assert {r["rule"]: r["passed"] for r in outside.json()["rules"]}["local-hukou"] is False
    body = citizen.get(f"/api/requests/{ref}").json()
    assert body["state"] == "waiting_applicant" and body["answers"]["hukou_local"] is True

    assert (
        citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13700137000"}}).status_code == 200
    )
    detail = clerk.get(f"/api/tasks/{task['id']}").json()
    assert detail["state"] == "claimed" and all(r["passed"] for r in detail["rules"])


def test_a_second_clerk_confirms_the_amount_an_approval_grants_after_a_supplement(stack):
    spec = load_catalog().latest("rnd-expense-subsidy")
    enterprise = Api(stack.base_url, "yunqi", locale="en")
    filed = file_example(enterprise, spec, revenue_last_year="30000000.00", rnd_expenses_last_year="900000.00")
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    clerk = Api(stack.base_url, "science.clerk")
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200
    assert ask(clerk, task["id"], ["rnd_expenses_last_year"], "请核对研发费用").status_code == 200

    # Filed at 90,000 (below the second-clerk threshold); supplied as 1,900,000 of expenses.
    more = enterprise.post(
        f"/api/requests/{ref}/supplements", json={"answers": {"rnd_expenses_last_year": "1900000.00"}}
    )
    assert more.status_code == 200, more.text
    approved = clerk.post(f"/api/tasks/{task['id']}/decision", json={"verdict": "approve", "comment": "同意"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["task"]["state"] == "awaiting_confirmation"

    checker = Api(stack.base_url, "science.clerk2")
    confirmed = checker.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True})
    assert confirmed.status_code == 200, confirmed.text
    assert wait_closed(enterprise, ref)["amount"] == "190000.00"


def test_staff_open_a_document_only_after_a_reveal_or_with_a_reason(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]

    def receipt():
        docs = citizen.get(f"/api/requests/{ref}").json()["documents"]
        return next((d for d in docs if d["kind"] == "receipt"), None)

    url = wait_for(receipt, what="the acceptance receipt")["download_url"]
    assert citizen.get(url).status_code == 200  # the applicant's own

    clerk = Api(stack.base_url, "street.clerk", locale="en")
    refused = clerk.get(url)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/reveal-first", refused.text
    assert clerk.get(url, params={"reason": "ab"}).status_code == 422
    given = clerk.get(url, params={"reason": "核对申请人身份"})
    assert given.status_code == 200 and given.content.startswith(b"%PDF")

    auditor = Api(stack.base_url, "auditor")
    assert auditor.get(url).status_code == 403
    assert auditor.get(url, params={"reason": "年度抽查"}).status_code == 200

    # A colleague who revealed the personal data on the task opens the documents without more.
    colleague = Api(stack.base_url, "street.clerk2")
    assert colleague.get(url).status_code == 403
    task = open_task(colleague, ref)
    revealed = colleague.post(f"/api/tasks/{task['id']}/reveal", json={"fields": ["full_name"], "reason": "核对身份"})
    assert revealed.status_code == 200, revealed.text
    assert colleague.get(url).status_code == 200

    trail = Api(stack.base_url, "street.supervisor").get(f"/api/requests/{ref}/audit").json()
    reasons = [e["detail"].get("reason") for e in trail if e["action"] == "personal_data.revealed"]
    assert "核对申请人身份" in reasons and "年度抽查" in reasons
