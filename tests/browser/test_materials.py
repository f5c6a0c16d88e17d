"""A proof the government issued is not uploaded: on a phone, the maternity allowance's form says
the hub already has the applicant's medical certificate of birth, in Chinese and in English."""

from __future__ import annotations

import pytest

from tests.browser.pages import PHONE, new_page, screenshot, sign_in
from tests.stack.flows import CLERKS
from tests.stack.harness import Api
from tests.stack.test_materials import MATERNITY, approved_birth_certificate


@pytest.fixture(scope="module")
def holder(stack):
    held = approved_birth_certificate(stack)
    yield held
    # Revoked afterwards: the applicant's forms in other tests ask for the upload again.
    revoked = Api(stack.base_url, CLERKS["health"]).post(
        f"/api/documents/{held['decision']['id']}/revocation",
        json={"reason": "测试结束，撤销证明", "category": "issued_in_error"},
    )
    assert revoked.status_code == 200, revoked.text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("English", "We already have this: Medical certificate of birth, issued by District Health Commission on"),
        # Last: the account keeps the language chosen, and other tests read its pages in Chinese.
        ("中文", "我们已掌握此材料：出生医学证明，由区卫生健康委员会于"),
    ],
)
def test_the_form_says_we_already_have_the_certificate_on_a_phone(browser, stack, screenshots, holder, language, said):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, holder["applicant"].username, f"/services/{MATERNITY.id}/apply")
    page.locator("header .menu-button").click()  # on a phone, the language switch is in the menu
    page.get_by_role("button", name=language).click()
    page.wait_for_load_state()
    held = page.locator("#f-birth_certificate")
    assert said in held.inner_text()
    # Nothing to upload: no file input for it, and the page fits the phone's width.
    assert page.locator("input[name=birth_certificate__file]").count() == 0
    assert held.is_visible() and held.bounding_box()["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    held.scroll_into_view_if_needed()
    screenshot(page, screenshots, f"materials-we-have-it-{'zh' if language == '中文' else 'en'}")
    page.context.close()
