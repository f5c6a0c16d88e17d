"""A clerk asks the applicant for more from the task page: the form offers only what the applicant
may supply again (never the name or identity number the registries hold) and refuses a request
that names nothing. A refused decision or transfer comes back as it was filled, on a 375 px screen
in both languages, each message next to its field."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import new_page, sign_in
from tests.browser.test_feedback import PHONE, choose
from tests.browser.test_mobile import check
from tests.stack.flows import claim, file_request, open_task
from tests.stack.harness import Api


def test_the_information_request_names_what_may_be_supplied(browser, stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200

    page = new_page(browser, stack.base_url)
    sign_in(page, "street.clerk", f"/workbench/tasks/{task['id']}")
    page.get_by_text("请申请人补充材料").click()
    # Name and identity number come from the registries: not offered.
    assert page.locator("#ask-full_name").count() == 0 and page.locator("#ask-resident_id").count() == 0
    assert page.locator("#ask-phone").count() == 1

    page.get_by_label("给申请人的说明", exact=True).fill("请补充材料")
    page.get_by_role("button", name="发送补正通知").click()
    page.wait_for_load_state()
    assert "请至少勾选一项需要申请人补充的内容。" in page.get_by_role("alert").inner_text()
    assert clerk.get(f"/api/tasks/{task['id']}").json()["state"] == "claimed"  # nothing was asked
    # The form comes back open, as it was filled, the message next to the fields to tick.
    assert "请至少勾选一项需要申请人补充的内容。" in page.locator("#ask-fields-error").inner_text()
    assert page.get_by_label("给申请人的说明", exact=True).input_value() == "请补充材料"

    page.locator("#ask-phone").check()
    page.get_by_label("给申请人的说明", exact=True).fill("电话无法接通，请提供新的联系电话")
    page.get_by_role("button", name="发送补正通知").click()
    page.wait_for_load_state()
    detail = clerk.get(f"/api/tasks/{task['id']}").json()
    assert detail["state"] == "waiting_applicant" and detail["requested_fields"] == ["phone"]
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_refused_decision_comes_back_as_filled_on_a_phone(browser, stack, locale, tmp_path):
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200
    page = new_page(browser, stack.base_url, locale=locale, viewport=PHONE)
    sign_in(page, "street.clerk", f"/workbench/tasks/{task['id']}")
    choose(page, locale)

    # A rejection with its reason but no comment: the verdict and the reason are still chosen.
    page.locator("label[for=verdict-reject]").click()
    page.locator("#reason-code").select_option("incomplete")
    page.locator("form[action$='/decide'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#decision-comment-error")).to_be_visible()
    assert page.locator("#decision-comment").get_attribute("aria-invalid") == "true"
    assert page.locator("#verdict-reject").is_checked()
    expect(page.locator("#reason-code")).to_have_value("incomplete")  # shown, for a rejection
    check(page, f"task-decision-error-{locale}", "phone", tmp_path, Axe())

    # A transfer without a department: its section stays open, the reason kept.
    page.get_by_text("转交其他部门" if locale == "zh-CN" else "Pass on to another department").click()
    page.locator("#transfer-reason").fill("申请人户籍不在本街道")
    page.locator("form[action$='/transfer'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#to-department-error")).to_be_visible()
    expect(page.locator("#transfer-reason")).to_have_value("申请人户籍不在本街道")
    check(page, f"task-transfer-error-{locale}", "phone", tmp_path, Axe())
    assert clerk.get(f"/api/tasks/{task['id']}").json()["state"] == "claimed"  # nothing was recorded
    choose(page, "zh-CN")
    page.context.close()
