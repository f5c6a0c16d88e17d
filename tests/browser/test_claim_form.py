"""An enterprise claims a program that is reviewed: the service's form on a page, the errors next to
their fields, the conditions it does not meet, and the amount held while the department reviews."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import new_page, screenshot, sign_in
from tests.stack.flows import SAMPLE_FILES, program_spec, wait_for
from tests.stack.harness import Api


def test_enterprise_claims_a_reviewed_program_with_its_form(browser, stack, screenshots, tmp_path):
    code = "browser-apply"
    spec = program_spec(code, mode="apply", service_id="rnd-expense-subsidy", amount="3000", cap_per_enterprise="3000")
    admin = Api(stack.base_url, "admin")
    assert admin.post("/api/programs", json=spec).status_code == 201

    page = new_page(browser, stack.base_url)
    sign_in(page, "ent0013", "/policies")
    # The account is in the legal representative's name, opened from the registry's sealed copy.
    who = page.locator(".who").inner_text()
    assert who and not who.startswith("enc1:"), who
    card = page.locator("article", has=page.get_by_role("heading", name=f"测试补贴{code}"))
    assert "审核" in card.inner_text()
    card.get_by_role("link", name="填写申领表").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=f"申领：测试补贴{code}", level=1)).to_be_visible()
    # Before anything is filled in: the amount the enterprise would get, and the conditions it meets.
    for_you = page.locator("section", has=page.get_by_role("heading", name="政府登记信息中的贵企业情况"))
    assert "贵企业可获金额：¥3,000.00" in for_you.inner_text()  # a full-width colon in Chinese
    assert for_you.locator(".checks li").count() >= 1 and for_you.locator(".fail").count() == 0
    # What the registries hold is filled in for the enterprise.
    assert "来自政府登记信息" in page.locator(".field", has=page.locator("#f-credit_code")).inner_text()

    page.locator("#f-contact_name").fill("周明")
    page.locator("#f-contact_phone").fill("1234567")  # no phone number the server accepts
    page.locator("#f-revenue_last_year").fill("30000000")
    page.locator("#f-rnd_expenses_last_year").fill("100000")  # 0.3% of revenue: too little R&D
    page.locator("#f-super_deduction_declared-1").check()
    page.locator("#f-rnd_projects").fill("智能算力调度平台研发。")
    name, content = SAMPLE_FILES["application/pdf"]
    report = tmp_path / "研发费用专项审计报告.pdf"
    report.write_bytes(content)
    page.locator("#f-audit_report").set_input_files(str(report))
    page.locator("#f-bank_name").fill("中国工商银行杭州西湖支行")
    page.locator("#f-bank_account").fill("6222020200112233445")
    page.get_by_role("button", name="提交申领").click()
    page.wait_for_load_state()

    # The field's error is next to it; what was typed, and the file, are kept.
    expect(page.locator("#error-summary")).to_be_visible()
    phone = page.locator(".field.has-error", has=page.locator("#f-contact_phone"))
    assert phone.is_visible() and page.locator("#f-contact_phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-contact_name").input_value() == "周明"
    assert "研发费用专项审计报告.pdf" in page.inner_text("main")
    screenshot(page, screenshots, "claim-form-errors")

    # Saved as a draft, the form is found again from My requests, as it was left.
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    page.goto("/requests")
    page.get_by_role("link", name=f"测试补贴{code}").click()
    # A busy machine may not have left the page yet when the click returns: wait for the next one.
    page.wait_for_url(lambda url: url.endswith(f"/policies/{code}/apply"))
    assert page.locator("#f-contact_name").input_value() == "周明"
    assert "研发费用专项审计报告.pdf" in page.inner_text("main")

    # A condition of the service that is not met is named, and nothing is filed.
    page.locator("#f-contact_phone").fill("13800138000")
    page.get_by_role("button", name="提交申领").click()
    page.wait_for_load_state()
    assert "研发费用不得低于上年度营业收入的3%" in page.locator("#error-summary").inner_text()
    assert page.locator("#f-rnd_expenses_last_year").input_value() == "100000"
    enterprise = Api(stack.base_url, "ent0013")
    assert all(c["program"] != code for c in enterprise.get("/api/enterprise/claims").json())

    page.locator("#f-rnd_expenses_last_year").fill("2400000")
    page.get_by_role("button", name="提交申领").click()
    page.wait_for_url(lambda url: url.endswith("/claims?done=under_review"))
    page.goto("/requests")
    assert page.get_by_role("link", name=f"测试补贴{code}").count() == 0  # the draft went with the filing
    page.goto("/claims?done=under_review")
    assert "审核期间" in page.inner_text("main")
    row = page.locator("tr", has_text=f"测试补贴{code}")
    assert "3,000.00" in row.inner_text()
    screenshot(page, screenshots, "claim-form-filed")

    # The amount is held for the enterprise while the department reviews the claim.
    budget = wait_for(
        lambda: (b := admin.get(f"/api/open/programs/{code}").json()["budget"])["reserved"] == "3000.00" and b,
        what="the reservation",
    )
    assert budget["paid"] == "0.00"
    # A second claim is not offered: the card shows the claim instead of the form.
    page.goto("/policies")
    card = page.locator("article", has=page.get_by_role("heading", name=f"测试补贴{code}"))
    assert card.get_by_role("link", name="填写申领表").count() == 0
    # Nor by the form's own address: the page shows the claim, and no form to file another.
    page.goto(f"/policies/{code}/apply")
    ref = next(c["ref"] for c in enterprise.get("/api/enterprise/claims").json() if c["program"] == code)
    assert page.get_by_role("link", name=ref).count() == 1
    assert page.get_by_role("button", name="提交申领").count() == 0
    page.context.close()
