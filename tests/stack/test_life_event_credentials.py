"""Inside a life event's one form, a proof the applicant already holds as a valid credential is
taken as a single service's form takes it: the form says "We already have this" in place of the
upload, the check page says so, and the part is filed with the credential verified and nothing
uploaded."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from tests.stack.db import sql
from tests.stack.flows import wait_for
from tests.stack.harness import PASSWORD, Api
from tests.stack.test_life_events import ZHAOLIU, case_of, part_filed

pytestmark = pytest.mark.stack

# zhaoliu reads the hub in Chinese (her account's language).
HELD = "我们已掌握此材料：残疾人证，由残疾人联合会（残疾人信息库）于"


def signed_in(stack, username: str, locale: str = "zh-CN") -> httpx.Client:
    browser = httpx.Client(base_url=stack.base_url, timeout=30, headers={"Accept-Language": locale})
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', browser.get("/signin").text).group(1)
    signed = browser.post("/signin", data={"username": username, "password": PASSWORD, "_csrf_token": csrf})
    assert signed.status_code == 303, signed.text[:500]
    return browser


def csrf_of(page: httpx.Response) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)


def part_html(page: str, part: str) -> str:
    start = page.index(f'id="part-{part}"')
    end = page.find('<fieldset class="part"', start + 1)
    return page[start : end if end > 0 else len(page)]


def posted_form(csrf: str, key: str) -> dict[str, str]:
    """The one form of help in hard times as a browser posts it, the allowance alone, no file chosen."""
    return {
        "_csrf_token": csrf,
        "key": key,
        "action": "review",
        "phone": "13800138000",
        "address": "杭州市西湖区文三路100号",
        "hukou_local": "true",
        "bank_account": "6222020200112233445",
        "allowance.household_members.count": "1",
        "allowance.household_members.0.member_name": "赵六",
        "allowance.household_members.0.relationship": "self",
        "allowance.household_members.0.resident_id": ZHAOLIU,
        "allowance.household_members.0.monthly_income": "300",
        "allowance.hardship": "长期患病，无稳定收入。",
        "allowance.authorises_checks": "true",
    }


def test_a_held_credential_stands_in_for_a_proof_on_a_life_events_one_form(stack):
    api = Api(stack.base_url, "zhaoliu", locale="en")
    [certificate] = [
        c
        for c in api.get("/api/wallet").json()["credentials"]
        if c["type"] == "disability-certificate" and c["status"] == "valid"
    ]
    # The certificate's number is the holder's identity number: kept sealed in the claims, and
    # nowhere in clear (the credential's key names the certificate by its place).
    keys = sql(stack, "SELECT key FROM credential WHERE type = {}", "disability-certificate")
    assert keys and not [k for k in keys if ZHAOLIU in k["key"]], keys
    browser = signed_in(stack, "zhaoliu")
    try:
        form = browser.get("/life-events/hard-times")
        assert form.status_code == 200
        allowance = part_html(form.text, "allowance")
        # The proof of hardship is the disability certificate the registry holds: nothing to upload.
        assert HELD in allowance and "无需上传" in allowance
        assert 'type="file"' not in allowance
        key = f"held-{uuid.uuid4()}"
        review = browser.post("/life-events/hard-times", data=posted_form(csrf_of(form), key))
        assert review.status_code == 200, review.text[:2000]
        assert HELD in review.text and "无需上传" in review.text
        carried = re.search(r'name="carried" value="([^"]+)"', review.text).group(1)
        filed = browser.post(
            "/life-events/hard-times",
            data={"_csrf_token": csrf_of(review), "key": key, "action": "file", "carried": html.unescape(carried)},
        )
        assert filed.status_code == 303, filed.text[:2000]
        ref = re.search(r"/life-events/cases/(LE[0-9A-Z]+)", filed.headers["location"]).group(1)
    finally:
        browser.close()
    # The allowance is filed with the credential verified and no file: the department sees what was checked.
    allowance_ref = part_filed(api, ref, "allowance")
    request = api.get(f"/api/requests/{allowance_ref}").json()
    # The proof of hardship is sensitive: masked in the answers; what was checked is listed.
    assert request["answers"]["supporting_documents"] == "***"
    [used] = [c for c in request["credentials"] if c["type"] == "disability-certificate"]
    assert used["status_at_filing"] == used["status_now"] == "valid" and used["credential"] == certificate["id"]
    assert used["field"] == "supporting_documents" and not used["lapsed"]
    # Leave zhaoliu without an open case for the tests after this one.
    assert api.post(f"/api/life-events/cases/{ref}/withdrawal", json={"reason": "测试完毕"}).status_code == 202
    wait_for(lambda: case_of(api, ref)["state"] == "done", timeout=60, what=f"{ref} to be withdrawn")
