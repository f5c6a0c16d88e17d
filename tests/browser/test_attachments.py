"""The files an applicant attached: on their own request page, and on the reviewing clerk's task
page (a personal one only after the clerk revealed the personal data with a reason)."""

from __future__ import annotations

from playwright.sync_api import expect

from forms.catalog import load_catalog
from hub.i18n import gettext
from tests.browser.pages import new_page, screenshot, sign_in
from tests.stack.flows import CLERKS, SAMPLE_FILES, file_service, open_task
from tests.stack.harness import Api


def downloaded(page, link) -> bytes:
    with page.expect_download() as download:
        link.click()
    return open(download.value.path(), "rb").read()


def test_attached_files_on_the_request_and_task_pages(browser, stack, screenshots):
    spec = load_catalog().latest("residence-permit")
    applicant, filed = file_service(stack, spec)
    ref = filed["ref"]
    proof_label = gettext("zh_CN", spec.field("proof_of_ground").label)
    photo_label = gettext("zh_CN", spec.field("photo").label)
    proof, photo = SAMPLE_FILES["application/pdf"][1], SAMPLE_FILES["image/jpeg"][1]

    own = new_page(browser, stack.base_url)
    sign_in(own, applicant.username, f"/requests/{ref}")
    attached = own.get_by_role("region", name="所附材料")
    assert downloaded(own, attached.get_by_role("link", name=photo_label)) == photo
    own.context.close()

    task = open_task(Api(stack.base_url, CLERKS["street-office"]), ref)
    page = new_page(browser, stack.base_url)
    sign_in(page, CLERKS["street-office"], f"/workbench/tasks/{task['id']}")
    attached = page.get_by_role("region", name="所附材料")
    assert downloaded(page, attached.get_by_role("link", name=proof_label)) == proof
    # The photo is personal data: no link until the clerk reveals it, saying why.
    assert attached.get_by_role("link", name=photo_label).count() == 0
    expect(attached.get_by_text("查看个人信息后方可打开")).to_be_visible()
    page.get_by_label("查看个人信息的理由").fill("核对本人照片")
    page.get_by_role("button", name="查看个人信息明文").click()
    page.wait_for_load_state()
    attached = page.get_by_role("region", name="所附材料")
    screenshot(page, screenshots, "task-attachments-revealed")
    assert downloaded(page, attached.get_by_role("link", name=photo_label)) == photo
    page.context.close()
