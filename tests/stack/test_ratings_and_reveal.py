"""Ratings of decided requests, and revealing an applicant's personal data for a stated reason."""

from __future__ import annotations

import re

import pytest

from tests.stack.flows import decide, file_request, open_task, wait_closed
from tests.stack.harness import Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack


def test_an_applicant_rates_a_decided_request_once(stack):
    citizen = Api(stack.base_url, "zhangsan", locale="en")
    ref = file_request(citizen).json()["ref"]
    early = citizen.post(f"/api/requests/{ref}/rating", json={"score": 5})
    assert early.status_code == 409
    assert early.json()["type"] == "/problems/not-decided"
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve").status_code == 200
    wait_closed(citizen, ref)

    wrong = citizen.post(f"/api/requests/{ref}/rating", json={"score": 6})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0] == {
        "field": "score",
        "code": "rating_range",
        "message": "Choose a rating from 1 to 5.",
    }
    assert Api(stack.base_url, "lisi").post(f"/api/requests/{ref}/rating", json={"score": 1}).status_code == 404
    rated = citizen.post(f"/api/requests/{ref}/rating", json={"score": 4, "comment": " Quick and clear "})
    assert rated.status_code == 201, rated.text
    assert rated.json()["score"] == 4 and rated.json()["comment"] == "Quick and clear"
    again = citizen.post(f"/api/requests/{ref}/rating", json={"score": 1})
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/already-rated"


def test_a_clerk_reveals_personal_data_for_a_reason_and_it_is_audited(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    masked = clerk.get(f"/api/tasks/{task['id']}").json()
    assert masked["answers"]["phone"] != "13800138000"
    reveal = f"/api/tasks/{task['id']}/reveal"
    assert clerk.post(reveal, json={"fields": ["phone"], "reason": " "}).status_code == 422
    other = Api(stack.base_url, "hr.clerk").post(reveal, json={"fields": ["phone"], "reason": "curious"})
    assert other.status_code == 404  # another department's task is as if it did not exist
    shown = clerk.post(reveal, json={"fields": ["phone"], "reason": "Phone the applicant about the address"})
    assert shown.status_code == 200, shown.text
    assert shown.json()["values"] == {"phone": "13800138000"}
    trail = Api(stack.base_url, "street.supervisor").get(f"/api/requests/{ref}/audit").json()
    reveals = [e for e in trail if e["action"] == "personal_data.revealed"]
    assert len(reveals) == 1
    assert reveals[0]["actor"] == "street.clerk"
    assert reveals[0]["detail"]["fields"] == ["phone"]
    assert reveals[0]["detail"]["reason"] == "Phone the applicant about the address"
    assert "applicant_name" not in reveals[0]["detail"]  # a named field's reveal leaves the name masked

    # The task page reveals everything personal, the applicant's name too, and its event says so.
    page_clerk = signed_in_page_client(stack, "street.clerk")  # its language left as other tests expect
    form = page_clerk.get(f"/workbench/tasks/{task['id']}").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    page = page_clerk.post(
        f"/workbench/tasks/{task['id']}/reveal", data={"reason": "Check the name on the ID", "_csrf_token": token}
    )
    # Answered with a redirect to the task page, which shows what the recorded reveal opened.
    assert page.status_code == 303, page.text[:300]
    assert "张三" in page_clerk.get(page.headers["location"]).text
    trail = Api(stack.base_url, "street.supervisor").get(f"/api/requests/{ref}/audit").json()
    on_the_page = [e for e in trail if e["action"] == "personal_data.revealed"][-1]
    assert on_the_page["detail"]["reason"] == "Check the name on the ID"
    assert on_the_page["detail"]["applicant_name"] is True


def test_page_sessions_use_safe_cookies_and_every_form_needs_its_csrf_token(stack):
    import re

    import httpx

    with httpx.Client(base_url=stack.base_url) as browser_like:
        page = browser_like.get("/signin")
        assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        form = {"username": "zhangsan", "password": "qinqing-demo", "next": "/requests"}
        assert browser_like.post("/signin", data=form).status_code == 403  # no token: refused
        signed = browser_like.post("/signin", data={**form, "_csrf_token": token})
        assert signed.status_code == 303 and signed.headers["location"] == "/requests"
        session = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("qinqing_session="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
        assert browser_like.get("/requests").status_code == 200
        # The session cookie opens pages only: the JSON API still wants a bearer token.
        assert browser_like.get("/api/requests").status_code == 401
        # An open redirect after signing in is not possible.
        again = browser_like.post("/signin", data={**form, "next": "//evil.example/", "_csrf_token": token})
        assert again.headers["location"] == "/"


def test_staff_on_a_request_s_page_are_told_to_reveal_before_its_documents_open(stack):
    """Documents name the applicant: a clerk reading the request's page is told to reveal the
    personal data first, instead of a link that would be refused; after a reveal, the link is there."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    street = Api(stack.base_url, "street.clerk")
    task = open_task(street, ref)
    assert decide(street, task["id"], "approve").status_code == 200
    civil = Api(stack.base_url, "civil.clerk")
    assert decide(civil, open_task(civil, ref)["id"], "approve").status_code == 200
    wait_closed(citizen, ref)
    link = f'href="/requests/{ref}/documents/'

    page_clerk = signed_in_page_client(stack, "street.clerk")
    before = page_clerk.get(f"/requests/{ref}").text
    assert link not in before and (
        "reveal the personal data to open it" in before or "查看个人信息后方可打开" in before
    )
    # The link the page no longer shows is refused, as it was.
    document = citizen.get(f"/api/requests/{ref}").json()["documents"][0]["id"]
    assert page_clerk.get(f"/requests/{ref}/documents/{document}").status_code == 403

    shown = street.post(f"/api/tasks/{task['id']}/reveal", json={"fields": ["phone"], "reason": "Send the decision"})
    assert shown.status_code == 200, shown.text
    after = page_clerk.get(f"/requests/{ref}").text
    assert link in after
    assert page_clerk.get(f"/requests/{ref}/documents/{document}").status_code == 200
    # The applicant never had to reveal anything.
    assert link in signed_in_page_client(stack, "zhangsan").get(f"/requests/{ref}").text
