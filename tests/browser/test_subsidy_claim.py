"""An enterprise claims a subsidy in English: the policy finds it, a confirmation, the money and the notice."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import new_page, screenshot, sign_in
from tests.stack.flows import program_spec
from tests.stack.harness import Api


def test_enterprise_claims_a_subsidy_in_english(browser, stack, screenshots):
    code = "browser-claim"
    assert (
        Api(stack.base_url, "admin")
        .post("/api/programs", json=program_spec(code, amount="2500", cap_per_enterprise="2500"))
        .status_code
        == 201
    )
    page = new_page(browser, stack.base_url, locale="en")
    sign_in(page, "ent0012", "/policies")
    # The account's language is Chinese until its user switches (the choice is remembered).
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Policies for you", level=1)).to_be_visible()
    card = page.locator("article", has=page.get_by_role("heading", name=f"Test subsidy {code}"))
    assert "Condition: The enterprise must be active. — ✓ Result: you meet this condition" in card.inner_text()
    screenshot(page, screenshots, "policies-for-you-en")
    # Money is claimed after a confirmation naming the amount, the enterprise and its account.
    card.get_by_role("link", name="Claim").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Confirm your claim", level=1)).to_be_visible()
    assert "2,500.00" in page.inner_text("main") and "Settlement account ending in" in page.inner_text("main")
    page.get_by_role("button", name="Confirm the claim").click()
    page.wait_for_load_state()

    assert page.url.endswith("/claims?done=paid"), page.url
    assert "Paid. The payment notice" in page.inner_text("main")
    row = page.locator("tr", has_text=f"Test subsidy {code}")
    assert "Paid" in row.inner_text() and "2,500.00" in row.inner_text() and "LEDGER-" in row.inner_text()
    screenshot(page, screenshots, "my-claims-en")

    # The claim's request page has the signed payment notice to download.
    row.get_by_role("link").first.click()
    page.wait_for_load_state()
    assert "Subsidy payment notice" in page.inner_text("main")

    # Claiming again is refused with a clear message, nothing is paid twice.
    page.goto("/policies")
    card = page.locator("article", has=page.get_by_role("heading", name=f"Test subsidy {code}"))
    assert "Your claim" in card.inner_text()
    assert card.get_by_role("button").count() == 0


def test_programs_and_budgets_for_administrators(browser, stack, screenshots):
    page = new_page(browser, stack.base_url, locale="en")
    sign_in(page, "auditor", "/admin/programs")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Programs and budgets", level=1).is_visible()
    assert "job-stabilisation-2026" in page.inner_text("main")
    screenshot(page, screenshots, "programs-and-budgets-en")
