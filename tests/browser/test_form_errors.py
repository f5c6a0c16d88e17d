"""Server-side checks show next to the fields they concern, and a draft comes back later."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import fill_elderly_allowance, new_page, screenshot, sign_in


def test_form_errors_show_next_to_their_fields(browser, stack, screenshots):
    page = new_page(browser, stack.base_url)
    sign_in(page, "zhaoliu", "/services/elderly-care-allowance/apply")
    fill_elderly_allowance(page)
    # Passes the browser's hints (digits only) but is no phone number the server accepts.
    page.locator("#f-phone").fill("1234567")
    # Bank transfer makes the bank account field appear, and required.
    page.locator("#f-payment_method-1").check()
    expect(page.locator("#f-bank_account")).to_be_visible()
    page.get_by_role("button", name="继续").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    assert page.title().startswith("错误")
    phone = page.locator(".field.has-error", has=page.locator("#f-phone"))
    assert "请输入中国大陆手机号码" in phone.inner_text() or "手机" in phone.inner_text()
    assert page.locator("#f-phone").get_attribute("aria-invalid") == "true"
    bank = page.locator(".field.has-error", has=page.locator("#f-bank_account"))
    assert "必填" in bank.inner_text()
    # The summary links to each field; what was typed is kept.
    assert summary.get_by_role("link").count() == 2
    assert page.locator("#f-address").input_value() == "杭州市西湖区文三路100号"
    screenshot(page, screenshots, "apply-errors")

    # Save a draft and find it again from My requests.
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    page.goto("/requests")
    page.get_by_role("link", name="80周岁以上老年人高龄津贴").click()
    assert page.locator("#f-address").input_value() == "杭州市西湖区文三路100号"
    page.context.close()


def test_a_person_who_does_not_meet_the_conditions_is_told_why(browser, stack):
    page = new_page(browser, stack.base_url, locale="en-US")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"  # negotiated from Accept-Language
    page.get_by_role("button", name="English").click()  # chosen: kept on the account once signed in
    sign_in(page, "lisi", "/services/elderly-care-allowance/apply")  # aged 34
    try:
        assert page.locator("html").get_attribute("lang") == "en"
        fill_elderly_allowance(page)
        page.get_by_role("button", name="Continue").click()
        # Told on the page to check the answers, before filing: no button to file what is refused.
        expect(page.get_by_role("alert")).to_be_visible()
        assert "aged 80 or over" in page.get_by_role("alert").inner_text()
        assert page.get_by_role("button", name="File the request").count() == 0
    finally:
        # Back to Chinese: the account's language is shared with the other tests.
        page.get_by_role("button", name="中文").click()
        assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.context.close()
