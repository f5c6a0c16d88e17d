"""On a phone, a man retiring at 60 applies once (退休一件事) for his pension and retiree medical
insurance and chooses the old-age allowance too: the one form and the check page say it will be
applied for on his 80th birthday, and the case's page shows it scheduled for that date."""

from __future__ import annotations

import re

from babel.dates import format_date
from playwright.sync_api import expect

from forms.clock import beijing_today
from tests.browser.pages import DESKTOP, PHONE, new_page, screenshot, sign_in
from tests.browser.test_feedback import choose

# 陈建国 was born on 18 June 1966.
BIRTHDAY_80 = "2046年6月18日"


def fill(page) -> None:
    """The one form as 陈建国 fills it in, the old-age allowance chosen."""
    page.locator("#f-phone").fill("13905710066")
    page.locator("#f-address").fill("杭州市西湖区古翠路80号3幢2单元501室")
    page.locator("#f-bank_account").fill("6222020200112233445")
    page.locator("#f-pension-insured_as-1").check()  # an employee
    page.locator("#f-pension-last_employer").fill("杭州西湖机械厂有限公司")
    page.locator("#f-pension-retirement_date").fill(beijing_today().replace(day=1).isoformat())
    page.locator("#f-pension-contribution_years").fill("38")
    page.locator("#f-pension-insured_here-1").check()
    page.locator("#f-pension-receives_other_pension-2").check()
    page.locator("#f-medical-medical_contribution_years").fill("33")
    page.locator("#f-medical-local_contribution_years").fill("30")
    page.locator("#f-medical-pays_shortfall-2").check()
    page.locator("#f-medical-transferred_in-2").check()
    page.locator("#choose-allowance").check()
    page.locator("#f-allowance-hukou_local-1").check()
    page.locator("#f-allowance-living_arrangement-2").check()  # with family


def retirement_date(locale: str) -> str:
    """The retirement date ``fill`` enters, as the check page writes it in ``locale``."""
    return format_date(beijing_today().replace(day=1), "long", locale=locale)


def test_a_man_retiring_applies_once_and_finds_the_allowance_scheduled_on_a_phone(browser, stack, screenshots):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "chenjianguo", "/life-events/retirement")
    assert page.url.endswith("/life-events/retirement")
    expect(page.get_by_text("来自政府登记信息").first).to_be_visible()
    assert page.locator("#scheduled-allowance").inner_text().startswith(f"现在不申请，将于{BIRTHDAY_80}申请。")

    fill(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, screenshots, "life-event-retirement-form-375")

    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", name="核对您的填写内容")).to_be_visible()
    # Dates are written as the reader's language writes them, not as the form sends them.
    expect(page.locator("dl.answers dd", has_text=retirement_date("zh_CN"))).to_be_visible()
    assert beijing_today().replace(day=1).isoformat() not in page.locator("main").inner_text()
    # Not refused for being under 80: the allowance's conditions are checked on its date.
    assert page.locator("#scheduled-allowance").inner_text().startswith(f"现在不申请，将于{BIRTHDAY_80}申请。")
    page.get_by_role("button", name="提交申请").click()
    assert re.search(r"/life-events/cases/LE[0-9A-Z]+\?filed=true$", page.url), page.url
    # The address changes when the answer starts to arrive: wait for the page, not only its address.
    expect(page.locator("ul.case-parts > li")).to_have_count(3)
    allowance = page.locator("#part-allowance")
    assert allowance.locator(".state").inner_text() == "待到期申请"
    expect(allowance.get_by_text(f"将于{BIRTHDAY_80}自动申请，届时审核申请条件。")).to_be_visible()
    expect(page.get_by_role("status").get_by_text(f"将于{BIRTHDAY_80}自动申请")).to_be_visible()
    screenshot(page, screenshots, "life-event-retirement-case-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The optional part is named by its service, not by the words of the box ticked to choose it.
    choose(page, "en")
    allowance_name = "Old-age allowance for residents aged 80 and over"
    expect(page.locator("#part-allowance h3")).to_have_text(allowance_name)
    assert "Also apply" not in page.locator("main").inner_text()
    choose(page, "zh-CN")
    page.context.close()


def test_the_check_page_writes_dates_in_english(browser, stack):
    for viewport in (PHONE, DESKTOP):
        page = new_page(browser, stack.base_url, locale="en", viewport=viewport)
        sign_in(page, "chenjianguo", "/life-events/retirement")
        choose(page, "en")
        fill(page)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
        row = page.locator("dl.answers div", has=page.locator("dt", has_text="Retirement date"))
        assert row.locator("dd").inner_text().strip() == retirement_date("en")
        assert beijing_today().replace(day=1).isoformat() not in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        choose(page, "zh-CN")
        page.context.close()
