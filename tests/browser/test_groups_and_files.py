"""Repeating groups without JavaScript tricks, file uploads, and answering a request for more."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import fill_elderly_allowance, new_page, reload_until, screenshot, sign_in
from tests.stack.flows import SAMPLE_FILES


def test_household_members_and_a_supporting_document(browser, stack, screenshots, tmp_path):
    page = new_page(browser, stack.base_url)
    # 李四 holds no disability certificate, so the proof is an upload (a holder uploads nothing).
    sign_in(page, "lisi", "/services/minimum-living-allowance/apply")
    page.locator("#f-phone").fill("13900139000")
    page.locator("#f-address").fill("杭州市西湖区天目山路1号")
    page.locator("#f-hukou_local-1").check()
    page.locator("#f-household_members-0-member_name").fill("李四")
    page.locator("#f-household_members-0-relationship").select_option("self")
    page.locator("#f-household_members-0-resident_id").fill("330106199205200024")
    page.locator("#f-household_members-0-monthly_income").fill("300")
    page.get_by_role("button", name="再添加一项").click()
    # The page comes back with a second, empty member and keeps the first.
    assert page.locator("#f-household_members-0-member_name").input_value() == "李四"
    page.locator("#f-household_members-1-member_name").fill("钱七")
    page.locator("#f-household_members-1-relationship").select_option("spouse")
    page.locator("#f-household_members-1-resident_id").fill("110105196001010025")
    page.locator("#f-household_members-1-monthly_income").fill("200.50")
    page.locator("#f-hardship").fill("家庭成员长期患病，无稳定收入。")
    name, content = SAMPLE_FILES["application/pdf"]
    proof = tmp_path / "诊断证明.pdf"
    proof.write_bytes(content)
    page.locator("#f-supporting_documents").set_input_files(str(proof))
    page.locator("#f-authorises_checks-1").check()
    page.locator("#f-bank_account").fill("6222020200112233445")
    screenshot(page, screenshots, "apply-household")
    page.get_by_role("button", name="继续").click()

    expect(page.get_by_role("heading", name="核对您的填写内容")).to_be_visible()
    answers = page.locator("dl.answers").inner_text()
    assert "李四" in answers and "钱七" in answers and "配偶" in answers
    assert "诊断证明.pdf" in answers
    # Going back to change something keeps the uploaded file.
    page.get_by_role("link", name=re.compile("修改.*家庭成员")).click()
    assert "诊断证明.pdf" in page.locator(".uploaded").inner_text()
    page.context.close()


def test_a_department_asks_for_more_and_the_citizen_answers(browser, stack):
    citizen = new_page(browser, stack.base_url)
    sign_in(citizen, "zhangsan", "/services/elderly-care-allowance/apply")
    fill_elderly_allowance(citizen)
    citizen.get_by_role("button", name="继续").click()
    citizen.get_by_role("button", name="提交申请").click()
    ref = re.search(r"/requests/(QQ[0-9A-Z]+)", citizen.url).group(1)

    clerk = new_page(browser, stack.base_url)
    sign_in(clerk, "street.clerk")
    reload_until(clerk, lambda p: p.get_by_role("link", name=ref).count() > 0)
    clerk.get_by_role("link", name=ref).click()
    clerk.get_by_role("button", name="认领此任务").click()
    clerk.get_by_text("请申请人补充材料").click()
    clerk.get_by_label("联系电话").check()
    clerk.get_by_label("给申请人的说明", exact=True).fill("电话无法接通，请提供新的联系电话。")
    clerk.get_by_role("button", name="发送补正通知").click()
    expect(clerk.get_by_text("已通知申请人补充材料")).to_be_visible()

    citizen.goto(f"/requests/{ref}")
    reload_until(citizen, lambda p: p.get_by_role("heading", name="需要补充材料").count() > 0)
    assert "电话无法接通" in citizen.locator(".panel.attention").inner_text()
    citizen.locator("#f-phone").fill("13700137000")
    citizen.get_by_role("button", name="提交补充材料").click()
    expect(citizen.get_by_text("补充材料已发送给部门")).to_be_visible()
    clerk.reload()
    reload_until(clerk, lambda p: "审核中" in p.locator("dl.facts").inner_text())
    clerk.context.close()
    citizen.context.close()
