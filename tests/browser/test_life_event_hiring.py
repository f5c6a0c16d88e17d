"""On a phone, an employer fills in the one form of hiring an employee (the enterprise's name comes
from its registry record; the subsidy's fields appear when it is chosen; axe finds nothing serious),
checks the answers and files once; the case's page lists the four parts."""

from __future__ import annotations

import datetime as dt
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from forms.clock import beijing_today
from tests.browser.pages import PHONE, new_page, screenshot, sign_in

LISI = "330106199205200024"


def test_an_employer_applies_once_for_hiring_an_employee_on_a_phone(browser, stack, screenshots):
    start = (beijing_today() - dt.timedelta(days=10)).isoformat()
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "yunqi", "/life-events/hiring")
    assert page.url.endswith("/life-events/hiring")
    expect(page.locator("p.prefilled", has_text="杭州云栖智算科技有限公司")).to_be_visible()
    # Its own unified social credit code in full: public, on its business licence (an identity number would be masked).
    expect(page.locator("p.prefilled", has_text="91330106MA2H3K1X75")).to_be_visible()
    expect(page.get_by_text("来自政府登记信息").first).to_be_visible()
    assert not page.locator("#f-subsidy-bank_name").is_visible()
    page.locator("#f-employee_name").fill("李四")
    page.locator("#f-employee_resident_id").fill(LISI)
    page.locator("#f-employee_phone").fill("13900139000")
    page.locator("#f-start_date").fill(start)
    page.locator("#f-contract_type-2").check()  # open-ended
    page.locator("#f-monthly_wage").fill("9000")
    page.locator("#f-contact_name").fill("陈晨")
    page.locator("#f-contact_phone").fill("0571-88001234")
    page.locator("#f-registration-education-4").check()  # undergraduate
    page.locator("#f-registration-job_title").fill("软件开发工程师")
    page.locator("#f-insurance-hukou_type-1").check()
    page.locator("#f-insurance-insured_before-2").check()  # no
    page.locator("#f-fund-contribution_rate").fill("12")
    page.locator("#f-fund-account-1").check()  # a new account
    page.locator("#choose-subsidy").check()
    page.locator("#f-subsidy-hires-0-full_name").fill("李四")
    page.locator("#f-subsidy-hires-0-resident_id").fill(LISI)
    page.locator("#f-subsidy-hires-0-hire_date").fill(start)
    page.locator("#f-subsidy-hires-0-months_insured").fill("1")
    page.locator("#f-subsidy-bank_name").fill("中国工商银行杭州西湖支行")
    page.locator("#f-subsidy-bank_account").fill("6222021202003456789")
    page.locator("#f-subsidy-contracts_signed-1").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    screenshot(page, screenshots, "life-event-hiring-form-375")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", name="核对您的填写内容"), message=page.content()[:3000]).to_be_visible()
    expect(page.get_by_text("软件开发工程师")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="提交申请").click()
    assert re.search(r"/life-events/cases/LE[0-9A-Z]+\?filed=true$", page.url), page.url
    expect(page.get_by_role("heading", name="申请已提交")).to_be_visible()
    parts = page.locator("ul.case-parts > li")
    assert parts.count() == 4
    assert "就业登记" in parts.first.inner_text()
    screenshot(page, screenshots, "life-event-hiring-case-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
