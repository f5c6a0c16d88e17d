"""The main pages work by keyboard alone, pass axe-core's serious and critical checks, fit a phone
screen, and are saved as screenshots (var/test-artifacts/screenshots/)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import PHONE, header_settled, new_page, screenshot, sign_in
from tests.stack.flows import file_request, open_task
from tests.stack.harness import Api

# Marks every control a person can reach; radio buttons count once per group (arrows move inside).
MARK_CONTROLS = """() => {
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]),'
    + ' textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const seen = new Set();
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    // Hidden, or inside a closed <details>: not reachable until it is opened.
    if (!el.getClientRects().length || !el.checkVisibility({visibilityProperty: true})) continue;
    const key = el.type === 'radio' ? 'radio:' + el.name : 'el:' + (n + 1);
    if (seen.has(key)) { el.dataset.kbd = [...seen].indexOf(key); continue; }
    seen.add(key);
    el.dataset.kbd = String(seen.size - 1);
    n += 1;
  }
  return seen.size;
}"""


def tab_through(page) -> tuple[int, set[int]]:
    """Press Tab from the top of the page until focus comes round again; which controls were reached."""
    header_settled(page)  # the header's link is swapped for one with the unread count
    total = page.evaluate(MARK_CONTROLS)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached: set[int] = set()
    for _ in range(total * 2 + 10):
        page.keyboard.press("Tab")
        mark = page.evaluate("() => document.activeElement && document.activeElement.dataset.kbd")
        if mark is not None:
            reached.add(int(mark))
        if len(reached) == total:
            break
    return total, reached


def check_page(page, name: str, screenshots, axe: Axe) -> None:
    total, reached = tab_through(page)
    assert total > 0
    assert reached == set(range(total)), f"{name}: Tab did not reach controls {sorted(set(range(total)) - reached)}"
    # The control that has keyboard focus shows it.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", f"{name}: no visible focus style"
    results = axe.run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in serious)
    screenshot(page, screenshots, name)


@pytest.fixture(scope="module")
def filed(stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    task = open_task(Api(stack.base_url, "street.clerk"), ref)
    return ref, task["id"]


def test_public_pages(browser, stack, screenshots):
    axe = Axe()
    page = new_page(browser, stack.base_url)
    for name, path in [
        ("home", "/"),
        ("home-search", "/?q=补贴"),
        ("home-life-event", "/?event=growing-old"),
        ("service", "/services/elderly-care-allowance"),
        ("signin", "/signin"),
        ("verify-unknown", "/verify/NOSUCHCODE"),
        ("open-data", "/open"),
    ]:
        page.goto(path)
        check_page(page, name, screenshots, axe)
    page.context.close()


def test_search_updates_the_results_as_you_type(browser, stack):
    page = new_page(browser, stack.base_url)
    page.goto("/")
    page.get_by_label("搜索服务").fill("居住证")
    # Before a search the services are shown by group, without a count: the count comes with the results.
    page.wait_for_function("() => document.querySelector('#results .count')?.textContent.includes('(1)')")
    expect(page.locator("#results").get_by_role("link", name="居住证")).to_be_visible()
    assert "q=" in page.url  # the address follows, so the results can be bookmarked
    page.context.close()


def test_citizen_pages(browser, stack, screenshots, filed):
    ref, _ = filed
    axe = Axe()
    page = new_page(browser, stack.base_url)
    sign_in(page, "zhangsan")
    for name, path in [
        ("apply", "/services/elderly-care-allowance/apply"),
        ("apply-groups", "/services/minimum-living-allowance/apply"),
        ("my-requests", "/requests"),
        ("request", f"/requests/{ref}"),
        ("my-feedback", "/feedback"),
        ("grievance-form", "/grievances/new"),
    ]:
        page.goto(path)
        check_page(page, name, screenshots, axe)
    page.context.close()


def test_staff_pages(browser, stack, screenshots, filed):
    _, task_id = filed
    axe = Axe()
    clerk = new_page(browser, stack.base_url)
    sign_in(clerk, "street.clerk")
    for name, path in [
        ("workbench", "/workbench"),
        ("task", f"/workbench/tasks/{task_id}"),
        ("cases", "/workbench/cases"),
    ]:
        clerk.goto(path)
        check_page(clerk, name, screenshots, axe)
    clerk.context.close()
    auditor = new_page(browser, stack.base_url)
    sign_in(auditor, "auditor")
    auditor.goto("/admin")
    check_page(auditor, "admin-catalog", screenshots, axe)
    auditor.goto("/admin/programs")
    check_page(auditor, "admin-programs", screenshots, axe)
    auditor.goto("/audit")
    check_page(auditor, "audit-log", screenshots, axe)
    auditor.goto("/cockpit")
    check_page(auditor, "cockpit", screenshots, axe)
    auditor.context.close()


def test_enterprise_pages(browser, stack, screenshots):
    axe = Axe()
    page = new_page(browser, stack.base_url)
    sign_in(page, "chashe")
    for name, path in [
        ("policies", "/policies"),
        ("claim-form", "/policies/rnd-subsidy-2026/apply"),
        ("claims", "/claims"),
    ]:
        page.goto(path)
        check_page(page, name, screenshots, axe)
    page.context.close()


def test_pages_fit_a_phone_screen(browser, stack, screenshots):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "zhangsan")
    for name, path in [
        ("phone-home", "/"),
        ("phone-service", "/services/elderly-care-allowance"),
        ("phone-apply", "/services/elderly-care-allowance/apply"),
        ("phone-requests", "/requests"),
        # Search results: a life event before the services, and a long search repeated in the heading.
        ("phone-search", "/?q=生孩子"),
        ("phone-search-long", "/?q=" + "dibao" * 20),
    ]:
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways at {PHONE['width']}px ({width}px wide)"
        screenshot(page, screenshots, name)
    page.context.close()


def test_working_calendar_page(browser, stack, screenshots):
    axe = Axe()
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "admin")
    page.goto("/admin/calendar")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the calendar page scrolls sideways ({width}px wide)"
    check_page(page, "admin-calendar", screenshots, axe)
    # A refused form: the summary and each message next to its field pass the same checks.
    page.fill("#h0_zh_CN", "元旦")
    page.fill("#h0_en", "")
    page.fill("#h0_days_off", "1 January")
    page.click("form.stack button.primary")
    page.wait_for_selector("#h0_days_off-error")
    check_page(page, "admin-calendar-refused", screenshots, axe)
    page.context.close()
