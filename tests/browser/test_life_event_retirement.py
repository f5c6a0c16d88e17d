"""On a phone, a man retiring at 60 applies once (退休一件事) for his pension and retiree medical
insurance and chooses the old-age allowance too: the one form and the check page say it will be
applied for on his 80th birthday, and the case's page shows it scheduled for that date."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from forms.clock import beijing_today
from tests.browser.pages import PHONE, new_page, screenshot, sign_in

# 陈建国 was born on 18 June 1966.
BIRTHDAY_80 = "2046年6月18日"


def test_a_man_retiring_applies_once_and_finds_the_allowance_scheduled_on_a_phone(browser, stack, screenshots):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "chenjianguo", "/life-events/retirement")
    assert page.url.endswith("/life-events/retirement")
    expect(page.get_by_text("来自政府登记信息").first).to_be_visible()
    assert page.locator("#scheduled-allowance").inner_text().startswith(f"现在不申请，将于{BIRTHDAY_80}申请。")

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
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, screenshots, "life-event-retirement-form-375")

    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", name="核对您的填写内容")).to_be_visible()
    # Not refused for being under 80: the allowance's conditions are checked on its date.
    assert page.locator("#scheduled-allowance").inner_text().startswith(f"现在不申请，将于{BIRTHDAY_80}申请。")
    page.get_by_role("button", name="提交申请").click()
    assert re.search(r"/life-events/cases/LE[0-9A-Z]+\?filed=true$", page.url), page.url
    assert page.locator("ul.case-parts > li").count() == 3
    allowance = page.locator("#part-allowance")
    assert allowance.locator(".state").inner_text() == "待到期申请"
    expect(allowance.get_by_text(f"将于{BIRTHDAY_80}自动申请，届时审核申请条件。")).to_be_visible()
    expect(page.get_by_role("status").get_by_text(f"将于{BIRTHDAY_80}自动申请")).to_be_visible()
    screenshot(page, screenshots, "life-event-retirement-case-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
