"""A citizen withdraws a request from its page; a second tab that tries again is told why it cannot."""

from __future__ import annotations

from forms.catalog import load_catalog
from tests.browser.pages import new_page, reload_until, screenshot, sign_in
from tests.stack.flows import file_example
from tests.stack.harness import Api


def test_citizen_withdraws_a_request_before_the_decision(browser, stack, screenshots):
    citizen = Api(stack.base_url, "zhangsan")
    r = file_example(citizen, load_catalog().latest("elderly-care-allowance"))
    assert r.status_code in (201, 202), r.text
    ref = r.json()["ref"]

    page = new_page(browser, stack.base_url)
    sign_in(page, "zhangsan", f"/requests/{ref}")
    second_tab = page.context.new_page()
    second_tab.goto(f"/requests/{ref}")

    page.get_by_text("在最终决定作出之前，您可以撤回本申请。").click()
    page.get_by_label("撤回原因（选填）").fill("已搬家，改在新住址申请")
    page.get_by_role("button", name="撤回申请").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/requests/{ref}?done=withdrawn"), page.url
    assert "您的申请已撤回" in page.inner_text("main")
    assert page.get_by_role("button", name="撤回申请").count() == 0
    reload_until(page, lambda p: "已撤回" in p.locator("dl.facts").inner_text())
    screenshot(page, screenshots, "request-withdrawn")
    assert citizen.get(f"/api/requests/{ref}").json()["state"] == "withdrawn"

    # The other tab still shows the form; sending it now is refused, with the reason, in place.
    second_tab.get_by_text("在最终决定作出之前，您可以撤回本申请。").click()
    second_tab.get_by_role("button", name="撤回申请").click()
    second_tab.wait_for_load_state()
    assert "该申请已作出或正在作出决定，无法撤回。" in second_tab.get_by_role("alert").inner_text()
    page.context.close()
