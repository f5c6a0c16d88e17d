"""A life event's one form saved as a draft, as a service's form is: a parent interrupted halfway
through the newborn form saves what was typed (nothing checked yet), finds the form filled again,
sees the draft in My requests with the life event's title and throws it away there; nobody else
opens or throws it away; its personal answers are sealed at rest; a file chosen in a part is kept
as an upload; and filing the life event, from the pages or the API, uses the draft up."""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest

from tests.stack.db import sql
from tests.stack.flows import SAMPLE_FILES, csrf_of, wait_for
from tests.stack.harness import Api
from tests.stack.test_claim_and_task_pages import english_pages
from tests.stack.test_life_event_credentials import posted_form
from tests.stack.test_life_events import case_of, one_form_answers, part_filed
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

OTHER_PARENT_ID = "330106199003150014"


def saved_draft(browser, event_id: str) -> tuple[str, str]:
    """The draft of the life event in My requests: its id (from its discard button) and its item."""
    page = browser.get("/requests").text
    assert 'id="drafts"' in page, page[:2000]
    drafts = page.split('id="drafts"', 1)[1].split("</section>")[0]
    [item] = [li for li in drafts.split("<li>")[1:] if f'href="/life-events/{event_id}"' in li]
    return re.search(r'action="/drafts/(\d+)/discard"', item).group(1), item


def no_draft_of(browser, event_id: str) -> bool:
    page = browser.get("/requests").text
    drafts = page.split('id="drafts"', 1)[1].split("</section>")[0] if 'id="drafts"' in page else ""
    return f'href="/life-events/{event_id}"' not in drafts


def draft_rows(stack, username: str, event_id: str) -> list[dict]:
    return sql(
        stack,
        "SELECT d.id, d.kind, d.service_id, d.answers FROM draft d JOIN account a ON a.id = d.account"
        " WHERE a.username = {} AND d.service_id = {}",
        username,
        event_id,
    )


def test_a_parent_saves_the_newborn_form_comes_back_to_it_and_throws_it_away(stack):
    with english_pages(stack, "lisi") as browser:
        form = browser.get("/life-events/newborn")
        assert form.status_code == 200
        assert re.search(r'<button type="submit" name="action" value="save"[^>]*>Save as draft</button>', form.text)
        saved = browser.post(
            "/life-events/newborn",
            data={
                "_csrf_token": csrf_of(form.text),
                "key": "draft-" + uuid.uuid4().hex,
                "action": "save",
                # Half typed: a phone number not finished is kept as typed, not refused.
                "phone": "1380013",
                "baby_name": "李小满",
                "baby_sex": "female",
                "birth.hospital": "杭州市妇产科医院",
                "birth.other_parent_resident_id": OTHER_PARENT_ID,
                "parts": "allowance",
                "allowance.employer_name": "杭州云栖智算科技有限公司",
            },
        )
        assert saved.status_code == 303, saved.text[:2000]
        assert saved.headers["location"] == "/life-events/newborn?saved=true"

        again = browser.get(saved.headers["location"])
        assert again.status_code == 200
        assert "Your draft is saved. You can come back to it at any time from My requests." in again.text
        assert 'id="error-summary"' not in again.text
        for value in ("1380013", "李小满", "杭州市妇产科医院", OTHER_PARENT_ID, "杭州云栖智算科技有限公司"):
            assert f'value="{value}"' in again.text, value
        assert re.search(r'id="choose-allowance" name="parts" value="allowance" checked', again.text)

        draft_id, item = saved_draft(browser, "newborn")
        assert "Birth of a baby" in item and "Discard" in item
        [row] = draft_rows(stack, "lisi", "newborn")
        assert row["kind"] == "life_event" and str(row["id"]) == draft_id
        # The personal answers are sealed at rest; the others are kept as typed.
        stored = row["answers"] if isinstance(row["answers"], str) else json.dumps(row["answers"], ensure_ascii=False)
        assert "enc1:" in stored and "杭州市妇产科医院" in stored
        assert OTHER_PARENT_ID not in stored and "李小满" not in stored

        # Someone else finds their own empty form, and cannot throw the draft away.
        other = signed_in_page_client(stack, "zhangsan")
        theirs = other.get("/life-events/newborn")
        assert theirs.status_code == 200 and "李小满" not in theirs.text and OTHER_PARENT_ID not in theirs.text
        refused = other.post(f"/drafts/{draft_id}/discard", data={"_csrf_token": csrf_of(theirs.text)})
        assert refused.status_code == 404
        assert draft_rows(stack, "lisi", "newborn")

        thrown = browser.post(f"/drafts/{draft_id}/discard", data={"_csrf_token": csrf_of(again.text)})
        assert thrown.status_code == 303 and thrown.headers["location"] == "/requests?done=discarded"
        after = browser.get(thrown.headers["location"]).text
        assert "The draft is thrown away." in after and f"/drafts/{draft_id}/discard" not in after
        assert draft_rows(stack, "lisi", "newborn") == []
        assert "李小满" not in browser.get("/life-events/newborn").text


def test_a_file_chosen_in_a_part_is_kept_with_the_draft(stack):
    with english_pages(stack, "wangwu") as browser:
        form = browser.get("/life-events/restaurant")
        assert form.status_code == 200
        name, content = SAMPLE_FILES["application/pdf"]
        saved = browser.post(
            "/life-events/restaurant",
            data={"_csrf_token": csrf_of(form.text), "key": f"draft-{uuid.uuid4()}", "action": "save", "parts": "sign"},
            files={"sign.sign_design__file": (name, content, "application/pdf")},
        )
        assert saved.status_code == 303, saved.text[:2000]
        again = browser.get("/life-events/restaurant?saved=true")
        # The file chosen is the applicant's upload now, named as uploaded and carried by the form.
        assert f"Uploaded: {name}" in again.text
        assert re.search(r'type="hidden" name="sign.sign_design" value="upl_[^"]+"', again.text)
        draft_id, _ = saved_draft(browser, "restaurant")
        thrown = browser.post(f"/drafts/{draft_id}/discard", data={"_csrf_token": csrf_of(again.text)})
        assert thrown.status_code == 303, thrown.text[:2000]
        assert draft_rows(stack, "wangwu", "restaurant") == []


def save_hard_times(browser, key: str) -> None:
    form = browser.get("/life-events/hard-times")
    saved = browser.post("/life-events/hard-times", data={**posted_form(csrf_of(form.text), key), "action": "save"})
    assert saved.status_code == 303, saved.text[:2000]


def withdrawn(api: Api, ref: str) -> None:
    """Leave zhaoliu without an open case for the tests after this one (its part filed first, as
    test_life_event_credentials does, so that the part's request is withdrawn)."""
    part_filed(api, ref, "allowance")
    answer = api.post(f"/api/life-events/cases/{ref}/withdrawal", json={"reason": "测试完毕"})
    assert answer.status_code == 202 and not answer.json()["kept"], answer.text
    wait_for(lambda: case_of(api, ref)["state"] == "done", timeout=60, what=f"{ref} to be withdrawn")


def test_filing_the_life_event_uses_its_draft_up(stack):
    api = Api(stack.base_url, "zhaoliu", locale="zh-CN")
    browser = signed_in_page_client(stack, "zhaoliu", locale="zh_CN")
    key = f"draft-{uuid.uuid4()}"
    save_hard_times(browser, key)
    draft_id, item = saved_draft(browser, "hard-times")
    assert "困难群众救助一件事" in item and "删除" in item, item
    opened = browser.get("/life-events/hard-times?saved=true")
    assert (
        "草稿已保存，您可以随时从“我的申请”继续填写。" in opened.text
        and 'value="杭州市西湖区文三路100号"' in opened.text
    )

    # Filed from the pages: continue, check, file.
    review = browser.post("/life-events/hard-times", data=posted_form(csrf_of(opened.text), key))
    assert review.status_code == 200, review.text[:2000]
    carried = re.search(r'name="carried" value="([^"]+)"', review.text).group(1)
    filed = browser.post(
        "/life-events/hard-times",
        data={"_csrf_token": csrf_of(review.text), "key": key, "action": "file", "carried": html.unescape(carried)},
    )
    assert filed.status_code == 303, filed.text[:2000]
    ref = re.search(r"/life-events/cases/(LE[0-9A-Z]+)", filed.headers["location"]).group(1)
    assert draft_rows(stack, "zhaoliu", "hard-times") == []
    assert no_draft_of(browser, "hard-times")
    assert browser.post(f"/drafts/{draft_id}/discard", data={"_csrf_token": csrf_of(review.text)}).status_code == 404
    withdrawn(api, ref)

    # Filed through the API, the draft saved on the pages is used up too.
    save_hard_times(browser, f"draft-{uuid.uuid4()}")
    assert draft_rows(stack, "zhaoliu", "hard-times")
    by_api = api.post(
        "/api/life-events/hard-times/cases",
        json={"answers": one_form_answers(), "parts": []},
        headers={"Idempotency-Key": f"life-event-{uuid.uuid4()}"},
    )
    assert by_api.status_code == 201, by_api.text
    assert draft_rows(stack, "zhaoliu", "hard-times") == []
    assert no_draft_of(browser, "hard-times")
    withdrawn(api, by_api.json()["ref"])
