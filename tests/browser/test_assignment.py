"""A supervisor gives a task waiting in the department's inbox to one of its clerks, from the task page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import new_page, screenshot, sign_in
from tests.stack.flows import file_request, open_task
from tests.stack.harness import Api


def test_supervisor_gives_a_task_to_a_clerk(browser, stack, screenshots):
    ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk2")
    task = open_task(clerk, ref)

    page = new_page(browser, stack.base_url)
    sign_in(page, "street.supervisor", f"/workbench/tasks/{task['id']}")
    choices = page.get_by_label("经办人", exact=True).locator("option").all_inner_texts()
    assert any("street.clerk2" in c for c in choices)
    assert not any("civil." in c or "supervisor" in c for c in choices)  # the department's clerks only
    page.get_by_label("经办人", exact=True).select_option("street.clerk2")
    page.get_by_role("button", name="交办").click()
    page.wait_for_load_state()
    expect(page.get_by_text("任务已交给该经办人。")).to_be_visible()
    screenshot(page, screenshots, "task-assigned")

    held = clerk.get(f"/api/tasks/{task['id']}").json()
    assert held["state"] == "claimed" and held["assignee"] == "street.clerk2"
    page.context.close()

    # A clerk sees no such form.
    other = new_page(browser, stack.base_url)
    sign_in(other, "street.clerk", f"/workbench/tasks/{task['id']}")
    assert other.get_by_label("经办人", exact=True).count() == 0
    other.context.close()


def test_a_clerk_away_has_new_tasks_go_to_a_colleague(browser, stack):
    page = new_page(browser, stack.base_url)
    sign_in(page, "street.clerk", "/workbench")
    try:
        page.get_by_label("我的新任务转交给").select_option("street.clerk2")
        page.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        expect(page.get_by_text("您外出期间，新任务将转交给所选同事。")).to_be_visible()
        assert page.get_by_label("我的新任务转交给").input_value() == "street.clerk2"

        # A task given to the clerk while away goes to the colleague.
        ref = file_request(Api(stack.base_url, "zhangsan")).json()["ref"]
        supervisor = Api(stack.base_url, "street.supervisor")
        task = open_task(supervisor, ref)
        r = supervisor.post(f"/api/tasks/{task['id']}/assignment", json={"assignee": "street.clerk"})
        assert r.status_code == 200, r.text
        assert supervisor.get(f"/api/tasks/{task['id']}").json()["assignee"] == "street.clerk2"

        page.get_by_label("我的新任务转交给").select_option("")
        page.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        expect(page.get_by_text("欢迎回来：新任务将重新分派给您。")).to_be_visible()
    finally:
        # The account is shared with other tests: never leave it away.
        Api(stack.base_url, "street.clerk").put("/api/me/delegate", json={"delegate": None})
        page.context.close()
