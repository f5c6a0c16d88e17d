"""On a phone, a mother applies once after the birth of her baby (出生一件事): her name and identity
number come from the records, the baby's details are asked once, the maternity allowance's fields
appear when she chooses it too (with no certificate to upload: the first part issues it), and the
case's page lists the five parts."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from stdnum.cn import ric

from forms.clock import beijing_today
from tests.browser.pages import PHONE, new_page, screenshot, sign_in
from tests.stack.test_benefits import create_citizen


def test_a_mother_applies_once_for_her_newborn_on_a_phone(browser, stack, screenshots):
    # A mother of her own: once another test's birth certificate is in 李四's wallet, it stands in
    # for the upload this test makes.
    body = "33010619930407152"
    create_citizen(stack, "zhoumin", "周敏", body + ric.calc_check_digit(body + "0"))
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "zhoumin", "/life-events/newborn")
    assert page.url.endswith("/life-events/newborn")
    expect(page.get_by_text("来自政府登记信息").first).to_be_visible()
    # The baby's name is asked once, for all four parts.
    assert page.locator("input[name$='baby_name']").count() == 1
    assert not page.locator("#f-allowance-employer_name").is_visible()

    page.locator("#f-phone").fill("13800138000")
    page.locator("#f-address").fill("杭州市西湖区文三路100号3幢201室")
    page.locator("#f-relationship-1").check()  # mother
    page.locator("#f-baby_name").fill("李小满")
    page.locator("#f-baby_sex-2").check()  # girl
    page.locator("#f-baby_birth_date").fill((beijing_today() - dt.timedelta(days=20)).isoformat())
    page.locator("#f-birth-hospital").fill("杭州市妇产科医院")
    page.locator("#f-birth-gestational_weeks").fill("39")
    page.locator("#f-birth-birth_weight").fill("3300")
    page.locator("#f-birth-birth_length").fill("50")
    page.locator("#f-birth-other_parent_name").fill("张伟")
    page.locator("#f-birth-other_parent_resident_id").fill("330106199003150014")
    page.locator("#f-hukou-registered_with-1").check()  # the mother's household
    page.locator("#f-hukou-hukou_local-1").check()
    page.locator("#f-hukou-hukou_address").fill("杭州市西湖区文三路100号3幢201室")
    page.locator("#f-hukou-householder_name").fill("李四")
    page.locator("#f-hukou-relationship_to_householder-1").check()  # son or daughter
    page.locator("#f-hukou-ethnic_group").fill("汉族")
    page.locator("#f-insurance-contribution_channel-1").check()
    page.locator("#f-insurance-family_mutual_aid-1").check()
    page.locator("#f-card-bank-1").check()
    page.locator("#f-card-delivery-1").check()  # by post

    page.locator("#choose-allowance").check()
    page.locator("#f-allowance-employer_name").fill("杭州云栖智算科技有限公司")
    page.locator("#f-allowance-employer_credit_code").fill("91330106MA2H3K1X75")
    page.locator("#f-allowance-insured_at_birth-1").check()
    page.locator("#f-allowance-babies").fill("1")
    page.locator("#f-allowance-difficult_birth-2").check()  # no
    # The certificate the first part issues is the allowance's: nothing to upload, nothing to sign.
    assert page.locator("#f-allowance-birth_certificate").count() == 0
    assert page.locator("#f-allowance-commitment-sign").count() == 0
    page.locator("#f-allowance-employer_average_wage").fill("9200")
    page.locator("#f-allowance-bank_account").fill("6222020200112233445")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, screenshots, "newborn-form-375")

    page.get_by_role("button", name="继续").click()
    expect(
        page.get_by_role("heading", name="核对您的填写内容"), message=page.locator("main").inner_text()[:3000]
    ).to_be_visible()
    expect(page.get_by_text("李小满").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="提交申请").click()
    assert re.search(r"/life-events/cases/LE[0-9A-Z]+\?filed=true$", page.url), page.url
    expect(page.locator("section.panel.success[role=status]").get_by_role("heading", name="申请已提交")).to_be_visible()
    parts = page.locator("ul.case-parts > li")
    assert parts.count() == 5
    texts = [parts.nth(i).inner_text() for i in range(5)]
    # The certificate goes first; each later part says what it waits for.
    assert texts[0].startswith("出生医学证明") and "待出生医学证明批准后办理" in texts[1]
    # The optional part is named by its service, not by its checkbox's words ("同时申领…").
    allowance = next(t for t in texts if t.startswith("生育津贴"))
    assert "待新生儿医保参保登记批准后办理" in allowance
    screenshot(page, screenshots, "newborn-case-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
