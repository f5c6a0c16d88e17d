"""A citizen files a request in Chinese, two clerks approve it, the citizen downloads the decision."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.pages import fill_elderly_allowance, new_page, reload_until, screenshot, sign_in
from tests.stack.flows import pdf_text


def clerk_approves(browser, stack, username: str, ref: str, screenshots=None) -> None:
    page = new_page(browser, stack.base_url)
    sign_in(page, username)
    assert page.url.endswith("/workbench")
    reload_until(page, lambda p: p.get_by_role("link", name=ref).count() > 0)
    if screenshots:
        screenshot(page, screenshots, "workbench-inbox")
    page.get_by_role("link", name=ref).first.click()
    # Personal data stays masked until the clerk reveals it.
    assert "13800138000" not in page.content()
    page.get_by_role("button", name="认领此任务").click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.get_by_label("批准").check()
    page.get_by_label("给申请人的说明（驳回时必填）").fill("住址核实无误")
    if screenshots:
        screenshot(page, screenshots, "workbench-task")
    page.get_by_role("button", name="记录决定").click()
    expect(page.get_by_text("您的决定已记录。")).to_be_visible()
    page.context.close()


def test_citizen_files_in_chinese_and_two_clerks_approve(browser, stack, screenshots):
    page = new_page(browser, stack.base_url)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_label("搜索服务").fill("高龄")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=re.compile("高龄津贴")).click()
    expect(page.get_by_text("办理时限")).to_be_visible()
    page.get_by_role("link", name="登录后申请").click()
    page.locator("#username").fill("zhangsan")
    page.locator("#password").fill("qinqing-demo")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: url.endswith("/services/elderly-care-allowance/apply"))
    # Data the government holds is filled in and marked as such.
    expect(page.get_by_text("张三").first).to_be_visible()
    expect(page.get_by_text("来自政府登记信息").first).to_be_visible()
    fill_elderly_allowance(page)
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", name="核对您的填写内容")).to_be_visible()
    expect(page.get_by_text("13800138000")).to_be_visible()
    page.get_by_role("button", name="提交申请").click()
    ref = re.search(r"/requests/(QQ[0-9A-Z]+)", page.url).group(1)
    expect(page.get_by_text(ref).first).to_be_visible()
    # The page opens with a green panel: the reference, who looks at it first, by when, where to follow it.
    panel = page.locator("section.panel.success[role=status]")
    expect(panel.get_by_role("heading", name="申请已提交")).to_be_visible()
    text = panel.inner_text()
    assert f"申请编号：{ref}" in text and "首先由西湖街道办事处审核" in text, text
    assert re.search(r"办理时限为\d+个工作日，预计\d{4}年\d+月\d+日前作出决定", text), text
    assert panel.get_by_role("link", name="我的申请").get_attribute("href") == "/requests"
    green = panel.evaluate("e => getComputedStyle(e).backgroundColor")
    assert green == "rgb(231, 246, 236)", green  # --ok-soft
    if os.environ.get("QINQING_DESIGN_SHOTS"):  # the panel as hub/web/DESIGN.md shows it
        panel.screenshot(path=str(Path(__file__).resolve().parents[2] / "hub" / "web" / "design" / "filed-panel.png"))
    # Only just after filing: the page read again later shows no panel.
    page.goto(f"/requests/{ref}")
    assert page.locator("section.panel.success").count() == 0

    clerk_approves(browser, stack, "street.clerk", ref, screenshots)
    clerk_approves(browser, stack, "civil.clerk", ref)

    page.goto(f"/requests/{ref}")
    reload_until(
        page,
        lambda p: (
            p.get_by_role("link", name=re.compile("决定书")).count() > 0
            and "已批准" in p.locator("dl.facts").inner_text()
        ),
    )
    # Decided: every step is done, none is current any more.
    steps = page.locator("ol.steps > li")
    assert steps.count() >= 4 and page.locator("ol.steps > li.done").count() == steps.count()
    assert page.locator("ol.steps [aria-current=step]").count() == 0
    timeline = page.locator(".timeline").inner_text()
    assert "西湖街道办事处" in timeline or "街道" in timeline
    screenshot(page, screenshots, "request-approved")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("决定书")).click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    assert ref in pdf_text(data)

    # A rating once it is decided.
    page.get_by_label("5", exact=True).check()
    page.get_by_label("意见（可选）").fill("办理很快")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("您的评分：5")).to_be_visible()
    page.context.close()
