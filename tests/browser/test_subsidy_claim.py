"""An enterprise claims a subsidy in English: the policy finds it, a confirmation, the money and the notice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import PHONE, new_page, screenshot, sign_in
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


def choose_language(page, language: str) -> None:
    """Switch the page's language from the phone's menu (the account remembers it)."""
    page.locator("header .menu-button").click()
    page.get_by_role("button", name=language).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["English", "中文"])
def test_a_claim_declined_on_a_phone_reads_the_same_on_the_claims_page_and_in_the_messages(
    browser, stack, screenshots, language
):
    code = "phone-decline-en" if language == "English" else "phone-decline-zh"
    assert Api(stack.base_url, "admin").post("/api/programs", json=program_spec(code)).status_code == 201
    prepared = Api(stack.base_url, "yunqi.preparer").post(f"/api/programs/{code}/claims", json={})
    assert prepared.status_code == 201, prepared.text
    ref = prepared.json()["ref"]
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "yunqi", "/claims")
    try:
        choose_language(page, language)
        row = page.locator("tr", has_text=ref)
        # The preparer's name masked, as the approver's message names them.
        assert "陈**" in row.inner_text() and "陈晨" not in row.inner_text()
        screenshot(page, screenshots, f"claims-prepared-375-{code}")
        row.locator(f'form[action="/claims/{ref}/decline"] button').click()
        page.wait_for_load_state()
        row = page.locator("tr", has_text=ref)
        you = "you" if language == "English" else "您"
        assert (f"Declined by {you} on " if language == "English" else f"{you}于") in row.inner_text()
        assert "周**" not in row.inner_text(), row.inner_text()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        screenshot(page, screenshots, f"claims-declined-375-{code}")

        # The message that it waited says it was declined, and is no longer new.
        page.goto("/messages")
        message = page.locator("article", has_text=ref)
        expect(message).to_have_count(1)
        assert "waits for your confirmation" not in message.inner_text() and "待您确认" not in message.inner_text()
        assert message.locator(".badge").count() == 0
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        screenshot(page, screenshots, f"messages-declined-375-{code}")
    finally:
        choose_language(page, "中文")  # the account's language back
        page.context.close()
