"""Steps a person takes in the browser: sign in, fill the form, work the inbox."""

from __future__ import annotations

import time

from tests.stack.harness import PASSWORD

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}


def new_page(browser, base_url: str, locale: str = "zh-CN", viewport=DESKTOP):
    context = browser.new_context(base_url=base_url, locale=locale, viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def sign_in(page, username: str, next_path: str = "/") -> None:
    page.goto(f"/signin?next={next_path}")
    page.get_by_label("用户名" if page.locator("html").get_attribute("lang") == "zh-CN" else "Username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/signin" not in page.url, page.content()[:2000]


def header_settled(page) -> None:
    """Wait for the header's unread count, which htmx loads after the page and swaps in."""
    if page.locator(".messages-link").count():
        page.locator(".messages-link[hx-get]").wait_for(state="detached")


def reload_until(page, check, timeout: float = 60, interval: float = 0.7):
    """Reload the page until ``check(page)`` holds (the workflow moves on in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        if check(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out on {page.url}")
        time.sleep(interval)
        page.reload()


def fill_elderly_allowance(page) -> None:
    """The old-age allowance form, as 张三 fills it in (name and identity number are prefilled)."""
    page.locator("#f-phone").fill("13800138000")
    page.locator("#f-address").fill("杭州市西湖区文三路100号")
    page.locator("#f-hukou_local-1").check()  # yes
    page.locator("#f-living_arrangement-1").check()  # lives alone
    page.locator("#f-payment_method-2").check()  # social security card


def screenshot(page, directory, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
