"""Three findings of a penetration test, through the running hub: a preparer cannot withdraw what
the enterprise's approver submitted; the public verification of a revoked document does not show
the issuer's own words about why; reading the reconciliation stores nothing."""

from __future__ import annotations

import re

import pytest

from forms.catalog import load_catalog
from tests.stack.db import sql
from tests.stack.flows import (
    decision_of,
    example_submission,
    file_example,
    file_request,
    open_task,
    program_spec,
    wait_claim,
    wait_closed,
    wait_for,
)
from tests.stack.harness import Api
from tests.stack.test_documents import walk
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

ENTERPRISE_SERVICE = "graduate-rent-subsidy"


def csrf_token(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


# Withdrawal by an enterprise's preparer -----------------------------------------------------------


def test_a_preparer_cannot_withdraw_a_request_the_approver_submitted(stack):
    preparer = Api(stack.base_url, "yunqi.preparer", locale="en")
    approver = Api(stack.base_url, "yunqi")
    spec = load_catalog().latest(ENTERPRISE_SERVICE)

    # What is only prepared, the preparer may still withdraw.
    only_prepared = file_example(preparer, spec).json()
    assert only_prepared["state"] == "prepared"
    r = preparer.post(f"/api/requests/{only_prepared['ref']}/withdrawal", json={"reason": "prepared by mistake"})
    assert r.status_code == 202 and r.json()["state"] == "withdrawn", r.text

    ref = file_example(preparer, spec).json()["ref"]
    assert approver.post(f"/api/requests/{ref}/submission").status_code == 200
    open_task(Api(stack.base_url, "hr.clerk"), ref)

    refused = preparer.post(f"/api/requests/{ref}/withdrawal", json={"reason": "changed my mind"})
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "/problems/approver-required" and "approver" in refused.json()["detail"]
    in_chinese = preparer.post(
        f"/api/requests/{ref}/withdrawal", json={"reason": ""}, headers={"Accept-Language": "zh-CN"}
    )
    assert in_chinese.status_code == 403 and "法定代表人" in in_chinese.json()["detail"]

    # The page the preparer sees (the request is theirs) says so too, and nothing changes.
    browser = signed_in_page_client(stack, "yunqi.preparer", locale="zh_CN")
    page = browser.get(f"/requests/{ref}")
    assert page.status_code == 200
    answer = browser.post(f"/requests/{ref}/withdrawal", data={"reason": "", "_csrf_token": csrf_token(page.text)})
    assert answer.status_code == 403 and "只有企业的审批人" in answer.text
    assert approver.get(f"/api/requests/{ref}").json()["state"] in ("submitted", "in_review")

    # The approver can, from the request's page too (it is the enterprise's request).
    approver_page = signed_in_page_client(stack, "yunqi", locale="zh_CN").get(f"/requests/{ref}")
    assert f'action="/requests/{ref}/withdrawal"' in approver_page.text
    withdrawn = approver.post(f"/api/requests/{ref}/withdrawal", json={"reason": "no longer needed"})
    assert withdrawn.status_code == 202, withdrawn.text
    wait_for(lambda: approver.get(f"/api/requests/{ref}").json()["state"] == "withdrawn", what="the withdrawal")


def test_a_preparer_cannot_withdraw_a_claim_the_approver_submitted(stack):
    admin = Api(stack.base_url, "admin")
    preparer = Api(stack.base_url, "yunqi.preparer", locale="en")
    approver = Api(stack.base_url, "yunqi")
    service = load_catalog().latest("rnd-expense-subsidy")
    for code in ("withdraw-prepared", "withdraw-submitted"):
        spec = program_spec(code, mode="apply", service_id=service.id)
        assert admin.post("/api/programs", json=spec).status_code == 201

    def prepare(code: str) -> dict:
        answers = example_submission(preparer, service)["answers"]
        r = preparer.post(f"/api/programs/{code}/claims", json={"answers": answers})
        assert r.status_code == 201 and r.json()["state"] == "prepared", r.text
        return r.json()

    # A claim only prepared: the preparer withdraws it, and the period is free again.
    claim = prepare("withdraw-prepared")
    r = preparer.post(f"/api/requests/{claim['request_ref']}/withdrawal", json={"reason": ""})
    assert r.status_code == 202 and r.json()["state"] == "withdrawn", r.text
    after = preparer.get(f"/api/claims/{claim['ref']}").json()
    assert after["state"] == "refused" and after["reason"] == "withdrawn"
    assert approver.post(f"/api/claims/{claim['ref']}/submission").status_code == 409
    assert prepare("withdraw-prepared")["ref"] != claim["ref"]

    # Submitted by the approver and under review: only the approver withdraws it.
    claim = prepare("withdraw-submitted")
    assert approver.post(f"/api/claims/{claim['ref']}/submission").status_code == 201
    request_path = f"/api/requests/{claim['request_ref']}"
    wait_for(lambda: approver.get(request_path).json()["tasks"], what="the claim's review")
    refused = preparer.post(f"{request_path}/withdrawal", json={"reason": "changed my mind"})
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/approver-required", refused.text
    assert preparer.get(f"/api/claims/{claim['ref']}").json()["state"] == "reviewing"

    assert approver.post(f"{request_path}/withdrawal", json={"reason": ""}).status_code == 202
    ended = wait_claim(approver, claim["ref"])
    assert ended["state"] == "refused" and ended["reason"] == "withdrawn"


# The public verification of a revoked document --------------------------------------------------

PRIVATE_REASON = "申请人张三隐瞒其子张小明的收入，撤销原决定"


def test_verification_does_not_show_the_free_text_of_a_revocation(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    document = decision_of(wait_closed(citizen, ref))
    civil = Api(stack.base_url, "civil.clerk")
    path = f"/api/documents/{document['id']}/revocation"
    unknown = civil.post(path, json={"reason": PRIVATE_REASON, "category": "gossip"})
    assert unknown.status_code in (400, 422) and "revoked" not in unknown.text
    r = civil.post(path, json={"reason": PRIVATE_REASON, "category": "fraud"})
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text

    code = document["verification_code"]
    public = Api(stack.base_url)
    checked = public.get(f"/verify/{code}", headers={"Accept": "application/json", "Accept-Language": "en"})
    assert checked.status_code == 200
    body = checked.json()
    assert PRIVATE_REASON not in checked.text and "张小明" not in checked.text
    assert body["status"] == "revoked" and body["genuine"] is True and body["revoked_at"]
    assert body["revocation_category"] == "fraud" and body["revocation_category_label"]
    assert body["revoked_by"]["code"] == "civil-affairs"

    in_chinese = public.get(f"/verify/{code}", headers={"Accept": "application/json", "Accept-Language": "zh-CN"})
    page = public.get(f"/verify/{code}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and PRIVATE_REASON not in page.text and "张小明" not in page.text
    assert "已撤销" in page.text and in_chinese.json()["revocation_category_label"] in page.text
    assert in_chinese.json()["revoked_by"]["name"] in page.text
    english = public.get(f"/verify/{code}", headers={"Accept-Language": "en"})
    assert "Revoked" in english.text and PRIVATE_REASON not in english.text

    # The issuer's words are kept for the audit trail, not in clear in the database.
    events = sql(
        stack,
        "SELECT detail FROM audit_event WHERE action = {} AND object_id = {}",
        "document.revoked",
        str(document["id"]),
    )
    assert events and "fraud" in str(events) and PRIVATE_REASON not in str(events)
    trail = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    revoked = [e for e in trail if e["action"] == "document.revoked"]
    assert revoked and revoked[0]["detail"]["reason"] == PRIVATE_REASON
    stored = sql(stack, "SELECT revocation_reason FROM document WHERE id = {}", document["id"])
    assert PRIVATE_REASON not in str(stored)


# Reading the reconciliation --------------------------------------------------------------------


def stored_reports(stack) -> list[dict]:
    return sql(stack, "SELECT day, created_at, differences FROM reconciliation_report ORDER BY day")


def test_reading_the_reconciliation_stores_nothing_and_a_post_stores_the_day(stack):
    auditor = Api(stack.base_url, "auditor")
    before = stored_reports(stack)
    for _ in range(2):
        read = auditor.get("/api/reconciliation")
        assert read.status_code == 200 and "differences" in read.json()
    assert stored_reports(stack) == before

    assert auditor.post("/api/reconciliation").status_code == 403  # auditors read, they do not write
    produced = Api(stack.base_url, "admin").post("/api/reconciliation")
    assert produced.status_code == 201, produced.text
    day = produced.json()["day"]
    after = stored_reports(stack)
    assert [r for r in after if str(r["day"]) == day] and after != before
    assert auditor.get(f"/api/reconciliation/{day}").json()["claims_paid"] == produced.json()["claims_paid"]
