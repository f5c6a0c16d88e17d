"""On a phone, a citizen fills in the one form of a life event (the optional part's fields appear
when it is chosen), checks the answers and files once; the case's page says what happens next; they withdraw the
optional part, then the whole application."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import PHONE, new_page, screenshot, sign_in

ZHAOLIU = "330106195809080029"


def test_a_citizen_applies_once_for_help_in_hard_times_on_a_phone(browser, stack, screenshots):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "zhaoliu", "/life-events/hard-times")
    assert page.url.endswith("/life-events/hard-times")
    expect(page.get_by_text("来自政府登记信息").first).to_be_visible()
    # The optional part's fields wait for its checkbox.
    assert not page.locator("#f-disability-disability_certificate_number").is_visible()
    page.locator("#f-phone").fill("13800138000")
    page.locator("#f-address").fill("杭州市西湖区文三路100号")
    page.locator("#f-hukou_local-1").check()
    page.locator("#f-bank_account").fill("6222020200112233445")
    page.locator("#f-allowance-household_members-0-member_name").fill("赵六")
    page.locator("#f-allowance-household_members-0-relationship").select_option("self")
    page.locator("#f-allowance-household_members-0-resident_id").fill(ZHAOLIU)
    page.locator("#f-allowance-household_members-0-monthly_income").fill("300")
    page.locator("#f-allowance-hardship").fill("长期患病")
    page.locator("#f-allowance-authorises_checks-1").check()
    # Her disability certificate stands in for the proof of hardship: nothing to upload.
    held = page.locator("#part-allowance .held-credential")
    assert held.is_visible() and "我们已掌握此材料：残疾人证" in held.inner_text()
    assert page.locator("#part-allowance input[type=file]").count() == 0
    page.locator("#choose-disability").check()
    page.locator("#f-disability-disability_certificate_number").fill(ZHAOLIU + "42")
    page.locator("#f-disability-disability_grade-2").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, screenshots, "life-event-form-375")
    page.get_by_role("button", name="继续").click()
    expect(
        page.get_by_role("heading", name="核对您的填写内容"), message=page.locator("main").inner_text()[:1500]
    ).to_be_visible()
    expect(page.get_by_text("13800138000")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="提交申请").click()
    assert re.search(r"/life-events/cases/LE[0-9A-Z]+\?filed=true$", page.url), page.url
    panel = page.locator("section.panel.success[role=status]")
    expect(panel.get_by_role("heading", name="申请已提交")).to_be_visible()
    assert page.locator("ul.case-parts > li").count() == 2
    screenshot(page, screenshots, "life-event-case-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for _ in range(30):  # the allowance's task opens in the sub-district office in a moment
        if page.locator("#part-allowance .held-by").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert page.locator("#part-allowance .held-by").inner_text() == "正在办理：西湖街道办事处"
    # The subsidy waits for the allowance; the citizen changes their mind and withdraws it alone.
    page.locator("#part-disability").get_by_role("button", name="撤回此事项").click()
    expect(page.get_by_role("status").filter(has_text="已按您的要求撤回")).to_be_visible()
    assert page.locator("#part-disability .state").inner_text() == "已撤回"
    # Then the whole application: the allowance's request is withdrawn too.
    page.get_by_text("尚未提交的事项将不再提交").click()
    page.get_by_role("button", name="撤回全部申请").click()
    expect(page.get_by_role("status").filter(has_text="已按您的要求撤回")).to_be_visible()
    for _ in range(30):  # the department's side closes the request in a moment
        if page.locator("#part-allowance .state").inner_text() == "已撤回":
            break
        page.wait_for_timeout(500)
        page.reload()
    assert page.locator("#part-allowance .state").inner_text() == "已撤回"
    assert page.get_by_role("heading", name="撤回本次申请").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
