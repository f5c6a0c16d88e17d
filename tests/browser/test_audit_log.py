"""The audit log on a phone (375 px) in both languages: each event's details read as words with their
codes beneath, the system's own events can be chosen in the filter, and a value that is not one is
said next to its field; the page fits the screen and axe finds nothing serious."""

from __future__ import annotations

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from hub.i18n import gettext
from tests.browser.pages import new_page, sign_in
from tests.browser.test_cockpit import switch_language
from tests.browser.test_mobile import PHONE, check

pytestmark = pytest.mark.browser

TEXTS = {
    "zh_CN": {"title": "审计日志", "system": "系统", "other": "English", "colon": "："},
    "en": {"title": "Audit log", "system": "the system", "other": "中文", "colon": ": "},
}


def test_the_audit_log_on_a_phone_in_both_languages(browser, stack, tmp_path):
    # A sign-in with a name no account has: recorded by the hub itself, with no user.
    r = httpx.post(f"{stack.base_url}/api/auth/token", json={"username": "no-such-user", "password": "wrong"})
    assert r.status_code == 401, r.text
    axe = Axe()
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "auditor")  # on the pages: its event says so
    try:
        page.goto("/audit")
        if page.locator("h1").inner_text() != TEXTS["zh_CN"]["title"]:
            switch_language(page, "中文")  # the account's language, as an earlier test may have left it
        for locale in ("zh_CN", "en"):
            text = TEXTS[locale]

            page.goto("/audit?action=auth.signed_in")
            assert page.locator("h1").inner_text() == text["title"]
            # The auditor's own sign-in: the channel named, its code beneath.
            detail = page.locator("td[data-label] li", has=page.locator("code", has_text="channel: page")).first
            words = detail.inner_text().splitlines()[0]
            assert words == gettext(locale, "Channel") + text["colon"] + gettext(locale, "Web pages"), words
            check(page, f"audit-log-details-{locale}", "phone", tmp_path, axe)

            # Whose events: the system's alone.
            page.goto("/audit")
            page.select_option("#audit-by", "system")
            page.locator("form.filters button[type=submit]").click()
            page.wait_for_load_state()
            assert "by=system" in page.url
            who = page.locator("tbody td:nth-child(2)").all_inner_texts()
            assert who and {w.strip() for w in who} == {text["system"]}, who
            failed = page.locator("tbody li", has=page.locator("code", has_text="username_digest")).first
            assert failed.inner_text().splitlines()[0].startswith(gettext(locale, "Username (digest only)"))
            check(page, f"audit-log-system-{locale}", "phone", tmp_path, axe)

            # A value no one can choose (typed into the address): said next to its field.
            page.goto("/audit?by=robots")
            error = page.locator("#audit-by-error")
            assert gettext(locale, "Choose one of the listed options.") in error.inner_text()
            assert page.locator("#audit-by").get_attribute("aria-describedby") == "audit-by-error"
            box, field = error.bounding_box(), page.locator("#audit-by").bounding_box()
            assert box and field and 0 <= box["y"] - (field["y"] + field["height"]) < 40  # right beneath it
            check(page, f"audit-log-error-{locale}", "phone", tmp_path, axe)

            switch_language(page, text["other"])
    finally:
        page.context.close()
