"""On a phone, in Chinese, a citizen opening a small restaurant fills in the one form once for the
registration, the food business licence, the fire safety inspection and the shop sign, uploads each
part's plan, checks the answers and files; the case page lists the four services."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import PHONE, new_page, screenshot, sign_in
from tests.stack.flows import SAMPLE_FILES


def test_a_citizen_applies_once_to_open_a_restaurant_on_a_phone(browser, stack, screenshots, tmp_path):
    _, content = SAMPLE_FILES["application/pdf"]
    plans = {}
    for field, name in [
        ("registration-premises_proof", "租赁合同.pdf"),
        ("fire-fire_facilities_plan", "消防设施平面图.pdf"),
        ("fire-staff_training_record", "消防培训记录.pdf"),
        ("sign-sign_design", "招牌效果图.pdf"),
    ]:
        plans[field] = tmp_path / name
        plans[field].write_bytes(content)

    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "wangwu", "/life-events/restaurant")
    expect(page.get_by_role("heading", name="开办餐饮店").first).to_be_visible()
    # The operator's name and identity number come from government records, asked of nobody.
    for prefilled in ("#f-operator_name", "#f-resident_id"):
        assert page.locator(f"{prefilled} + .prefilled .badge").inner_text() == "来自政府登记信息"
    assert not page.locator("#f-sign-sign_text").is_visible()
    page.locator("#f-phone").fill("13900139000")
    page.locator("#f-business_name").fill("杭州市西湖区王记面馆")
    page.locator("#f-premises_address").fill("杭州市西湖区文二路88号1楼")
    page.locator("#f-floor_area").fill("80")
    page.locator("#f-registration-business_form-1").check()
    page.locator("#f-registration-business_scope").fill("许可项目：餐饮服务。")
    page.locator("#f-registration-capital").fill("100000")
    page.locator("#f-registration-employees").fill("4")
    page.locator("#f-food-food_items-1").check()  # hot food
    page.locator("#f-food-online_sales-2").check()  # no
    page.locator("#f-food-food_safety_manager").fill("王五")
    page.locator("#f-food-staff_health_certificates-1").check()
    page.locator("#f-fire-floor_level-1").check()  # ground floor
    page.locator("#f-fire-seats").fill("40")
    page.locator("#f-fire-kitchen_fuel-1").check()  # piped natural gas
    page.locator("#f-fire-fire_safety_manager").fill("王五")
    page.locator("#choose-sign").check()
    page.locator("#f-sign-sign_text").fill("王记面馆")
    page.locator("#f-sign-sign_style-1").check()
    page.locator("#f-sign-shopfront_width").fill("6")
    page.locator("#f-sign-sign_width").fill("5")
    page.locator("#f-sign-sign_height").fill("0.8")
    page.locator("#f-sign-illuminated-2").check()
    for field, path in plans.items():
        page.locator(f"#f-{field}").set_input_files(str(path))
    # The food licence is signed on commitment: its floor plan is no longer asked.
    expect(page.locator("#f-food-layout_plan")).to_be_visible()
    page.locator("#f-food-commitment-sign").check()
    assert not page.locator("#f-food-layout_plan").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, screenshots, "restaurant-form-375")

    page.get_by_role("button", name="继续").click()
    expect(
        page.get_by_role("heading", name="核对您的填写内容"), message=page.locator("main").inner_text()[:2000]
    ).to_be_visible()
    review = page.locator("main").inner_text()
    assert "杭州市西湖区王记面馆" in review and "招牌效果图.pdf" in review and "管道天然气" in review
    assert "告知承诺代替证明材料" in review
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="提交申请").click()
    assert re.search(r"/life-events/cases/LE[0-9A-Z]+\?filed=true$", page.url), page.url
    expect(page.locator("section.panel.success[role=status]").get_by_role("heading", name="申请已提交")).to_be_visible()
    parts = page.locator("ul.case-parts > li")
    assert parts.count() == 4
    listed = page.locator("ul.case-parts").inner_text()
    for title in ["个体工商户设立登记及营业执照", "食品经营许可", "营业前消防安全检查", "户外招牌设置审批"]:
        assert title in listed, listed
    screenshot(page, screenshots, "restaurant-case-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()
