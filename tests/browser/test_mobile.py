"""The portal on a phone (375×812) and on a desktop (1280×800): the main pages of the three journeys
fit the screen without scrolling sideways, no table cell is squeezed to a column of characters
(tables become one card per row on a phone), buttons, menu and navigation links are at least 44 px,
axe finds nothing serious, and the header is one row with a menu on the phone.

Screenshots go to the test's tmp dir; with QINQING_DESIGN_SHOTS=1 the first screen of the pages the
design system shows is also written to hub/web/design/ (how its PNGs are made)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.pages import new_page, sign_in
from tests.stack.flows import decide, decision_of, file_request, open_task, program_spec, wait_claim, wait_closed
from tests.stack.harness import Api

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
DESIGN = Path(__file__).resolve().parent.parent.parent / "hub" / "web" / "design"
# The pages whose first screen DESIGN.md shows, by the name the test gives them.
DESIGN_PAGES = {"home": "home", "apply": "apply-form", "my-requests": "my-requests", "inbox": "workbench-inbox"}
MIN_CELL = 48  # px: about four characters; a narrower cell wraps a service's name a character a line
MIN_TARGET = 44  # px: the smallest touch target

MEASURE = """() => {
  const visible = (el) => {
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
    if (el.closest('.visually-hidden, .skip')) return false;
    const head = el.closest('thead');
    if (head && getComputedStyle(head).position === 'absolute') return false;  // the cards' hidden header
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const describe = (el) => {
    const r = el.getBoundingClientRect();
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30);
    return `${el.tagName.toLowerCase()} "${text}" ${Math.round(r.width)}x${Math.round(r.height)}`;
  };
  const narrowCells = [...document.querySelectorAll('td, th')]
    .filter(visible).filter((c) => c.innerText.trim() && c.getBoundingClientRect().width < MIN_CELL).map(describe);
  const targets = [...document.querySelectorAll(
    'button, .button, summary, nav a, select, textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox])')]
    .filter(visible);
  // A radio button or checkbox is as big as its row: the label is part of the target.
  const choices = [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
    .filter(visible).map((i) => i.closest('.choice') || i);
  const small = [...targets, ...choices].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.height < MIN_TARGET - 0.5 || r.width < MIN_TARGET - 0.5;
  }).map(describe);
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    narrowCells,
    small,
  };
}""".replace("MIN_CELL", str(MIN_CELL)).replace("MIN_TARGET", str(MIN_TARGET))


def check(page, name: str, viewport: str, tmp_path: Path, axe: Axe) -> None:
    try:
        measure(page, name, viewport, axe)
    except AssertionError:
        # What the page looked like, for whoever reads the failure (a full-page shot of every page
        # took about a fifth of the test's time).
        page.screenshot(path=str(tmp_path / f"{name}-{viewport}.png"), full_page=True)
        raise
    if os.environ.get("QINQING_DESIGN_SHOTS") and name in DESIGN_PAGES:
        DESIGN.mkdir(exist_ok=True)
        width = VIEWPORTS[viewport]["width"]
        page.screenshot(path=str(DESIGN / f"{DESIGN_PAGES[name]}-{width}.png"))


def measure(page, name: str, viewport: str, axe: Axe) -> None:
    where = f"{name} at {VIEWPORTS[viewport]['width']}px"
    m = page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["innerWidth"], f"{where} scrolls sideways ({m['scrollWidth']}px wide)"
    assert not m["narrowCells"], f"{where}: table cells narrower than {MIN_CELL}px: {m['narrowCells']}"
    assert not m["small"], f"{where}: touch targets smaller than {MIN_TARGET}px: {m['small']}"
    results = axe.run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{where}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in serious)


@pytest.fixture(scope="module")
def filed(stack):
    """A request of 张三 that the street office's clerk has in the inbox, a paid claim of 云栖 and
    one its preparer prepared."""
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    task = open_task(Api(stack.base_url, "street.clerk"), ref)
    code = "mobile-cards"
    assert Api(stack.base_url, "admin").post("/api/programs", json=program_spec(code)).status_code == 201
    yunqi = Api(stack.base_url, "yunqi")
    r = yunqi.post(f"/api/programs/{code}/claims", json={})
    assert r.status_code == 201, r.text
    wait_claim(yunqi, r.json()["ref"])
    # And one its preparer prepared: the approver's row says by whom and when, to submit or decline.
    prepared = "mobile-prepared"
    assert Api(stack.base_url, "admin").post("/api/programs", json=program_spec(prepared)).status_code == 201
    r = Api(stack.base_url, "yunqi.preparer").post(f"/api/programs/{prepared}/claims", json={})
    assert r.status_code == 201 and r.json()["state"] == "prepared", r.text
    return ref, task["id"]


@pytest.fixture(scope="module")
def decided(stack):
    """A decision the civil-affairs bureau issued on a request of 张三's, which it may correct or revoke."""
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    for username in ("street.clerk", "civil.clerk"):
        clerk = Api(stack.base_url, username)
        assert decide(clerk, open_task(clerk, ref)["id"], "approve", "同意").status_code == 200
    return decision_of(wait_closed(citizen, ref))["id"]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_main_pages_fit_phone_and_desktop(browser, stack, filed, decided, viewport, tmp_path):
    ref, task_id = filed
    axe = Axe()
    journeys = [
        (
            "zhangsan",
            [
                ("home", "/"),
                ("service", "/services/elderly-care-allowance"),
                ("apply", "/services/elderly-care-allowance/apply"),
                ("my-requests", "/requests"),
                ("request", f"/requests/{ref}"),
                ("my-benefits", "/benefits"),
                ("life-events", "/life-events"),
                ("life-event-form", "/life-events/hard-times"),
                ("my-feedback", "/feedback"),
                ("grievance-form", "/grievances/new"),
            ],
        ),
        (
            "street.clerk",
            [("inbox", "/workbench"), ("task", f"/workbench/tasks/{task_id}"), ("cases", "/workbench/cases")],
        ),
        # A benefit's register (the demo's carried-over beneficiaries, names masked) and its cycles
        # with the form to run one.
        (
            "civil.supervisor",
            [
                ("benefit-register", "/workbench/benefits/elderly-care-allowance"),
                ("benefit-cycles", "/workbench/benefits/elderly-care-allowance/cycles"),
            ],
        ),
        # A document the department issued, with the forms to correct or revoke it.
        ("civil.clerk", [("issued-document", f"/workbench/documents/{decided}")]),
        # A subsidy's service page leads to the policy that pays it.
        (
            "yunqi",
            [
                ("policies", "/policies"),
                ("claims", "/claims"),
                ("subsidy-service", "/services/job-stabilisation-subsidy"),
            ],
        ),
        # Its preparer's buttons say that they prepare, for the legal representative to submit.
        ("yunqi.preparer", [("preparer-policies", "/policies"), ("preparer-life-events", "/life-events")]),
        ("admin", [("sign-in-lockouts", "/admin/sign-in-locks")]),
        # The other data tables, as oversight reads them.
        (
            "auditor",
            [
                ("catalog", "/admin"),
                ("programs", "/admin/programs"),
                ("audit-log", "/audit"),
                ("request-trail", f"/workbench/requests/{ref}/audit"),
                ("oversight-cases", "/workbench/cases"),
                ("open-data", "/open"),
                ("cockpit", "/cockpit"),
            ],
        ),
    ]
    for username, pages in journeys:
        page = new_page(browser, stack.base_url, viewport=VIEWPORTS[viewport])
        sign_in(page, username)
        for name, path in pages:
            page.goto(path)
            check(page, name, viewport, tmp_path, axe)
        page.context.close()


def test_phone_header_is_one_row_with_a_menu(browser, stack):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "zhangsan")
    page.goto("/requests")
    header = page.locator("header.site").bounding_box()
    assert header and header["height"] <= 72, f"the header is {header} tall on a phone: more than one row"
    menu = page.locator("header .menu-button")
    nav_link = page.locator("header nav").get_by_role("link", name="我的申请")
    assert menu.is_visible() and not nav_link.is_visible()
    menu.click()
    assert page.locator("header details.menu").get_attribute("open") is not None
    # Navigation, the language switch and signing out are all in the open menu.
    expect(nav_link).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    if os.environ.get("QINQING_DESIGN_SHOTS"):
        page.screenshot(path=str(DESIGN / "menu-open-375.png"))
    page.keyboard.press("Escape")
    assert not nav_link.is_visible()
    menu.click()
    nav_link.click()
    page.wait_for_load_state()
    assert page.url.endswith("/requests")
    page.context.close()


def test_desktop_header_shows_the_navigation_without_a_menu_button(browser, stack):
    page = new_page(browser, stack.base_url, viewport=DESKTOP)
    sign_in(page, "zhangsan")
    assert not page.locator("header .menu-button").is_visible()
    expect(page.locator("header nav").get_by_role("link", name="我的申请")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    page.context.close()


def test_tables_become_labelled_cards_on_a_phone(browser, stack, filed):
    ref, _ = filed
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "zhangsan", "/requests")
    page.goto("/requests")
    row = page.locator("tbody tr", has_text=ref)
    cells = row.locator("td")
    labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
    headers = page.locator("thead th").all_inner_texts()
    assert labels == headers  # each cell is labelled with its column's header
    shown = cells.nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert shown == f'"{headers[1]}"'
    assert not page.locator("thead").is_visible() or page.locator("thead").bounding_box()["width"] <= 1
    # A row is a card as wide as the page, its cells stacked.
    box = row.bounding_box()
    assert box and box["width"] > PHONE["width"] * 0.8
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert first and second and second["y"] >= first["y"] + first["height"] - 1
    page.context.close()


def test_form_inputs_bring_up_the_right_keyboard(browser, stack):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    sign_in(page, "zhangsan")
    page.goto("/services/elderly-care-allowance/apply")
    phone = page.locator("#f-phone")
    assert phone.get_attribute("type") == "tel" and phone.get_attribute("autocomplete") == "tel"
    assert page.locator("#f-address").get_attribute("autocomplete") == "street-address"
    page.goto("/services/maternity-allowance/apply")
    account = page.locator("input[name=bank_account]")
    if account.count():
        assert account.get_attribute("inputmode") == "numeric"
    page.context.close()


def test_chinese_and_latin_typography(browser, stack):
    page = new_page(browser, stack.base_url, viewport=PHONE)
    page.goto("/")
    style = "() => { const s = getComputedStyle(document.body); return [s.fontFamily, s.lineHeight, s.fontSize]; }"
    family, line_height, size = page.evaluate(style)
    assert family.startswith('"PingFang SC"'), family  # the Chinese stack first on a Chinese page
    assert abs(float(line_height.removesuffix("px")) / float(size.removesuffix("px")) - 1.7) < 0.01
    page.locator("header .menu-button").click()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    family, line_height, size = page.evaluate(style)
    assert family.startswith("system-ui"), family  # Latin first, the Chinese fonts after it
    assert "PingFang SC" in family
    assert abs(float(line_height.removesuffix("px")) / float(size.removesuffix("px")) - 1.5) < 0.01
    page.context.close()


def test_a_request_s_steps_are_a_vertical_list_on_a_phone(browser, stack, filed):
    ref, _ = filed
    for viewport in ("phone", "desktop"):
        page = new_page(browser, stack.base_url, viewport=VIEWPORTS[viewport])
        sign_in(page, "zhangsan")
        page.goto(f"/requests/{ref}")
        steps = page.locator("ol.steps > li")
        boxes = [steps.nth(i).bounding_box() for i in range(steps.count())]
        assert len(boxes) == 4 and all(boxes)
        current = page.locator("ol.steps > li[aria-current=step]")
        assert current.count() == 1 and "街道" in current.inner_text()
        assert page.locator("ol.steps > li.done .marker").first.inner_text() == "✓"
        if viewport == "phone":  # one under the other, each as wide as the page allows
            assert all(b["y"] > a["y"] for a, b in zip(boxes, boxes[1:], strict=False))
            assert all(b["width"] > PHONE["width"] * 0.7 for b in boxes)
        else:  # one row from 768 px up
            assert len({round(b["y"]) for b in boxes}) == 1 and boxes[1]["x"] > boxes[0]["x"]
        assert page.evaluate("document.scrollingElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        if os.environ.get("QINQING_DESIGN_SHOTS"):
            page.locator("ol.steps").screenshot(path=str(DESIGN / f"request-steps-{VIEWPORTS[viewport]['width']}.png"))
        page.context.close()


HEADER_OVERFLOW = """() => [...document.querySelectorAll('header.site *')]
  .filter((el) => el.checkVisibility() && !el.closest('.visually-hidden, .skip'))
  .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 1 && (r.left < 0 || r.right > innerWidth + 0.5); })
  .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${(el.innerText || '').trim().slice(0, 20)}" ${Math.round(el.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_unread_count_shows_with_the_menu_closed(browser, stack, locale):
    from tests.browser.pages import header_settled, reload_until
    from tests.browser.test_feedback import choose

    assert file_request(Api(stack.base_url, "zhangsan")).status_code in (201, 202)  # its receipt is a message
    for viewport in ("phone", "desktop"):
        page = new_page(browser, stack.base_url, locale=locale, viewport=VIEWPORTS[viewport])
        sign_in(page, "zhangsan", "/wallet")
        choose(page, locale)
        page.goto("/wallet")
        # The receipt's message arrives once the workflow has run.
        reload_until(page, lambda p: (header_settled(p), p.locator("header .messages-link .badge").count())[1] > 0)
        unread = int(page.locator("header .messages-link .badge").get_attribute("data-unread") or 0)
        assert unread >= 1
        # On a phone the envelope in the bar, with the menu closed; on a desktop the link in words.
        link = page.locator("header #unread-phone" if viewport == "phone" else "header .messages-link")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"] and box["height"] >= MIN_TARGET
        if viewport == "phone":
            assert page.locator("header details.menu").get_attribute("open") is None
            assert link.locator(".unread-count").inner_text() == str(unread)  # the count, seen
            if locale == "en":
                expect(link).to_have_accessible_name(f"Messages, {unread} unread")
        else:
            expect(page.locator("header #unread-phone")).to_be_hidden()
            words = f"{unread} unread" if locale == "en" else f"{unread}条未读"
            assert link.locator(".badge").inner_text() == words
        assert page.evaluate(HEADER_OVERFLOW) == [], f"drawn outside the screen at {viewport}, menu closed"
        if viewport == "phone":
            page.locator("header .menu-button").click()
            assert page.evaluate(HEADER_OVERFLOW) == [], "drawn outside the screen, menu open"
            page.locator("header .menu-button").click()
        choose(page, "zh-CN")
        page.context.close()
