"""A clerk asks the applicant for more from the task page: the form offers only what the applicant
may supply again (never the name or identity number the registries hold) and refuses a request
that names nothing."""

from __future__ import annotations

from tests.browser.pages import new_page, sign_in
from tests.stack.flows import claim, file_request, open_task
from tests.stack.harness import Api


def test_the_information_request_names_what_may_be_supplied(browser, stack):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    clerk = Api(stack.base_url, "street.clerk")
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200

    page = new_page(browser, stack.base_url)
    sign_in(page, "street.clerk", f"/workbench/tasks/{task['id']}")
    page.get_by_text("请申请人补充材料").click()
    # Name and identity number come from the registries: not offered.
    assert page.locator("#ask-full_name").count() == 0 and page.locator("#ask-resident_id").count() == 0
    assert page.locator("#ask-phone").count() == 1

    page.get_by_label("给申请人的说明", exact=True).fill("请补充材料")
    page.get_by_role("button", name="发送补正通知").click()
    page.wait_for_load_state()
    assert "请至少勾选一项需要申请人补充的内容。" in page.get_by_role("alert").inner_text()
    assert clerk.get(f"/api/tasks/{task['id']}").json()["state"] == "claimed"  # nothing was asked

    page.get_by_text("请申请人补充材料").click()
    page.locator("#ask-phone").check()
    page.get_by_label("给申请人的说明", exact=True).fill("电话无法接通，请提供新的联系电话")
    page.get_by_role("button", name="发送补正通知").click()
    page.wait_for_load_state()
    detail = clerk.get(f"/api/tasks/{task['id']}").json()
    assert detail["state"] == "waiting_applicant" and detail["requested_fields"] == ["phone"]
    page.context.close()
