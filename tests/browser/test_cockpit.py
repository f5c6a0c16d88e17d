"""The cockpit in Chromium, on a 375 px phone and on a desktop, in Chinese and in English: it fits
the screen, passes axe, every chart has its table and its CSV, and a bad filter is said next to its
field, and each chart is drawn for the phone's width there. (Keyboard and axe on a desktop:
test_accessibility.py.)"""

from __future__ import annotations

import base64

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import new_page, screenshot, sign_in
from tests.browser.test_mobile import PHONE, check
from tests.stack.flows import file_request, open_task
from tests.stack.harness import Api

pytestmark = pytest.mark.browser

TEXTS = {
    "zh_CN": {
        "title": "驾驶舱",
        "table": "以表格查看数据",
        "show": "查看",
        "csv": "下载数据（CSV）",
        "other": "English",
    },
    "en": {
        "title": "Cockpit",
        "table": "The data as a table",
        "show": "Show",
        "csv": "Download the data (CSV)",
        "other": "中文",
    },
}


def switch_language(page, to: str) -> None:
    menu = page.locator("header .menu-button")
    if menu.is_visible():
        menu.click()
    page.get_by_role("button", name=to).click()
    page.wait_for_load_state()


def test_the_cockpit_on_a_phone_in_both_languages(browser, stack, screenshots, tmp_path):
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    open_task(Api(stack.base_url, "street.clerk"), ref)  # something in the supervisor's department
    axe = Axe()
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "street.supervisor")
    for locale in ("zh_CN", "en"):
        text = TEXTS[locale]
        page.goto("/cockpit")
        assert page.locator("h1").inner_text() == text["title"]
        check(page, f"cockpit-{locale}", "phone", tmp_path, axe)
        # A supervisor's department is set, and cannot be changed for another.
        options = page.locator("#cockpit-department option").all_inner_texts()
        assert len(options) == 1
        assert page.locator("figure.chart img").count() == 5
        first = page.locator("section").filter(has=page.locator("figure.chart")).first
        # The phone is shown the chart drawn for its width (360 units wide), not the desktop's scaled down.
        phone = first.locator("figure.chart source").get_attribute("srcset")
        assert first.locator("figure.chart img").evaluate("i => i.currentSrc") == phone
        assert 'viewBox="0 0 360 ' in base64.b64decode(phone.split(",", 1)[1]).decode()
        first.locator("figure.chart").screenshot(path=str(screenshots / f"cockpit-chart-{locale}.png"))
        first.get_by_text(text["table"]).click()
        assert first.locator("table tbody tr").count() >= 1 and first.locator("table").is_visible()
        with page.expect_download() as download:
            first.get_by_role("link", name=text["csv"]).click()
        data = open(download.value.path(), encoding="utf-8-sig").read()
        assert data.splitlines()[0].count(",") == 3
        screenshot(page, screenshots, f"cockpit-phone-{locale}")

        # A period that ends before it starts: said next to the end, in the page's language.
        page.locator("#cockpit-start").fill("2026-03-08")
        page.locator("#cockpit-end").fill("2026-03-01")
        page.get_by_role("button", name=text["show"]).click()
        page.wait_for_load_state()
        error = page.locator("#cockpit-end-error")
        expect(error).to_be_visible()
        assert ("2026-03-08" in error.inner_text()) and (("日期" in error.inner_text()) == (locale == "zh_CN"))
        assert page.locator("#cockpit-end").get_attribute("aria-invalid") == "true"
        check(page, f"cockpit-error-{locale}", "phone", tmp_path, axe)
        switch_language(page, text["other"])
    page.context.close()
