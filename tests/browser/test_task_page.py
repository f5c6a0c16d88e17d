"""The clerk's task page in Chromium, on a 375 px phone and on a desktop, in Chinese and in English:
a group's answers in words, the program's conditions apart from the service's rules, a reveal that
leaves the browser on the task page (a reload posts nothing), and a missing task's page that leads
back to the workbench."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from tests.browser.pages import DESKTOP, PHONE, new_page, screenshot, sign_in
from tests.browser.test_feedback import choose
from tests.stack.flows import CLERKS, example_submission, file_service, open_task, program_spec
from tests.stack.harness import Api

VIEWPORTS = {"375": PHONE, "1280": DESKTOP}
WORDS = {
    "zh-CN": {"degree": "硕士学位", "date": "2026年6月30日", "reason": "核对联系人", "back": "返回待办事项"},
    "en": {
        "degree": "Master's degree",
        "date": "June 30, 2026",
        "reason": "Call the contact",
        "back": "Back to the inbox",
    },
}


@pytest.fixture(scope="module")
def tasks(stack):
    """A graduate rent subsidy under review, and an R&D subsidy claimed with its form."""
    _, request = file_service(stack, load_catalog().latest("graduate-rent-subsidy"))
    hr = open_task(Api(stack.base_url, CLERKS["human-resources"]), request["ref"])
    service = load_catalog().latest("rnd-expense-subsidy")
    assert Api(stack.base_url, "admin").post(
        "/api/programs", json=program_spec("browser-task", mode="apply", service_id=service.id)
    ).status_code in (201, 409)
    enterprise = Api(stack.base_url, "yunqi", locale="en")
    answers = example_submission(enterprise, service)["answers"]
    claimed = enterprise.post("/api/programs/browser-task/claims", json={"answers": answers})
    assert claimed.status_code == 201, claimed.text
    science = open_task(Api(stack.base_url, CLERKS["science-technology"]), claimed.json()["request_ref"], 90)
    return hr, science


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("width", ["375", "1280"])
def test_the_task_page_in_words_and_a_reveal_that_a_reload_does_not_post(
    browser, stack, screenshots, tasks, width, locale
):
    hr, science = tasks
    words = WORDS[locale]
    page = new_page(browser, stack.base_url, locale=locale, viewport=VIEWPORTS[width])
    try:
        sign_in(page, CLERKS["human-resources"], f"/workbench/tasks/{hr['id']}")
        choose(page, locale)
        answers = page.locator("dl.answers").inner_text()
        assert words["degree"] in answers and words["date"] in answers and "None" not in answers, answers
        assert page.evaluate("document.scrollingElement.scrollWidth") <= VIEWPORTS[width]["width"]
        screenshot(page, screenshots, f"task-group-{width}-{locale}")

        page.locator("#reveal-reason").fill(words["reason"])
        page.locator("form[action$='/reveal'] button[type=submit]").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/workbench/tasks/{hr['id']}?done=reveal"), page.url
        assert page.locator("p.notice[role=status]").count() == 1
        page.reload()  # a GET: no form is sent again
        assert page.url.endswith("?done=reveal") and page.locator("#reveal-reason").count() == 0
        screenshot(page, screenshots, f"task-revealed-{width}-{locale}")

        missing = page.goto("/workbench/tasks/999999999")
        assert missing is not None and missing.status == 404
        page.get_by_role("link", name=words["back"]).click()
        page.wait_for_load_state()
        assert page.url.endswith("/workbench"), page.url
        choose(page, "zh-CN")  # the account's language back as other tests expect it
        page.context.clear_cookies()

        sign_in(page, CLERKS["science-technology"], f"/workbench/tasks/{science['id']}")
        choose(page, locale)
        rules = page.locator("section[aria-labelledby=rules]")
        assert rules.locator("h3").count() == 2, rules.inner_text()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= VIEWPORTS[width]["width"]
        screenshot(page, screenshots, f"task-conditions-{width}-{locale}")
        choose(page, "zh-CN")
    finally:
        page.context.close()
