"""On a phone, in Chinese: the maternity allowance's form offers the commitment in place of the
medical certificate of birth; ticking it hides the upload, and the request filed with it is
approved at once, its post-check pending; the bureau's clerk records the post-check on the task page."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from stdnum.cn import ric

from tests.browser.pages import PHONE, new_page, reload_until, screenshot, sign_in
from tests.stack.test_benefits import create_citizen


def test_ticking_the_commitment_hides_the_proof_and_files_on_a_phone(browser, stack, screenshots):
    # A mother of her own: the allowance is granted once, and the stack tests file it for 李四.
    body = "33010619950618202"
    resident_id = body + ric.calc_check_digit(body + "0")
    create_citizen(stack, "sunli", "孙莉", resident_id)
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "sunli", "/services/maternity-allowance/apply")
    assert page.url.endswith("/services/maternity-allowance/apply")
    choice = page.locator("#f-commitment")
    expect(choice.get_by_text("告知承诺代替证明材料")).to_be_visible()
    expect(choice.get_by_text("本人承诺：本人于申请所填日期生育")).to_be_visible()
    upload = page.locator("#f-birth_certificate")
    expect(upload).to_be_visible()

    page.get_by_label("本人签署此告知承诺书，代替证明材料").check()
    assert upload.is_hidden()
    page.get_by_label("本人签署此告知承诺书，代替证明材料").uncheck()
    expect(upload).to_be_visible()
    page.get_by_label("本人签署此告知承诺书，代替证明材料").check()
    assert upload.is_hidden()
    choice.screenshot(path=str(screenshots / "commitment-choice-phone.png"))
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("#f-phone").fill("13800138000")
    page.locator("#f-employer_name").fill("杭州云栖智算科技有限公司")
    page.locator("#f-employer_credit_code").fill("91330106MA7E2R9P3T")
    page.locator("#f-insured_at_birth-1").check()  # yes
    page.locator("#f-birth_date").fill("2026-08-20")
    page.locator("#f-babies").fill("1")
    page.locator("#f-difficult_birth-2").check()  # no
    page.locator("#f-employer_average_wage").fill("9200.00")
    page.locator("#f-bank_account").fill("6222020200112233445")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", name="核对您的填写内容"), message=page.content()[:3000]).to_be_visible()
    expect(page.locator("dt", has_text="告知承诺代替证明材料")).to_be_visible()
    page.get_by_role("button", name="提交申请").click()
    ref = re.search(r"/requests/(QQ[0-9A-Z]+)", page.url).group(1)
    reload_until(page, lambda p: "已批准，待事后核查" in p.locator("main").inner_text())
    text = page.locator("main").inner_text()
    assert "已签署告知承诺书，代替证明材料" in text and ref in text

    clerk = new_page(browser, stack.base_url)
    sign_in(clerk, "hr.clerk")
    clerk.goto("/workbench")
    reload_until(clerk, lambda p: p.get_by_role("link", name=ref).count() > 0)
    clerk.get_by_role("link", name=ref).first.click()
    expect(clerk.get_by_role("heading", name="告知承诺事后核查", exact=True)).to_be_visible()
    expect(clerk.get_by_text("向助产医疗机构核实")).to_be_visible()
    # Who signed, and when: the identity number masked.
    assert f"3301**********{resident_id[-4:]}" in clerk.locator("section[aria-labelledby=commitment]").inner_text()
    clerk.get_by_role("button", name="认领此任务").click()
    clerk.get_by_label("属实：承诺内容真实").check()
    screenshot(clerk, screenshots, "commitment-post-check-task")
    assert clerk.get_by_label("核查发现的不实情况（申请人可见）").is_hidden()
    clerk.get_by_role("button", name="记录事后核查结果").click()
    expect(clerk.get_by_text("事后核查结果已记录。")).to_be_visible()
    page.reload()
    reload_until(page, lambda p: "事后核查完成：承诺属实" in p.locator("main").inner_text())
    clerk.context.close()
