"""The wallet on a phone, in Chinese and in English: the credentials held (a degree from the
higher-education records among them), sharing one field by QR code and link, the shared page as a
stranger sees it, the access log, and taking the share back."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import PHONE, new_page, screenshot, sign_in

WORDS = {
    "zh": {
        "wallet": "我的证照",
        "degree": "高等教育学位证书",
        "share": "分享",
        "field": "学位",
        "make": "生成分享链接和二维码",
        "verified": "核验通过",
        "stop": "撤回分享",
        "gone": "已不再分享",
        "log": "谁在何时查看了什么",
        "verify": "核验证照",
        "valid": "证照真实有效",
        "one view": "查看1次",
    },
    "en": {
        "wallet": "My wallet",
        "degree": "Higher-education degree certificate",
        "share": "Share",
        "field": "Degree",
        "make": "Make a link and QR code",
        "verified": "Verified: signed by the hub and valid now.",
        "stop": "Stop sharing",
        "gone": "No longer shared",
        "log": "Who saw what, when",
        "verify": "Verify the credential",
        "valid": "The credential is genuine and valid.",
        "one view": "1 view",
    },
}


def narrow(page) -> None:
    """Nothing wider than the phone, and no serious accessibility violation (axe)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{page.url}: {serious}"


def switch_language(page, name: str) -> None:
    page.locator("header .menu-button").click()
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language,username", [("zh", "lisi"), ("en", "chenjianguo")])
def test_wallet_and_sharing_by_qr_code_on_a_phone(browser, stack, screenshots, language, username):
    words = WORDS[language]
    page = new_page(browser, stack.base_url, locale="zh-CN" if language == "zh" else "en", viewport=PHONE)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    sign_in(page, username, "/wallet")
    if language == "en":  # the account speaks Chinese until its user switches
        switch_language(page, "English")
    try:
        expect(page.get_by_role("heading", name=words["wallet"], level=1)).to_be_visible()
        card = page.locator("li.credential[data-type=degree-certificate]").first
        assert words["degree"] in card.inner_text() and card.get_attribute("data-status") == "valid"
        assert page.locator("li.credential[data-type=resident-identity-card]").count() == 1
        narrow(page)
        screenshot(page, screenshots, f"wallet-{language}")
        # The identity number is masked on the card until its holder asks to see it.
        identity = page.locator("li.credential[data-type=resident-identity-card]")
        number = identity.locator("dd[data-claim=holder_id]")
        assert re.fullmatch(r"\d{4}\*{10}\d{3}[\dX]", number.inner_text()), number.inner_text()
        identity.locator("form.show-in-full button").click()
        page.wait_for_load_state()
        assert re.fullmatch(r"\d{17}[\dX]", number.inner_text()), number.inner_text()
        narrow(page)
        page.locator("li.credential[data-type=resident-identity-card] a.hide-in-full").click()
        page.wait_for_load_state()
        assert "*" in number.inner_text()
        # Share the degree alone, for a day.
        card.locator("summary", has_text=words["share"]).click()
        card.get_by_label(words["field"], exact=True).check()
        card.get_by_role("button", name=words["make"]).click()
        page.wait_for_load_state()
        qr = page.locator("img.qr")
        assert qr.is_visible() and qr.get_attribute("src").startswith("data:image/svg+xml")
        narrow(page)
        screenshot(page, screenshots, f"wallet-share-qr-{language}")
        assert not refused, refused  # no inline style the Content-Security-Policy blocks
        link = page.locator("#share-link").input_value()
        # The whole link shows on the phone, wrapped: nothing of it scrolls out of its box.
        box = page.locator("#share-link")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
        assert box.bounding_box()["width"] <= PHONE["width"] and "/verify/shared/" in link
        # A stranger (no account) opens the link: the degree, verified, and nothing else.
        stranger = new_page(browser, stack.base_url, locale="zh-CN" if language == "zh" else "en", viewport=PHONE)
        stranger.goto(link.replace(link.split("/verify/")[0], stack.base_url))
        shown = stranger.inner_text("main")
        assert words["verified"] in shown and ("学士" in shown or "硕士" in shown)
        assert "大学" not in shown and "330106" not in shown  # the institution and identity number were not chosen
        narrow(stranger)
        screenshot(stranger, screenshots, f"wallet-shared-page-{language}")
        # The holder sees the view in the access log.
        page.reload()
        expect(page.get_by_role("heading", name=words["log"])).to_be_visible()
        assert page.locator("table.access-log tbody tr").count() == 1
        narrow(page)  # the access log stacks as a card per view on the phone
        # The wallet's own log and the share's count of views, in words.
        page.goto("/wallet")
        assert page.locator("ul.shares li").first.inner_text().endswith(words["one view"])
        assert page.locator("table.access-log tbody tr").count() >= 1
        narrow(page)
        screenshot(page, screenshots, f"wallet-access-log-{language}")
        # The link verifies on /verify too.
        stranger.goto("/verify")
        stranger.locator("#credential-text").fill(link)
        stranger.get_by_role("button", name=words["verify"]).click()
        stranger.wait_for_load_state()
        assert words["valid"] in stranger.inner_text("main")
        # The credential itself, downloaded from the wallet, verifies on /verify as well.
        page.goto("/wallet")
        with page.expect_download() as download:
            card.locator("a[download]").click()
        token = open(download.value.path(), encoding="ascii").read()
        assert token.startswith("eyJ") and token.count(".") == 2
        stranger.goto("/verify")
        stranger.locator("#credential-text").fill(token)
        stranger.get_by_role("button", name=words["verify"]).click()
        stranger.wait_for_load_state()
        assert words["valid"] in stranger.inner_text("main") and "330106" in stranger.inner_text("main")
        page.goto("/wallet")
        page.locator("ul.shares a").first.click()
        page.wait_for_load_state()
        # Taken back: the link shows nothing any more.
        page.get_by_role("button", name=words["stop"]).click()
        page.wait_for_load_state()
        stranger.goto(link.replace(link.split("/verify/")[0], stack.base_url))
        expect(stranger.get_by_role("heading", name=words["gone"])).to_be_visible()
        assert "学士" not in stranger.inner_text("main") and "硕士" not in stranger.inner_text("main")
        stranger.context.close()
    finally:
        if language == "en":
            switch_language(page, "中文")
        page.context.close()
