"""Materials satisfied by credentials through the real stack: the medical certificate of birth the
health commission issued (a credential, once its request is approved) stands in for the upload the
maternity allowance asks for; the clerk sees it verified; revoked after filing, the clerk's task
warns before the decision, and filing with it again is refused with a field error in Chinese."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from forms.catalog import load_catalog
from forms.samples import example_answers
from tests.stack.flows import (
    CLERKS,
    decide,
    decision_of,
    example_submission,
    file_service,
    next_open_task,
    open_task,
    wait_closed,
)
from tests.stack.harness import Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

CATALOG = load_catalog()
MATERNITY = CATALOG.latest("maternity-allowance")
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def file_maternity(applicant: Api, **proof) -> httpx.Response:
    """The maternity allowance with the example answers and no upload for the birth certificate
    (or the given answer for it)."""
    submission = example_submission(applicant, MATERNITY)
    submission["answers"].pop("birth_certificate")
    submission["answers"].update(proof)
    return applicant.post("/api/requests", json=submission, headers={"Idempotency-Key": f"m-{uuid.uuid4()}"})


def approved_birth_certificate(stack) -> dict:
    """A medical certificate of birth walked to approval: its holder, decision and credential."""
    applicant, filed = file_service(stack, CATALOG.latest("birth-medical-certificate"))
    while (step := next_open_task(stack, applicant, filed["ref"])) is not None:
        clerk, task = step
        if task.get("confirm"):
            assert clerk.post(f"/api/tasks/{task['id']}/confirmation", json={"accept": True}).status_code == 200
            continue
        assert decide(clerk, task["id"], "approve", "出生信息核实无误").status_code == 200
    done = wait_closed(applicant, filed["ref"])
    assert done["state"] == "approved"
    wallet = applicant.get("/api/wallet").json()["credentials"]
    # Newest first: the one this approval issued.
    held = next(c for c in wallet if c["type"] == "birth-medical-certificate" and c["status"] == "valid")
    return {"applicant": applicant, "decision": decision_of(done), "credential": held}


@pytest.fixture(scope="module")
def certificate(stack):
    return approved_birth_certificate(stack)


def test_a_credential_the_hub_issued_stands_in_for_the_upload_and_is_refused_once_revoked(stack, certificate):
    applicant, held = certificate["applicant"], certificate["credential"]
    assert MATERNITY.field("birth_certificate").credential == "birth-medical-certificate"

    # The form says the hub already has it, in place of the upload.
    browser = signed_in_page_client(stack, applicant.username, "en")
    page = browser.get(f"/services/{MATERNITY.id}/apply")
    assert "We already have this: Medical certificate of birth, issued by" in page.text
    assert 'name="birth_certificate__file"' not in page.text
    # ...and on the page to check the answers before filing.
    form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in example_answers(MATERNITY).items()}
    form.update(_csrf_token=CSRF.search(page.text).group(1), action="review")
    assert "birth_certificate" not in form
    posted = browser.post(f"/services/{MATERNITY.id}/apply", data=form)
    assert posted.status_code == 303 and posted.headers["location"].endswith("/review"), posted.text[:2000]
    assert "We already have this: Medical certificate of birth" in browser.get(posted.headers["location"]).text

    # Filed with nothing uploaded: the hub takes the credential the applicant holds.
    filed = file_maternity(applicant)
    assert filed.status_code == 201, filed.text
    ref = filed.json()["ref"]
    request = Api(stack.base_url, applicant.username, locale="zh-CN").get(f"/api/requests/{ref}").json()
    assert request["answers"]["birth_certificate"]["credential"] == held["id"]
    assert not request["attachments"]
    [used] = request["credentials"]
    assert (used["field"], used["type"], used["status_at_filing"], used["status_now"]) == (
        "birth_certificate",
        "birth-medical-certificate",
        "valid",
        "valid",
    )
    assert used["issuer"] == "区卫生健康委员会" and used["title"] == "出生医学证明"

    # The clerk sees it verified: type, issuer, status at filing and now; no warning.
    hr = Api(stack.base_url, CLERKS["human-resources"], locale="zh-CN")
    task = open_task(hr, ref)
    detail = hr.get(f"/api/tasks/{task['id']}").json()
    [seen] = detail["credentials"]
    assert seen["title"] == "出生医学证明" and seen["issuer"] and seen["status_now"] == "valid"
    assert detail["credential_warning"] == ""

    # The health commission revokes the certificate: the task warns before the clerk decides.
    health = Api(stack.base_url, CLERKS["health"])
    revoked = health.post(
        f"/api/documents/{certificate['decision']['id']}/revocation",
        json={"reason": "医院报告出生信息登记有误", "category": "issued_in_error"},
    )
    assert revoked.status_code == 200, revoked.text
    detail = hr.get(f"/api/tasks/{task['id']}").json()
    [seen] = detail["credentials"]
    assert seen["status_at_filing"] == "valid" and seen["status_now"] == "revoked" and seen["lapsed"]
    assert "出生医学证明" in detail["credential_warning"] and "已撤销" in detail["credential_warning"]
    page = signed_in_page_client(stack, CLERKS["human-resources"], "zh_CN").get(f"/workbench/tasks/{task['id']}")
    assert page.status_code == 200 and 'id="credential-warning"' in page.text
    assert detail["credential_warning"] in page.text

    # Filing with the revoked credential is refused at its field, in the caller's language.
    again = Api(stack.base_url, applicant.username, locale="zh-CN")
    refused = file_maternity(again, birth_certificate={"credential": held["id"]})
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "birth_certificate" and error["code"] == "credential_revoked"
    assert "撤销" in error["message"]
    # The form offers the revoked one no more: the upload, unless another valid one is held.
    wallet = applicant.get("/api/wallet").json()["credentials"]
    still = [c for c in wallet if c["type"] == "birth-medical-certificate" and c["status"] == "valid"]
    assert held["id"] not in {c["id"] for c in still}
    page = browser.get(f"/services/{MATERNITY.id}/apply")
    assert ("We already have this" in page.text) == bool(still)
    assert ('name="birth_certificate__file"' in page.text) == (not still)
    # The account's pages back in Chinese, and the request withdrawn: as other tests expect them.
    token = CSRF.search(browser.get("/").text).group(1)
    assert browser.post("/language", data={"locale": "zh_CN", "next": "/", "_csrf_token": token}).status_code == 303
    withdrawn = applicant.post(f"/api/requests/{ref}/withdrawal", json={"reason": "证明已撤销，另行申请"})
    assert withdrawn.status_code == 202, withdrawn.text


def test_auditors_read_the_zero_materials_figure_per_service(stack):
    from hub.catalog.materials import materials_figure

    figure = materials_figure(CATALOG, "zh_CN")
    page = signed_in_page_client(stack, "auditor", "zh_CN").get("/admin/materials")
    assert page.status_code == 200
    assert f"目录所列 {figure.asked} 项材料中，{figure.without_upload} 项无需上传" in page.text
    assert 'id="service-maternity-allowance"' in page.text and "调用政府核发的电子证照" in page.text
    # Not for applicants.
    assert signed_in_page_client(stack, "zhangsan").get("/admin/materials").status_code == 403
