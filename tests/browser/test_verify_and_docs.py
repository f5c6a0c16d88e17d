"""Public edges in the browser: a member of the public verifies a document by typing its code on a
phone, and the API documentation renders from the hub's own files, asking no other origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.pages import PHONE, new_page, screenshot
from tests.stack.flows import decide, decision_of, file_request, open_task, wait_closed
from tests.stack.harness import Api


def issued_document(stack) -> dict:
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "同意").status_code == 200
    return decision_of(wait_closed(citizen, ref))


def test_anyone_verifies_a_document_by_typing_its_code_on_a_phone(browser, stack, screenshots):
    document = issued_document(stack)
    code = document["verification_code"]

    page = new_page(browser, stack.base_url, viewport=PHONE)
    page.goto("/verify")
    assert page.locator("h1").inner_text() == "核验文书"
    # Typed as people copy it off paper: lower case, with a space in the middle.
    page.get_by_label("核验码").fill(f"{code[:4].lower()} {code[4:].lower()}")
    page.get_by_role("button", name="核验", exact=True).click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/verify/{code}", page.url
    assert "文书真实有效" in page.inner_text("main")
    assert document["number"] in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    screenshot(page, screenshots, "verify-found-phone")
    page.context.close()

    page = new_page(browser, stack.base_url, locale="en", viewport=PHONE)
    page.goto("/verify/")  # the trailing slash answers the same form
    page.get_by_label("Verification code").fill("NOSUCHCODE1")
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_load_state()
    field = page.get_by_label("Verification code")
    assert field.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{field.get_attribute('aria-describedby')}")
    assert "No document has this code" in message.inner_text()
    # The message sits right by the field (above it, within the same field group), not on an error page.
    assert page.locator(".field.has-error").locator("#code-error").count() == 1
    assert field.input_value() == "NOSUCHCODE1"
    assert page.locator("h1").inner_text() == "Verify a document"
    screenshot(page, screenshots, "verify-unknown-phone")
    page.context.close()


def test_swagger_ui_renders_the_operations_from_this_origin_only(browser, stack, screenshots):
    page = new_page(browser, stack.base_url)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(stack.base_url))
    asked: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on("console", lambda message: refused.append(message.text) if "Refused" in message.text else None)
    page.goto("/schema/swagger")
    page.locator(".opblock").first.wait_for(state="visible")
    assert page.locator(".opblock").count() > 20
    assert page.locator(".opblock-summary-path", has_text="/api/services").count() >= 1
    assert "Qinqing Hub API" in page.locator(".info .title").inner_text()
    page.locator(".opblock-summary", has_text="/api/services").first.click()
    page.locator(".opblock-body").first.wait_for(state="visible")
    elsewhere = [url for url in asked if not url.startswith((origin, "data:", "blob:"))]
    assert not elsewhere, elsewhere
    assert not refused, refused  # nothing blocked by the page's policy
    page.screenshot(path=str(screenshots / "swagger-ui.png"))  # the top: the page is long
    page.context.close()
