"""Hostile input through the running hub: whatever a caller sends, the answer is the caller's
mistake (a 4xx problem document or page), never a server error, and nothing odd is stored.

JSON nested deeper than any form needs, a NUL in a static file's path, audit filters out of any
range, control and bidirectional-override characters in text answers, and another department's
task, which answers exactly as a task that does not exist.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.stack.flows import SERVICE, answers, file_request, open_task
from tests.stack.harness import PASSWORD, Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

PROBLEM = "application/problem+json"
DEEP = 1000


def deep_arrays(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_objects(depth: int = DEEP) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def post_json(client: httpx.Client, path: str, body: bytes, **headers: str) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": "application/json", **headers})


def assert_malformed(r: httpx.Response, language: str = "en") -> dict:
    assert r.status_code == 400, r.text[:300]
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["content-language"].startswith(language)
    body = r.json()
    assert body["type"] == "/problems/malformed-request" and body["status"] == 400
    return body


# Deeply nested JSON -------------------------------------------------------------------------------


def test_deep_json_to_the_token_endpoint_is_a_malformed_request(stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as anonymous:
        for body in (deep_arrays(), deep_objects()):
            assert_malformed(post_json(anonymous, "/api/auth/token", body, **{"Accept-Language": "en"}))
        refused = post_json(anonymous, "/api/auth/token", deep_arrays(), **{"Accept-Language": "zh-CN"})
        assert assert_malformed(refused, "zh")["title"] == "请求格式错误"
        # Ordinary nesting is still read: a wrong password is a wrong password.
        wrong = anonymous.post("/api/auth/token", json={"username": "zhangsan", "password": "not-" + PASSWORD})
        assert wrong.status_code == 401


def test_deep_json_to_a_signed_in_endpoint_stores_nothing(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    before = len(citizen.get("/api/requests").json())
    nested = b'{"service_id":"' + SERVICE.encode() + b'","answers":{"address":' + deep_arrays() + b"}}"
    for body in (deep_arrays(), deep_objects(), nested):
        assert_malformed(post_json(citizen.http, "/api/requests", body, **{"Idempotency-Key": f"deep-{uuid.uuid4()}"}))
    assert len(citizen.get("/api/requests").json()) == before


def test_deep_json_on_every_json_endpoint_is_never_a_server_error(stack):
    """Every operation that takes a JSON body, for each kind of caller: never a 500."""
    schema = httpx.get(f"{stack.base_url}/schema/openapi.json").json()
    callers = {None: httpx.Client(base_url=stack.base_url, timeout=30)}
    for username in ("zhangsan", "street.clerk", "admin", "auditor"):
        callers[username] = Api(stack.base_url, username, locale="en").http
    tried = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch") or "requestBody" not in operation:
                continue
            content = operation["requestBody"].get("content", {})
            if not any("json" in media for media in content):
                continue
            url = path.replace("{", "").replace("}", "")
            url = "/".join("1" if part.endswith(("_id", "id")) and part != "id" else part for part in url.split("/"))
            for who, client in callers.items():
                r = client.request(method, url, content=deep_arrays(), headers={"Content-Type": "application/json"})
                tried += 1
                where = f"{method.upper()} {path} as {who or 'nobody'}"
                assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:200]}"
                assert r.headers["content-type"].startswith(PROBLEM), where
    assert tried >= 20


# A NUL in a static file's path --------------------------------------------------------------------


def test_a_nul_in_a_static_path_names_no_file(stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as anonymous:
        assert anonymous.get("/static/app.js").status_code == 200
        for path in ("/static/app.js%00.css", "/static/%00", "/static/app.js%00"):
            r = anonymous.get(path)
            assert r.status_code == 404, (path, r.status_code, r.text[:200])
            assert r.headers["content-type"] == PROBLEM
        assert anonymous.head("/static/app.js%00.css").status_code == 404
        # Nor does a name longer than any file's, or a file taken for a folder.
        for path in ("/static/" + "a" * 300, "/static/app.js/x"):
            assert anonymous.get(path).status_code == 404, path


# The audit log's filters out of range -------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("before", "9223372036854775808"), ("before", "2147483648"), ("since", "0001-01-01"), ("until", "9999-12-31")],
)
def test_audit_filters_out_of_range_name_the_field(stack, field, value):
    auditor = Api(stack.base_url, "auditor", locale="en")
    r = auditor.get("/api/audit", params={field: value})
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == "/problems/validation-failed"
    assert [e["field"] for e in body["errors"]] == [field]
    assert "{" not in body["errors"][0]["message"]  # the bound is in the message, not a placeholder
    chinese = Api(stack.base_url, "auditor", locale="zh-CN").get("/api/audit", params={field: value})
    assert chinese.status_code == 422 and chinese.headers["content-language"].startswith("zh")
    # The ordinary values still work.
    assert auditor.get("/api/audit", params={"since": "2020-01-01", "until": "2999-12-31"}).status_code == 200


def test_the_audit_page_says_an_out_of_range_date_next_to_its_field(stack):
    auditor = signed_in_page_client(stack, "auditor", locale="en")
    for field, value in (("since", "0001-01-01"), ("until", "9999-12-31")):
        page = auditor.get("/audit", params={field: value})
        assert page.status_code == 200, page.text[:300]
        assert f'id="audit-{field}-error"' in page.text
        assert "{" not in page.text.split(f'id="audit-{field}-error"')[1].split("<")[0]
    # ``before`` is not typed by anyone (it is the "older events" link): a wrong one is a 400 page.
    page = auditor.get("/audit", params={"before": "9223372036854775808"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")


# Control and bidirectional characters in text answers ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "杭州市西湖区\u202egnp.exe",  # right-to-left override: shows as "exe.png"
        "杭州市西湖区\x00文三路",
        "杭州市西湖区\x07文三路",
        "杭州市\x1b[31m西湖区",
        "杭州市西湖区\u2066文三路\u2069",
        "杭州市西湖区\u200f文三路",
    ],
)
def test_control_characters_in_a_text_answer_are_refused(stack, address):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    before = len(citizen.get("/api/requests").json())
    r = file_request(citizen, address=address)
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"] == PROBLEM
    errors = r.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("address", "control_characters")]
    assert "character" in errors[0]["message"]
    assert len(citizen.get("/api/requests").json()) == before
    chinese = file_request(Api(stack.base_url, "zhangsan", locale="zh-CN"), address=address)
    assert chinese.status_code == 422 and "字符" in chinese.json()["errors"][0]["message"]


def test_ordinary_text_is_still_accepted(stack):
    citizen = Api(stack.base_url, "zhangsan")
    r = file_request(citizen, **answers(address="杭州市西湖区文三路 100 号（东门）"))
    assert r.status_code == 201, r.text[:300]


# Another department's task ------------------------------------------------------------------------


def test_another_department_s_task_is_not_found(stack):
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(street, ref)
    hr = Api(stack.base_url, "hr.clerk", locale="en")
    missing = hr.get("/api/tasks/2147483000")
    assert missing.status_code == 404
    expected = {k: v for k, v in missing.json().items() if k != "instance"}
    for method, path in (
        ("GET", f"/api/tasks/{task['id']}"),
        ("POST", f"/api/tasks/{task['id']}/claim"),
        ("POST", f"/api/tasks/{task['id']}/release"),
    ):
        r = hr.request(method, path)
        assert r.status_code == 404, (method, path, r.text[:200])
        assert {k: v for k, v in r.json().items() if k != "instance"} == expected
    decision = hr.post(f"/api/tasks/{task['id']}/decision", json={"verdict": "approve", "comment": ""})
    assert decision.status_code == 404 and decision.json()["type"] == "/problems/not-found"
    # The workbench page answers as for a task that does not exist.
    page = signed_in_page_client(stack, "hr.clerk")
    shown, absent = page.get(f"/workbench/tasks/{task['id']}"), page.get("/workbench/tasks/2147483000")
    assert shown.status_code == absent.status_code == 404
    assert street.get(f"/api/tasks/{task['id']}").json()["state"] == "open"


def test_a_clerks_comment_reaches_the_applicant_without_control_characters(stack):
    from tests.stack.flows import decide, wait_closed

    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "核实\u202e无误\x1b[2J").status_code == 200
    comments = [e["comment"] for e in wait_closed(citizen, ref)["timeline"] if e["kind"] == "task_approved"]
    assert comments == ["核实无误[2J", "核实无误[2J"]


# Numbers and dates beyond anything the hub counts --------------------------------------------------


def test_page_numbers_beyond_any_row_are_the_caller_s_mistake(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    huge = str(10**20)  # beyond what either engine's integers hold
    for path, params in (
        (f"/api/benefits/{SERVICE}/register", {"after": huge}),
        ("/api/programs/NO-SUCH-PROGRAM/matches", {"offset": huge}),
    ):
        r = admin.get(path, params=params)
        assert r.status_code == 400, (path, r.text[:300])
        assert r.headers["content-type"] == PROBLEM


def test_a_cockpit_period_at_the_end_of_the_calendar_names_its_fields(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    r = admin.get("/api/cockpit", params={"start": "9999-12-30", "end": "9999-12-31"})
    assert r.status_code == 422, r.text[:300]
    assert sorted(e["field"] for e in r.json()["errors"]) == ["end", "start"]
    assert all("{" not in e["message"] for e in r.json()["errors"])


def test_digits_that_are_not_numbers_are_named_next_to_their_field(stack):
    visitor = httpx.Client(base_url=stack.base_url, headers={"Accept-Language": "en"}, timeout=30)
    # "²" is a digit to Python's str.isdigit, and int() refuses it; 5,000 nines are too long to read.
    for year in ("²", "9" * 5000):
        page = visitor.get("/open", params={"year": year})
        assert page.status_code == 200, page.text[:300]
        assert 'id="open-year-error"' in page.text
    # A month "0000-01" in a link of the payment cycles' page: no server error, whoever follows it.
    page = visitor.get(f"/workbench/benefits/{SERVICE}/cycles", params={"started": "0000-01"}, follow_redirects=False)
    assert page.status_code < 500, page.text[:300]
    administrator = signed_in_page_client(stack, "admin")  # its language left as other tests expect
    page = administrator.get(f"/workbench/benefits/{SERVICE}/cycles", params={"started": "0000-01"})
    assert page.status_code < 500, page.text[:300]


def test_more_numbers_and_moments_no_calendar_holds(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    for year in ("²", "9" * 5000):
        r = admin.post("/api/governance-reports", json={"kind": "year", "year": year})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["year"], r.text[:300]
    clerk = Api(stack.base_url, "street.clerk", locale="en")
    for moment in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        r = clerk.get("/api/tasks", params={"due_before": moment})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["due_before"], r.text[:300]
    assert clerk.get("/api/tasks", params={"due_before": "2026-12-31T00:00:00"}).status_code == 200
    auditor = signed_in_page_client(stack, "auditor")
    assert auditor.get("/audit", params={"before": "9" * 5000}).status_code == 200
