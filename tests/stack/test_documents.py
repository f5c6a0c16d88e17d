"""Documents anyone can trust: every kind in both languages, numbered by department, signed,
verifiable by code, revocable; downloads only for those involved."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from temporalio.client import Client

from forms.catalog import load_catalog
from hub.sealing import DataKeys
from hub.temporal import data_converter
from tests.stack.db import sql
from tests.stack.flows import (
    csrf_of,
    decide,
    decision_of,
    file_example,
    file_request,
    open_task,
    pdf_text,
    signed_in_browser,
    wait_closed,
    wait_for,
)
from tests.stack.harness import Api
from workflows.names import REQUESTS_QUEUE, reissue_workflow_id
from workflows.reissue import DocumentReissueWorkflow
from workflows.types import IssueDocument, Reissue

pytestmark = pytest.mark.stack


def squeeze(text: str) -> str:
    return "".join(text.split())


def documents_of(viewer: Api, ref: str) -> dict[str, dict]:
    return {d["kind"]: d for d in viewer.get(f"/api/requests/{ref}").json()["documents"]}


def text_of(viewer: Api, document: dict) -> str:
    r = viewer.get(document["download_url"])
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    return squeeze(pdf_text(r.content))


def walk(stack, ref: str, verdicts: dict[str, str]) -> None:
    for username, verdict in verdicts.items():
        clerk = Api(stack.base_url, username)
        assert (
            decide(
                clerk, open_task(clerk, ref)["id"], verdict, "材料不符合要求" if verdict == "reject" else "同意"
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    "locale, expected",
    [
        (
            "zh-CN",
            {
                "receipt": "受理回执",
                "information_request": "补正材料通知书",
                "decision": "决定书",
                "certificate": "准予许可证明",
            },
        ),
        (
            "en",
            {
                "receipt": "Acceptancereceipt",
                "information_request": "Noticetosupplymoreinformation",
                "decision": "Decisionnotice",
                "certificate": "Certificateofapproval",
            },
        ),
    ],
)
def test_every_kind_of_document_in_both_languages(stack, locale, expected):
    applicant = Api(stack.base_url, "wangwu", locale=locale)
    r = file_example(applicant, load_catalog().latest("residence-permit"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    wait_for(lambda: "receipt" in documents_of(applicant, ref), what="the receipt")
    street = Api(stack.base_url, "street.clerk")
    task = open_task(street, ref)
    assert street.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    asked = street.post(
        f"/api/tasks/{task['id']}/information-request", json={"fields": ["phone"], "message": "请提供常用手机号码"}
    )
    assert asked.status_code == 200
    wait_for(lambda: "information_request" in documents_of(applicant, ref), what="the notice")
    assert (
        applicant.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000"}}).status_code
        == 200
    )
    assert (
        street.post(f"/api/tasks/{task['id']}/decision", json={"verdict": "approve", "comment": "同意"}).status_code
        == 200
    )
    walk(stack, ref, {"police.clerk": "approve"})
    wait_closed(applicant, ref)
    documents = wait_for(
        lambda: (d := documents_of(applicant, ref)).keys() >= expected.keys() and d, what="all documents"
    )
    for kind, title in expected.items():
        text = text_of(applicant, documents[kind])
        assert title in text, (kind, text[:300])
        assert "王五" in text
        assert documents[kind]["number"] in text  # 西公〔2026〕n号
        assert documents[kind]["verification_code"] in text
    assert "13900139000" not in text_of(applicant, documents["information_request"])  # asks, never echoes data
    # The notice is the asking department's (the sub-district office), not the service owner's.
    assert documents["information_request"]["number"].startswith("西街〔")
    assert not documents["decision"]["number"].startswith("西街〔")
    if locale == "en":
        assert "XihuSub-districtOffice" in text_of(applicant, documents["information_request"])
    assert ("电话" in text_of(applicant, documents["information_request"])) == (locale == "zh-CN")


def test_a_rejection_notice_gives_reasons_and_the_right_to_appeal_in_english(stack):
    applicant = Api(stack.base_url, "zhangsan", locale="en")
    ref = file_request(applicant).json()["ref"]
    walk(stack, ref, {"street.clerk": "reject"})
    text = text_of(applicant, decision_of(wait_closed(applicant, ref)))
    assert "notapproved" in text and "材料不符合要求" in text
    assert "administrativereconsiderationwithin60days" in text


def test_numbers_follow_each_other_within_a_department(stack):
    citizen = Api(stack.base_url, "zhangsan")
    refs = [file_request(citizen).json()["ref"] for _ in range(2)]
    numbers = [wait_for(lambda r=r: documents_of(citizen, r).get("receipt"), what="receipt")["number"] for r in refs]
    # The two requests' workflows run at once, so either receipt may be numbered first.
    sequence = sorted(int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers)
    assert all(n.startswith("西民〔") for n in numbers)  # issued in the name of the owning department
    assert sequence[1] == sequence[0] + 1


def test_documents_are_sealed_at_rest(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "reject"})
    document = decision_of(wait_closed(citizen, ref))
    store = stack.root / "var" / "documents"

    def stored(digest: str) -> Path:
        return store / digest[:2] / digest

    def download() -> bytes:
        r = citizen.get(document["download_url"])
        assert r.status_code == 200, r.text
        return r.content

    (row,) = sql(stack, "SELECT key, sha256, stored_as FROM document WHERE id = {}", document["id"])
    pdf = download()
    assert hashlib.sha256(pdf).hexdigest() == row["sha256"] == document["sha256"]  # as issued, checkable
    assert not stored(row["sha256"]).exists()
    assert b"%PDF" not in stored(row["stored_as"]).read_bytes()


def verification(code: str, base_url: str) -> dict:
    r = Api(base_url).get(f"/verify/{code}", headers={"Accept": "application/json"})
    return {"status_code": r.status_code, **r.json()}


def test_anyone_can_verify_a_document_by_its_code(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    document = decision_of(wait_closed(citizen, ref))
    result = verification(document["verification_code"], stack.base_url)
    assert result["status_code"] == 200 and result["genuine"] is True and result["status"] == "valid"
    assert result["number"] == document["number"] and result["sha256"] == document["sha256"]
    assert result["applicant"] == "张**"  # the public page never shows the name in full
    page = Api(stack.base_url).get(f"/verify/{document['verification_code'].lower()}")
    assert page.status_code == 200 and "文书真实有效" in page.text
    unknown = Api(stack.base_url, locale="en").get("/verify/NOSUCHCODE")
    assert unknown.status_code == 404 and "No document has this code" in unknown.text


def tamper(stack, document_id: int) -> None:
    """Change a signed fact behind the hub's back, as an intruder in the database would."""
    url = stack.env.get("QINQING_DATABASE_URL")
    sql = "UPDATE document SET facts = replace(facts, '\"approved\"', '\"rejected\"') WHERE id = {}"
    if url:
        import asyncpg

        async def run():
            conn = await asyncpg.connect(url)
            await conn.execute(sql.format(int(document_id)))
            await conn.close()

        asyncio.run(run())
    else:
        with sqlite3.connect(stack.root / "var" / "qinqing.sqlite") as db:
            db.execute(sql.format(int(document_id)))


def test_a_tampered_record_is_not_genuine(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    document = decision_of(wait_closed(citizen, ref))
    tamper(stack, document["id"])
    result = verification(document["verification_code"], stack.base_url)
    assert result["genuine"] is False
    assert "不真实" in Api(stack.base_url).get(f"/verify/{document['verification_code']}").text


def test_the_issuing_department_revokes_a_document(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    document = decision_of(wait_closed(citizen, ref))
    path = f"/api/documents/{document['id']}/revocation"
    assert Api(stack.base_url, "street.clerk").post(path, json={"reason": "x"}).status_code == 404  # not the issuer
    assert citizen.post(path, json={"reason": "x"}).status_code == 403
    r = Api(stack.base_url, "civil.clerk").post(path, json={"reason": "申请人隐瞒收入，撤销原决定"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert Api(stack.base_url, "civil.clerk").post(path, json={"reason": "again"}).status_code == 409
    result = verification(document["verification_code"], stack.base_url)
    assert result["genuine"] is True and result["status"] == "revoked"
    # The public reads the category (none given: "other"), not the department's own words.
    assert result["revocation_category"] == "other" and "申请人隐瞒收入" not in str(result)


def test_a_document_revoked_while_its_correction_is_made_stays_revoked_and_so_does_the_correction(stack):
    """The correction was asked for while the document was valid (the check passed), then the
    department revoked it, then the correction's workflow ran: the revocation stands, and the
    corrected document is revoked with it instead of bringing the decision back."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    old = decision_of(wait_closed(citizen, ref))
    clerk = Api(stack.base_url, "civil.clerk")
    r = clerk.post(f"/api/documents/{old['id']}/revocation", json={"reason": "申请人隐瞒收入", "category": "fraud"})
    assert r.status_code == 200, r.text
    (row,) = sql(stack, "SELECT key, request, kind, locale FROM document WHERE id = {}", old["id"])

    async def correct() -> str:
        # What the correction's handler starts once its check has passed.
        converter = data_converter(DataKeys(stack.root / "var" / "data-keys"))
        client = await Client.connect(stack.temporal.address, data_converter=converter)
        issued = await client.execute_workflow(
            DocumentReissueWorkflow.run,
            Reissue(
                previous_key=row["key"],
                reason="更正申请人地址",
                document=IssueDocument(
                    key=f"{row['key']}:reissued",
                    request_id=row["request"],
                    kind=row["kind"],
                    outcome="approved",
                    locale=row["locale"],
                    issued_at=dt.datetime.now(dt.UTC),
                ),
            ),
            id=reissue_workflow_id(row["key"]),
            task_queue=REQUESTS_QUEUE,
        )
        return issued.key

    new_key = asyncio.run(correct())
    before = verification(old["verification_code"], stack.base_url)
    assert before["status"] == "revoked" and before["revocation_category"] == "fraud"
    (new,) = sql(stack, "SELECT verification_code, status, revocation_category FROM document WHERE key = {}", new_key)
    assert new["status"] == "revoked" and new["revocation_category"] == "fraud"
    after = verification(new["verification_code"], stack.base_url)
    assert after["genuine"] is True and after["status"] == "revoked"
    # Its credential does not hold either.
    states = sql(
        stack, "SELECT c.status FROM credential c JOIN document d ON d.id = c.document WHERE d.key = {}", new_key
    )
    assert states and all(c["status"] == "revoked" for c in states)


def test_downloads_only_for_those_involved(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    receipt = wait_for(lambda: documents_of(citizen, ref).get("receipt"), what="receipt")
    for username in ("lisi", "hr.clerk", "yunqi"):
        assert Api(stack.base_url, username).get(receipt["download_url"]).status_code == 404
    assert Api(stack.base_url).get(receipt["download_url"]).status_code == 401
    # The reviewing department's clerk: the receipt names the applicant, so with a reason (recorded).
    clerk = Api(stack.base_url, "street.clerk")
    assert clerk.get(receipt["download_url"]).status_code == 403
    assert clerk.get(receipt["download_url"], params={"reason": "核对受理回执"}).status_code == 200


def test_a_corrected_document_supersedes_the_earlier_one(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    old = decision_of(wait_closed(citizen, ref))
    path = f"/api/documents/{old['id']}/reissue"
    assert Api(stack.base_url, "street.clerk").post(path, json={"reason": "x"}).status_code == 404  # not the issuer
    r = Api(stack.base_url, "civil.clerk").post(path, json={"reason": "更正申请人地址"})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["supersedes"] == old["number"] and new["number"] != old["number"]
    before = verification(old["verification_code"], stack.base_url)
    assert before["genuine"] is True and before["status"] == "superseded"
    assert before["superseded_by"] == new["number"] and before["superseded_by_code"] == new["verification_code"]
    after = verification(new["verification_code"], stack.base_url)
    assert after["genuine"] is True and after["status"] == "valid"
    kinds = [d["kind"] for d in citizen.get(f"/api/requests/{ref}").json()["documents"]]
    assert kinds.count("decision") == 2  # the applicant has both, and the page says which is current
    assert Api(stack.base_url, "civil.clerk").post(path, json={"reason": "again"}).status_code == 409


def test_two_corrections_asked_at_once_make_one_and_the_log_records_one(stack):
    """Both clerks passed the check while the document was valid; one correction is made, with the
    reason of the one who asked first, and only that one is in the audit log."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    old = decision_of(wait_closed(citizen, ref))
    path = f"/api/documents/{old['id']}/reissue"
    reasons = ["更正申请人地址", "更正申请人姓名"]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda reason: Api(stack.base_url, "civil.clerk").post(path, json={"reason": reason}), reasons)
        )
    made = [r.json() for r in answers if r.status_code == 201]
    assert made and all(r.status_code in (201, 409) for r in answers), [r.text for r in answers]
    assert len({m["number"] for m in made}) == 1  # one correction, whoever got it
    (superseded,) = sql(stack, "SELECT status FROM document WHERE id = {}", old["id"])
    assert superseded["status"] == "superseded"
    trail = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    reissued = [e for e in trail if e["action"] == "document.reissued"]
    assert len(reissued) == 1, reissued
    assert reissued[0]["detail"]["reason"] in reasons and reissued[0]["detail"]["new"] == made[0]["id"]


def test_the_issuing_department_corrects_and_revokes_a_document_on_its_pages(stack):
    """The clerk's pages for a document the department issued: linked from the task, refused to
    anyone else, each mistake shown next to its field with nothing changed, then a correction that
    supersedes the document and a revocation the public verification reports."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    walk(stack, ref, {"street.clerk": "approve", "civil.clerk": "approve"})
    old = decision_of(wait_closed(citizen, ref))
    page = f"/workbench/documents/{old['id']}"
    (task,) = sql(
        stack,
        "SELECT t.id FROM review_task t JOIN service_request r ON r.id = t.request "
        "WHERE r.ref = {} AND t.department = 'civil-affairs'",
        ref,
    )
    with signed_in_browser(stack.base_url, "street.clerk") as other:
        assert other.get(page).status_code == 404  # not the issuer
        refused = other.post(f"{page}/revocation", data={"_csrf_token": csrf_of(other.get("/workbench").text)})
        assert refused.status_code == 404
    with signed_in_browser(stack.base_url, "civil.clerk") as clerk:
        assert f'href="{page}"' in clerk.get(f"/workbench/tasks/{task['id']}").text
        shown = clerk.get(page)
        assert shown.status_code == 200 and old["number"] in shown.text and "/correction" in shown.text
        token = csrf_of(shown.text)
        empty = clerk.post(f"{page}/correction", data={"_csrf_token": token, "reason": "  "})
        assert empty.status_code == 422 and 'id="d-correct-reason-error"' in empty.text
        unknown = clerk.post(f"{page}/revocation", data={"_csrf_token": token, "reason": "x", "category": "superseded"})
        assert unknown.status_code == 422 and 'id="d-revoke-category-error"' in unknown.text
        # The public, irreversible category is never chosen for the clerk: "Choose…" comes first.
        categories = shown.text.split('id="d-revoke-category"', 1)[1].split("</select>", 1)[0]
        assert re.search(r'>\s*<option value="">[^<]+</option>', categories) and " selected" not in categories
        blank = clerk.post(f"{page}/revocation", data={"_csrf_token": token, "reason": "隐瞒收入", "category": ""})
        assert blank.status_code == 422 and 'id="d-revoke-category-error"' in blank.text
        assert 'aria-describedby="d-revoke-category-error"' in blank.text and ">隐瞒收入</textarea>" in blank.text
        assert verification(old["verification_code"], stack.base_url)["status"] == "valid"  # nothing changed

        corrected = clerk.post(f"{page}/correction", data={"_csrf_token": token, "reason": "更正申请人地址"})
        assert corrected.status_code == 303, corrected.text
        new_page = corrected.headers["location"].split("?")[0]
        assert new_page != page
        new = clerk.get(new_page)
        assert new.status_code == 200 and "/revocation" in new.text
        assert f'href="{new_page}"' in clerk.get(page).text  # the old one points to its correction
        before = verification(old["verification_code"], stack.base_url)
        assert before["status"] == "superseded"
        again = clerk.post(f"{page}/correction", data={"_csrf_token": token, "reason": "again"})
        assert again.status_code == 409 and "/correction" not in again.text

        revoked = clerk.post(
            f"{new_page}/revocation",
            data={"_csrf_token": csrf_of(new.text), "reason": "申请人隐瞒其子张小明的收入", "category": "fraud"},
        )
        assert revoked.status_code == 303, revoked.text
        assert "/revocation" not in clerk.get(new_page).text
    after = verification(before["superseded_by_code"], stack.base_url)
    assert after["status"] == "revoked" and after["revocation_category"] == "fraud"
    assert "张小明" not in str(after)  # the department's own words are not public
    trail = Api(stack.base_url, "auditor").get(f"/api/requests/{ref}/audit").json()
    assert {"document.reissued", "document.revoked"} <= {e["action"] for e in trail}
