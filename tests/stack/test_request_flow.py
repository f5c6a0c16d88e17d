"""The first service end to end: a citizen files, two departments approve or reject, a PDF results."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import uuid

import pytest

from hub.db.records import PUBLIC_STEPS
from tests.stack.db import sql
from tests.stack.flows import SERVICE, decide, decision_of, file_request, open_task, pdf_text, wait_closed, wait_for
from tests.stack.harness import Api

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def citizen(stack):
    return Api(stack.base_url, "zhangsan")


@pytest.fixture(scope="module")
def street(stack):
    return Api(stack.base_url, "street.clerk")


@pytest.fixture(scope="module")
def civil(stack):
    return Api(stack.base_url, "civil.clerk")


def test_health_reports_database_and_temporal(stack):
    answer = Api(stack.base_url).get("/health")
    body = answer.json()
    assert answer.status_code == 200
    assert body["database"]["ok"] and body["temporal"]["ok"]
    # A missing working-day calendar (tests/stack/test_working_calendar.py) degrades, without a 503.
    assert body["status"] == ("ok" if body["calendar"]["ok"] else "degraded")


def test_catalog_is_public_and_speaks_the_callers_language(stack):
    zh = Api(stack.base_url).get(f"/api/services/{SERVICE}").json()
    en = Api(stack.base_url, locale="en-GB,en;q=0.9").get(f"/api/services/{SERVICE}").json()
    assert zh["title"] == "80周岁以上老年人高龄津贴" or "津贴" in zh["title"]
    assert en["title"] == "Old-age allowance for residents aged 80 and over"
    assert [s["id"] for s in en["route"]] == ["residence-check", "approval"]
    assert {f["name"] for f in en["fields"]} >= {"full_name", "resident_id", "phone", "bank_account"}
    resident_id = next(f for f in en["fields"] if f["name"] == "resident_id")
    assert resident_id["personal"] and resident_id["purpose"] and resident_id["prefill"] == "profile.resident_id"
    assert en["form_schema"]["additionalProperties"] is False


def test_citizen_files_and_two_departments_approve(stack, citizen, street, civil):
    r = file_request(citizen)
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert r.json()["workflow_id"] == f"request-{ref}"
    # Personal data is masked even for the applicant's own view.
    assert r.json()["answers"]["resident_id"] == "3301**********0011"

    first = open_task(street, ref)
    assert civil.get("/api/tasks").json() == [] or all(t["request_ref"] != ref for t in civil.get("/api/tasks").json())
    ok = decide(street, first["id"], "approve", "住址核实无误")
    assert ok.status_code == 200, ok.text
    assert ok.json()["task"]["state"] == "approved"

    second = open_task(civil, ref)
    assert second["stage_id"] == "approval"
    assert decide(civil, second["id"], "approve", "同意发放").status_code == 200

    done = wait_closed(citizen, ref)
    assert done["state"] == "approved"
    kinds = [e["kind"] for e in done["timeline"]]
    assert kinds == [
        "submitted",
        "document_issued",  # the acceptance receipt
        "stage_opened",
        "task_approved",
        "stage_opened",
        "task_approved",
        "document_issued",  # the decision notice
        "request_approved",
    ]

    document = decision_of(done)
    pdf = citizen.get(document["download_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "张三" in text
    assert "决定书" in text and "决定批准您的申请" in text
    assert "330106194003150011" not in text  # the identity number is masked on the document too

    # The workflow is listed under its business key by the Temporal CLI.
    # The request is closed in the hub before the workflow's last step (telling the applicant) ends.
    def status() -> str:
        described = stack.temporal_cli("workflow", "describe", "--workflow-id", f"request-{ref}", "--output", "json")
        assert described.returncode == 0, described.stderr
        return json.loads(described.stdout)["workflowExecutionInfo"]["status"]

    completed = "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    wait_for(lambda: status() == completed, what="the workflow's completion")


def test_a_request_s_detail_shows_its_tasks_timeline_and_documents_as_stored(stack, citizen, street, civil):
    # A detail reads a request's parts with the request itself; an answer made from a request read
    # otherwise (filing again with the same key) reads them on their own. Both show what is stored,
    # in its order, at its times.
    key = f"test-{uuid.uuid4()}"
    ref = file_request(citizen, key=key).json()["ref"]
    assert decide(street, open_task(street, ref)["id"], "approve", "住址核实无误").status_code == 200
    assert decide(civil, open_task(civil, ref)["id"], "approve", "同意发放").status_code == 200
    detail = wait_closed(citizen, ref)

    def moment(value: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(value) if value else None

    [request] = sql(stack, "SELECT id FROM service_request WHERE ref = {}", ref)
    tasks = sql(stack, "SELECT * FROM review_task WHERE request = {} ORDER BY opened_at, id", request["id"])
    entries = sql(stack, "SELECT * FROM timeline_entry WHERE request = {} ORDER BY at, id", request["id"])
    documents = sql(stack, "SELECT * FROM document WHERE request = {} ORDER BY issued_at, id", request["id"])
    assert len(tasks) == 2 and len(documents) == 2

    assert [(t["stage_id"], t["state"], moment(t["due_at"]), moment(t["decided_at"])) for t in detail["tasks"]] == [
        (t["stage_id"], t["state"], moment(t["due_at"]), moment(t["decided_at"])) for t in tasks
    ]
    assert all(t["provisional"] is False for t in detail["tasks"])
    assert [(e["kind"], moment(e["at"])) for e in detail["timeline"]] == [
        (e["kind"], moment(e["at"])) for e in entries if e["kind"] in PUBLIC_STEPS
    ]
    assert [(d["id"], d["kind"], d["sha256"], d["size"], moment(d["issued_at"])) for d in detail["documents"]] == [
        (d["id"], d["kind"], d["sha256"], d["size"], moment(d["issued_at"])) for d in documents
    ]
    again = file_request(citizen, key=key)
    assert again.status_code == 200, again.text
    assert {part: again.json()[part] for part in ("tasks", "timeline", "documents")} == {
        part: detail[part] for part in ("tasks", "timeline", "documents")
    }


def test_first_department_rejects_with_reason_and_the_route_stops(stack, citizen, street, civil):
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    r = decide(street, task["id"], "reject", "申请人实际居住地不在本街道")
    assert r.status_code == 200, r.text
    done = wait_closed(citizen, ref)
    assert done["state"] == "rejected"
    assert [t["stage_id"] for t in done["tasks"]] == ["residence-check"]  # never reached the bureau
    assert all(t["request_ref"] != ref for t in civil.get("/api/tasks", params={"state": "all"}).json())
    text = pdf_text(citizen.get(decision_of(done)["download_url"]).content)
    assert "申请人实际居住地不在本街道" in text
    assert "行政复议" in text  # the applicant is told of the right to appeal


def test_rejection_needs_a_reason(stack, citizen, street):
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    r = decide(street, task["id"], "reject", "  ")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "comment"
    assert street.get(f"/api/tasks/{task['id']}").json()["state"] == "claimed"  # still held, undecided


def test_clerk_of_another_department_is_refused(stack, citizen, street):
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    hr = Api(stack.base_url, "hr.clerk")
    assert all(t["request_ref"] != ref for t in hr.get("/api/tasks").json())
    r = decide(hr, task["id"], "approve", "")
    # Not found, as a task that does not exist: the answer does not tell that the task is there.
    assert r.status_code == 404
    assert r.json()["type"] == "/problems/not-found"
    assert hr.get(f"/api/requests/{ref}").status_code == 404
    assert street.get(f"/api/tasks/{task['id']}").json()["state"] == "open"


def test_people_see_only_what_is_theirs(stack, citizen):
    ref = file_request(citizen).json()["ref"]
    other = Api(stack.base_url, "lisi")
    assert other.get(f"/api/requests/{ref}").status_code == 404
    assert all(item["ref"] != ref for item in other.get("/api/requests").json())
    assert other.get("/api/tasks").status_code == 403
    anonymous = Api(stack.base_url)
    for path in (f"/api/requests/{ref}", "/api/requests", "/api/tasks", "/api/me"):
        r = anonymous.get(path)
        assert r.status_code == 401, path
        assert r.json()["type"] == "/problems/unauthenticated"
    bad_token = Api(stack.base_url)
    bad_token.http.headers["Authorization"] = "Bearer not-a-token"
    assert bad_token.get("/api/requests").status_code == 401


def test_invalid_form_gives_per_field_errors_and_stores_nothing(stack, citizen):
    before = len(citizen.get("/api/requests").json())
    r = file_request(citizen, phone="12345", resident_id=None, address=None, bank_account=None, unexpected="x")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "/problems/validation-failed"
    by_field = {e["field"]: e for e in problem["errors"]}
    assert by_field["phone"]["code"] == "phone_invalid"
    assert by_field["address"]["code"] == "missing"
    assert by_field["bank_account"]["code"] == "missing"
    assert by_field["unexpected"]["code"] == "extra_forbidden"
    assert "手机号" in by_field["phone"]["message"] or "电话" in by_field["phone"]["message"]
    english = Api(stack.base_url, "zhangsan", locale="en")
    r = file_request(english, phone="12345")
    assert r.json()["errors"][0]["message"].startswith("Enter a mainland mobile number")
    assert len(citizen.get("/api/requests").json()) == before


def test_a_changed_identity_number_is_refused(stack, citizen):
    r = file_request(citizen, resident_id="110101199003070014")
    assert r.status_code == 422
    assert r.json()["errors"][0] == {**r.json()["errors"][0], "field": "resident_id", "code": "prefilled_mismatch"}


def test_ineligible_applicant_is_told_why(stack):
    young = Api(stack.base_url, "lisi", locale="en")
    r = file_request(young)
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == "/problems/not-eligible"
    failed = [rule for rule in body["rules"] if not rule["passed"]]
    assert [rule["rule"] for rule in failed] == ["aged-80"]
    assert failed[0]["message"] == "The applicant must be aged 80 or over."


def test_duplicate_submission_returns_the_same_request(stack, citizen):
    first = file_request(citizen, key="double-click-0001")
    again = file_request(citizen, key="double-click-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["ref"] == first.json()["ref"]
    refs = [item["ref"] for item in citizen.get("/api/requests").json()]
    assert refs.count(first.json()["ref"]) == 1
    changed = file_request(citizen, key="double-click-0001", phone="13900139000")
    assert changed.status_code == 409
    assert changed.json()["type"] == "/problems/idempotency-key-reused"
    missing_key = citizen.post("/api/requests", json={"service_id": SERVICE, "answers": {}})
    assert missing_key.status_code == 400


def test_concurrent_submissions_with_one_key_make_one_request(stack, citizen):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: file_request(citizen, key="same-key-concurrent"), range(4)))
    assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
    assert len({r.json()["ref"] for r in results}) == 1


def test_two_decisions_at_once_exactly_one_wins(stack, citizen, street):
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    other_session = Api(stack.base_url, "street.clerk")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a = pool.submit(decide, street, task["id"], "approve", "第一位")
        b = pool.submit(decide, other_session, task["id"], "reject", "第二位")
        codes = sorted([a.result().status_code, b.result().status_code])
    assert codes == [200, 409]
    detail = street.get(f"/api/requests/{ref}").json()
    decided = [e for e in detail["timeline"] if e["kind"] in ("task_approved", "task_rejected")]
    assert len(decided) == 1


def test_unknown_service_and_malformed_body(stack, citizen):
    r = citizen.post(
        "/api/requests",
        json={"service_id": "no-such-service", "answers": {}},
        headers={"Idempotency-Key": "unknown-svc-1"},
    )
    assert r.status_code == 422 and r.json()["type"] == "/problems/unknown-service"
    r = citizen.post(
        "/api/requests",
        content=b"{not json",
        headers={"Idempotency-Key": "malformed-1", "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


def test_the_api_is_documented_in_openapi(stack):
    schema = Api(stack.base_url).get("/schema/openapi.json").json()
    expected = {
        "/api/services",
        "/api/requests",
        "/api/requests/{ref}/supplements",
        "/api/requests/{ref}/withdrawal",
        "/api/requests/{ref}/audit",
        "/api/tasks",
        "/api/tasks/counts",
        "/api/tasks/{task_id}/claim",
        "/api/tasks/{task_id}/release",
        "/api/tasks/{task_id}/decision",
        "/api/tasks/{task_id}/information-request",
        "/api/tasks/{task_id}/transfer",
        "/api/tasks/{task_id}/assignment",
        "/api/tasks/{task_id}/confirmation",
        "/api/documents/{document_id}/revocation",
        "/verify/{code}",
    }
    assert expected <= set(schema["paths"])
    assert all(op.get("summary") for path in expected for op in schema["paths"][path].values())
