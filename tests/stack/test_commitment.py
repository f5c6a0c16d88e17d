"""Approval on commitment (告知承诺制) through the real workflow: the maternity allowance filed with a
signed commitment instead of the medical certificate of birth is approved at once, with no review;
the human resources bureau's post-check lands in its inbox, due in 20 working days. Kept, it closes.
Broken, the decision is revoked (as /verify shows), the allowance paid is owed back in the ledger
(and the reconciliation agrees), the applicant reads why, and her next filing on commitment is
refused while filing with the certificate goes through."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from forms.catalog import load_catalog
from forms.clock import beijing_today
from forms.samples import example_answers
from tests.stack.db import sql
from tests.stack.flows import CLERKS, SAMPLE_FILES, decision_of, pdf_text, wait_for
from tests.stack.harness import Api
from tests.stack.test_matching_progress import page_client
from workflows.benefits.types import period_of

pytestmark = pytest.mark.stack

SPEC = load_catalog().latest("maternity-allowance")
HR = CLERKS["human-resources"]


def upload(applicant: Api, field) -> str:
    name, content = SAMPLE_FILES[field.accept[0]]
    r = applicant.post("/api/uploads", files={"data": (name, content)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def file_maternity(applicant: Api, committed: bool):
    """The allowance filed with the commitment and no certificate, or with the certificate."""
    answers = example_answers(SPEC, lambda f: upload(applicant, f))
    if committed:
        answers.pop("birth_certificate")
        answers["commitment"] = True
    return applicant.post(
        "/api/requests",
        json={"service_id": SPEC.id, "answers": answers},
        headers={"Idempotency-Key": f"commitment-{uuid.uuid4()}"},
    )


def approved_on_commitment(stack, applicant: Api) -> tuple[dict, dict]:
    """File on commitment and wait for the approval and its post-check task: (request, task)."""
    filed = file_maternity(applicant, committed=True)
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    hr = Api(stack.base_url, HR, locale="en")

    def post_check():
        # The task first, then the request: read the other way round, the request could be read just
        # before its post-check task was stored, and the task found just after.
        task = next((t for t in hr.get("/api/tasks").json() if t["request_ref"] == ref), None)
        body = applicant.get(f"/api/requests/{ref}").json()
        return (body, task) if body["state"] == "approved" and task and body["documents"] else None

    return wait_for(post_check, timeout=60, what=f"{ref} approved with its post-check open")


def record(clerk: Api, task_id: int, body: dict):
    assert clerk.post(f"/api/tasks/{task_id}/claim").status_code == 200
    return clerk.post(f"/api/tasks/{task_id}/post-check", json=body)


def test_a_commitment_is_approved_at_once_and_a_kept_post_check_closes_it(stack):
    service = Api(stack.base_url, locale="en").get(f"/api/services/{SPEC.id}").json()
    assert service["version"] == SPEC.version >= 2 and service["commitment"]["replaces"] == ["birth_certificate"]
    assert service["commitment"]["post_check_days"] == 20 and service["commitment"]["statement"].startswith("I commit")
    assert service["form_schema"]["properties"]["commitment"]["type"] == "boolean"
    page = Api(stack.base_url).get(f"/services/{SPEC.id}").text
    assert "告知承诺制" in page and "20个工作日内进行核查" in page
    applicant = Api(stack.base_url, "lisi", locale="en")
    request, task = approved_on_commitment(stack, applicant)
    ref = request["ref"]
    # No review: the health commission and the bureau never had a review task; only the post-check.
    assert [t["stage_id"] for t in request["tasks"]] == ["post-check"]
    assert request["state_label"] == "Approved, post-check pending"
    kinds = [e["kind"] for e in request["timeline"]]
    assert kinds.index("commitment_signed") < kinds.index("approved_on_commitment") < kinds.index("request_approved")
    assert all(t["request_ref"] != ref for t in Api(stack.base_url, CLERKS["health"]).get("/api/tasks").json())
    assert decision_of(request)["status"] == "valid"
    # The decision says on what it rests and what follows.
    notice = "".join(pdf_text(applicant.get(decision_of(request)["download_url"]).content).split())
    assert "Approvedontheapplicant'ssignedcommitmentinplaceof:Medicalcertificateofbirth." in notice, notice
    # Due in 20 working days: four weeks of five, less the weekend days before the first (filed on
    # a Saturday, due on the Friday 27 days later), and not much more (holidays aside).
    due = dt.datetime.fromisoformat(task["due_at"]).date()
    assert 26 <= (due - beijing_today()).days <= 45, task["due_at"]
    assert task["stage_title"] == "Post-check of the commitment" and task["department"]["code"] == "human-resources"

    hr = Api(stack.base_url, HR, locale="en")
    # The post-check is not a decision: the decision move is refused.
    assert hr.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    refused = hr.post(f"/api/tasks/{task['id']}/decision", json={"verdict": "approve", "comment": ""})
    assert refused.status_code == 409, refused.text
    kept = hr.post(f"/api/tasks/{task['id']}/post-check", json={"kept": True})
    assert kept.status_code == 200, kept.text

    def closed():
        body = applicant.get(f"/api/requests/{ref}").json()
        return body if "commitment_kept" in [e["kind"] for e in body["timeline"]] else None

    done = wait_for(closed, what=f"the post-check of {ref} recorded")
    assert (done["state"], done["state_label"]) == ("approved", "Approved")
    assert decision_of(done)["status"] == "valid"
    assert hr.post(f"/api/tasks/{task['id']}/post-check", json={"kept": False, "reason": "again"}).status_code == 409


def test_a_broken_commitment_revokes_the_decision_recovers_the_money_and_bars_the_route(stack):
    applicant = Api(stack.base_url, "zhaoliu", locale="en")
    request, task = approved_on_commitment(stack, applicant)
    ref = request["ref"]

    # The allowance is paid by this month's cycle.
    admin = Api(stack.base_url, "admin", locale="en")
    period = period_of(beijing_today())
    started = admin.post(f"/api/benefits/{SPEC.id}/cycles", json={"period": period})
    assert started.status_code == 202, started.text
    [entitlement] = [e for e in applicant.get("/api/benefits/mine").json() if e["request_ref"] == ref]
    key = f"benefit:{entitlement['id']}:{period}"

    def paid():
        return sql(stack, "SELECT amount_cents FROM ledger_transaction WHERE idempotency_key = {}", key)

    [payment] = wait_for(paid, timeout=90, what="the allowance paid")
    assert payment["amount_cents"] > 0

    hr = Api(stack.base_url, HR, locale="en")
    no_reason = record(hr, task["id"], {"kept": False})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    reason = "The hospital has no record of a birth on that date"
    broken = hr.post(f"/api/tasks/{task['id']}/post-check", json={"kept": False, "reason": reason})
    assert broken.status_code == 200, broken.text

    def revoked():
        body = applicant.get(f"/api/requests/{ref}").json()
        return body if body["state"] == "revoked" else None

    done = wait_for(revoked, what=f"{ref} revoked")
    assert done["state_label"] == "Approval revoked"
    step = next(e for e in done["timeline"] if e["kind"] == "commitment_broken")
    assert step["title"] == "Post-check found the commitment untrue" and step["comment"] == reason
    # The request page tells her in Chinese.
    page = page_client(stack, "zhaoliu", "zh_CN").get(f"/requests/{ref}")
    assert page.status_code == 200 and "审批决定已撤销" in page.text and "事后核查发现承诺不实" in page.text
    assert reason in page.text
    decision = decision_of(done)
    assert decision["status"] == "revoked"
    verified = (
        Api(stack.base_url, locale="en")
        .get(f"/verify/{decision['verification_code']}", headers={"Accept": "application/json"})
        .json()
    )
    assert verified["status"] == "revoked" and verified["revocation_category"] == "commitment_broken"
    assert verified["revocation_category_label"] == "A commitment made in place of a proof was found untrue"

    # The payment is owed back: a receivable of the same amount, and the books still agree.
    [recovery] = sql(
        stack, "SELECT amount_cents, kind FROM ledger_transaction WHERE idempotency_key = {}", f"recovery:{key}"
    )
    assert (recovery["kind"], recovery["amount_cents"]) == ("recovery", payment["amount_cents"])
    report = admin.get("/api/reconciliation").json()
    mine = [d for d in report["differences"] if key in str(d.values()) or SPEC.id in str(d.values())]
    assert mine == [], mine
    [maternity] = [b for b in report["benefits"] if b["benefit"] == SPEC.id]
    assert maternity["overpaid_cents"] >= payment["amount_cents"]
    [ended] = [e for e in applicant.get("/api/benefits/mine").json() if e["request_ref"] == ref]
    assert ended["state"] == "ended"
    # The beneficiary reads why, in the clerk's words (sealed at rest under the finding's own field).
    assert reason in [c["reason"] for c in ended["changes"] if c["kind"] == "ended"]

    # On commitment again: refused, with the date; with the certificate: filed.
    again = file_maternity(applicant, committed=True)
    assert again.status_code == 422, again.text
    [error] = again.json()["errors"]
    today = beijing_today().isoformat()
    assert error["field"] == "commitment" and error["code"] == "commitment_barred"
    assert error["message"] == f"You broke a commitment on {today}; upload the proof instead."
    assert file_maternity(applicant, committed=False).status_code == 201


def test_my_benefits_says_in_words_how_an_allowance_is_paid(stack):
    """The maternity allowance's form does not ask how it is paid (always to a bank account): My
    benefits says so in the reader's language, not with the register's value ("bank")."""
    approved_on_commitment(stack, Api(stack.base_url, "lisi", locale="en"))
    for locale, words in (("en", "To a bank account"), ("zh_CN", "发放至银行账户")):
        page = page_client(stack, "lisi", locale).get("/benefits")
        assert page.status_code == 200, page.text
        paid_to = re.findall(r"<dd>([^<]*) · <span class=\"account\">", page.text)
        assert paid_to and set(paid_to) == {words}, paid_to
