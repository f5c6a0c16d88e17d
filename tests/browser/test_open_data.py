"""Open data in Chromium on a 375 px phone, in Chinese and in English: the open-data page with its
downloads, the data dictionary and the governance reports (saying when the next comes out) fit the screen (no sideways scroll, no
squeezed cells, targets large enough, nothing serious for axe); a CSV downloads; an administrator's
report for a period that has not ended is refused with the message next to its field."""

from __future__ import annotations

import csv
import datetime as dt
import io

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from hub.clock import BEIJING
from hub.i18n import format_date
from tests.browser.pages import new_page, sign_in
from tests.browser.test_mobile import PHONE, check


def test_open_data_pages_on_a_phone_in_both_languages(browser, stack, tmp_path):
    axe = Axe()
    for locale, heading, dictionary in [
        ("zh-CN", "供研究使用的数据下载", "数据字典"),
        ("en", "Downloads for research", "The data dictionary"),
    ]:
        page = new_page(browser, stack.base_url, locale=locale, viewport=PHONE)
        page.goto("/open")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        check(page, f"open-data-{locale}", "phone", tmp_path, axe)
        # The outcome table downloads as a CSV whose header names the dictionary's columns.
        with page.expect_download() as download:
            page.locator("a[href^='/api/open/datasets/outcomes.csv']").click()
        rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
        assert rows and "total" in rows[0] and rows[-1]["service_id"] == "total"
        page.get_by_role("link", name=dictionary).first.click()
        page.wait_for_url("**/open/dictionary")
        expect(page.get_by_role("heading", name=dictionary, level=1)).to_be_visible()
        assert page.locator("td[data-label]").count() > 20
        check(page, f"open-data-dictionary-{locale}", "phone", tmp_path, axe)
        page.goto("/open/reports")
        # The page says which month's report comes next, and when.
        today = dt.datetime.now(BEIJING).date()
        month = f"{today.year}年{today.month}月" if locale == "zh-CN" else today.strftime("%B %Y")
        expect(page.get_by_text(month)).to_be_visible()
        assert ("comes out on" if locale == "en" else "发布") in page.get_by_text(month).inner_text()
        check(page, f"open-data-reports-{locale}", "phone", tmp_path, axe)
        page.context.close()


def test_an_administrator_asking_for_a_period_not_ended_reads_why_next_to_the_field(browser, stack, tmp_path):
    page = new_page(browser, stack.base_url, locale="en", viewport=PHONE)
    sign_in(page, "admin", next_path="/open/reports")
    page.goto("/open/reports")
    today = dt.datetime.now(BEIJING).date()
    page.select_option("#report-kind", "month")
    page.fill("#report-year", str(today.year))
    page.fill("#report-number", str(today.month))
    page.locator("form[action='/open/reports'] button.primary").click()
    error = page.locator("#report-number-error")
    # The message names the month's last day, in the account's language (Chinese or English).
    last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    assert any(format_date(last, locale) in error.inner_text() for locale in ("zh_CN", "en")), error.inner_text()
    assert "has not ended yet" in error.inner_text() or "尚未结束" in error.inner_text()
    assert page.locator("#report-number").get_attribute("aria-invalid") == "true"
    check(page, "open-data-report-error", "phone", tmp_path, Axe())
    page.context.close()
