"""Follow-ups and grievances in Chromium: the applicant reads the answer to a bad rating's follow-up
and rates it, and files a grievance, on a 375 px screen in Chinese and in English (no sideways
scrolling, touch targets of 44 px, axe clean, errors next to their fields); a clerk who answers
without having contacted the applicant is told so next to the form, and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import new_page, sign_in
from tests.browser.test_mobile import check
from tests.stack.flows import decide, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api

PHONE = {"width": 375, "height": 812}
LANG = {"zh-CN": "zh-CN", "en": "en"}


def choose(page, locale: str) -> None:
    """Pages in ``locale``: a signed-in person's choice is kept on the account, so a test that
    chooses English chooses Chinese again when it is done (other tests expect it)."""
    if page.locator("html").get_attribute("lang") != LANG[locale]:
        menu = page.locator("details.menu")
        if menu.count() and menu.get_attribute("open") is None:
            menu.locator("summary").click()  # on a phone the switch sits in the header's menu
        page.get_by_role("button", name="English" if locale == "en" else "中文").first.click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == LANG[locale]


def follow_up(stack, score: int = 2, comment: str = "") -> str:
    """A follow-up of 张三's rating of a rejected request; returns its reference."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    street = Api(stack.base_url, "street.clerk")
    assert decide(street, open_task(street, ref)["id"], "reject", "no").status_code == 200
    wait_closed(citizen, ref)
    rating = {"score": score, "comment": comment} if comment else {"score": score}
    assert citizen.post(f"/api/requests/{ref}/rating", json=rating).status_code == 201
    case = wait_for(lambda: next((c for c in citizen.get("/api/cases/mine").json() if c["request_ref"] == ref), None))
    return case["ref"]


def answered(stack, case: str) -> None:
    clerk = Api(stack.base_url, "civil.clerk")
    now = dt.datetime.now(dt.UTC).isoformat()
    contact = {"contacted_at": now, "channel": "phone", "summary": "通话十分钟"}
    assert clerk.post(f"/api/cases/{case}/contacts", json=contact).status_code == 201
    body = {"outcome": "resolved", "cause": "告知书未写明理由", "fix": "已补发说明理由的告知书", "answer": "非常抱歉。"}
    assert clerk.post(f"/api/cases/{case}/answer", json=body).status_code == 200


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_applicant_reads_the_answer_and_rates_it_on_a_phone(browser, stack, locale, tmp_path):
    case = follow_up(stack)
    answered(stack, case)
    page = new_page(browser, stack.base_url, locale=locale, viewport=PHONE)
    sign_in(page, "zhangsan")
    page.goto(f"/feedback/{case}")
    choose(page, locale)
    expect(page.get_by_text("已补发说明理由的告知书")).to_be_visible()
    check(page, f"follow-up-answer-{locale}", "phone", tmp_path, Axe())
    # Sent without a choice: the message stands next to the scale, in the reader's language.
    page.locator("form[action$='/rating'] button[type=submit]").click()
    error = page.locator("#c-score-error")
    expect(error).to_be_visible()
    assert (
        error.inner_text().strip().endswith("请选择1到5分。" if locale == "zh-CN" else "Choose a rating from 1 to 5.")
    )
    check(page, f"follow-up-rating-error-{locale}", "phone", tmp_path, Axe())
    page.locator("label[for=answer-score-4]").click()
    page.locator("form[action$='/rating'] button[type=submit]").click()
    page.wait_for_url(f"**/feedback/{case}?done=rated")
    expect(page.locator(".notice")).to_be_visible()
    choose(page, "zh-CN")
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_grievance_is_filed_from_a_phone(browser, stack, locale, tmp_path):
    page = new_page(browser, stack.base_url, locale=locale, viewport=PHONE)
    sign_in(page, "zhaoliu")
    page.goto("/grievances/new")
    choose(page, locale)
    check(page, f"grievance-form-{locale}", "phone", tmp_path, Axe())
    page.locator("label[for=g-subject-service]").click()
    page.locator("button.primary").click()
    # Nothing filed: the summary lists the mistakes and each stands next to its field.
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.locator("#g-text-error").is_visible() and page.locator("#g-service_id-error").is_visible()
    assert page.locator("#g-text").get_attribute("aria-invalid") == "true"
    # The summary says which field each mistake is about.
    summary = page.locator(".error-summary").inner_text()
    assert ("What happened?" if locale == "en" else "具体情况") in summary, summary
    check(page, f"grievance-form-errors-{locale}", "phone", tmp_path, Axe())
    page.locator("#g-service_id").select_option("elderly-care-allowance")
    page.locator("#g-text").fill("窗口排队两个小时无人处理")
    page.locator("button.primary").click()
    page.wait_for_url("**/feedback/GR*?done=filed")
    expect(page.get_by_text("窗口排队两个小时无人处理")).to_be_visible()
    check(page, f"grievance-filed-{locale}", "phone", tmp_path, Axe())
    choose(page, "zh-CN")
    page.context.close()


def test_a_clerk_answering_before_any_contact_is_told_to_record_it_first(browser, stack, tmp_path):
    case = follow_up(stack, score=1)
    page = new_page(browser, stack.base_url, locale="en", viewport=PHONE)
    sign_in(page, "civil.clerk")
    page.goto("/workbench/cases?kind=follow_up")
    choose(page, "en")
    check(page, "department-cases", "phone", tmp_path, Axe())
    page.goto(f"/feedback/{case}")
    check(page, "follow-up-department", "phone", tmp_path, Axe())
    page.locator("#c-cause").fill("A missed call")
    page.locator("#c-fix").fill("Called back")
    page.locator("#c-answer").fill("We are sorry.")
    page.locator("form[action$='/answer'] button[type=submit]").click()
    expect(page.locator("#c-contact-error")).to_be_visible()
    assert "contacted the applicant" in page.locator("#c-contact-error").inner_text()
    assert Api(stack.base_url, "civil.clerk").get(f"/api/cases/{case}").json()["state"] == "open"
    page.locator("#c-summary").fill("Phoned; she was not told the reason")
    page.locator("form[action$='/contacts'] button[type=submit]").click()
    page.wait_for_url("**?done=contacted")
    page.locator("#c-cause").fill("A missed call")
    page.locator("#c-fix").fill("Called back")
    page.locator("#c-answer").fill("We are sorry.")
    page.locator("form[action$='/answer'] button[type=submit]").click()
    page.wait_for_url("**?done=answered")
    assert Api(stack.base_url, "civil.clerk").get(f"/api/cases/{case}").json()["state"] == "answered"
    choose(page, "zh-CN")
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_each_stage_is_rated_from_a_phone(browser, stack, locale, tmp_path):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    street = Api(stack.base_url, "street.clerk")
    assert decide(street, open_task(street, ref)["id"], "reject", "no").status_code == 200
    wait_closed(citizen, ref)
    page = new_page(browser, stack.base_url, locale=locale, viewport=PHONE)
    sign_in(page, "zhangsan")
    page.goto(f"/requests/{ref}")
    choose(page, locale)
    page.locator(f"a[href='/requests/{ref}/stages']").click()
    page.wait_for_url(f"**/requests/{ref}/stages")
    page.wait_for_load_state()
    check(page, f"stages-{locale}", "phone", tmp_path, Axe())
    forms = page.locator("main form")
    assert forms.count() == 2  # the filing and the sub-district office's step
    forms.nth(1).locator("button").click()  # no score chosen
    expect(page.locator("#stage-2-error")).to_be_visible()
    check(page, f"stages-error-{locale}", "phone", tmp_path, Axe())
    page.locator("label[for=stage-2-1]").click()
    page.locator("main form").nth(1).locator("button").click()
    page.wait_for_load_state()
    assert page.locator("main form").count() == 1  # the step is rated; the filing is left
    cases = Api(stack.base_url, "zhangsan").get("/api/cases/mine").json()
    assert [c for c in cases if c["request_ref"] == ref]  # a 1 is followed up
    choose(page, "zh-CN")
    page.context.close()


VIEWPORTS = {"phone": PHONE, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_follow_up_page_shows_the_rating_it_follows_up(browser, stack, locale, viewport, tmp_path):
    case = follow_up(stack, score=1, comment="没人接电话")
    rating = {"zh-CN": "1分（满分5分）: 没人接电话", "en": "1 of 5: 没人接电话"}[locale]
    # Its author reads their own score and words; the department's clerk reads them too.
    for username in ("zhangsan", "civil.clerk"):
        page = new_page(browser, stack.base_url, locale=locale, viewport=VIEWPORTS[viewport])
        sign_in(page, username)
        page.goto(f"/feedback/{case}")
        choose(page, locale)
        shown = page.locator("dl.facts dd", has_text="没人接电话")
        expect(shown).to_be_visible()
        assert shown.inner_text().strip() == rating
        if locale == "en":
            label = shown.locator("xpath=preceding-sibling::dt[1]").inner_text().strip()
            assert label == ("Your rating" if username == "zhangsan" else "The applicant's rating")
        check(page, f"follow-up-rating-{username}-{locale}", viewport, tmp_path, Axe())
        choose(page, "zh-CN")
        page.context.close()
