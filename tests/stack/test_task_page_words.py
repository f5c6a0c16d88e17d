"""What a reader found on the clerk's task page: a group's answers and amounts shown raw, a
program's conditions in the language the applicant filed in (and one of them twice), a reveal that a
reload posted again, and error pages that led staff only back to the services."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager

import pytest

from forms.catalog import load_catalog
from tests.stack.flows import CLERKS, csrf_of, example_submission, file_service, open_task, program_spec
from tests.stack.harness import Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack


@contextmanager
def pages_in(stack, username: str, locale: str):
    """A page session of ``username`` in ``locale``; the account's language (kept on the account and
    shared with the other tests of the stack) is set back to Chinese afterwards."""
    client = signed_in_page_client(stack, username, locale=locale)
    try:
        yield client
    finally:
        signed_in_page_client(stack, username, locale="zh_CN")


def answers_shown(page: str) -> str:
    """The task page's answers, as text."""
    part = page.split('id="applicant"', 1)[1].split("</dl>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def rules_shown(page: str) -> str:
    part = page.split('id="rules"', 1)[1].split("</section>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def test_a_group_s_answers_read_as_on_the_applicant_s_check_page(stack):
    spec = load_catalog().latest("graduate-rent-subsidy")
    _, request = file_service(stack, spec)
    clerk = CLERKS["human-resources"]
    task = open_task(Api(stack.base_url, clerk), request["ref"])

    with pages_in(stack, clerk, "zh_CN") as zh:
        shown = answers_shown(zh.get(f"/workbench/tasks/{task['id']}").text)
    assert "最高学位：硕士学位" in shown and "毕业日期：2026年6月30日" in shown, shown
    # An optional certificate not given is a dash, never Python's None.
    assert "学位证书：—" in shown and "None" not in shown and "master" not in shown, shown
    assert "2026-06-30" not in shown

    with pages_in(stack, clerk, "en") as en:
        shown = answers_shown(en.get(f"/workbench/tasks/{task['id']}").text)
    assert "Highest degree: Master's degree" in shown and "Graduation date: June 30, 2026" in shown, shown
    assert "Degree certificate: —" in shown and "None" not in shown, shown


@pytest.fixture(scope="module")
def science_task(stack):
    """An R&D subsidy claimed in English with its form, under the science bureau's review: its program
    checks the same thing as the service's registry check."""
    service = load_catalog().latest("rnd-expense-subsidy")
    code = "task-words"
    spec = program_spec(code, mode="apply", service_id=service.id)
    assert Api(stack.base_url, "admin").post("/api/programs", json=spec).status_code in (201, 409)
    enterprise = Api(stack.base_url, "yunqi", locale="en")
    answers = example_submission(enterprise, service)["answers"]
    claimed = enterprise.post(f"/api/programs/{code}/claims", json={"answers": answers})
    assert claimed.status_code == 201, claimed.text
    clerk = CLERKS["science-technology"]
    task = open_task(Api(stack.base_url, clerk), claimed.json()["request_ref"], timeout=90)
    return clerk, task


def test_amounts_are_money_in_the_reader_s_language(stack, science_task):
    clerk, task = science_task
    with pages_in(stack, clerk, "zh_CN") as zh:
        shown = answers_shown(zh.get(f"/workbench/tasks/{task['id']}").text)
    assert "¥30,000,000.00" in shown and "¥2,400,000.00" in shown, shown
    assert "30000000" not in shown
    with pages_in(stack, clerk, "en") as en:
        shown = answers_shown(en.get(f"/workbench/tasks/{task['id']}").text)
    assert "CN¥30,000,000.00" in shown and "CN¥2,400,000.00" in shown, shown


def test_conditions_are_in_the_reader_s_language_each_once_and_said_whose(stack, science_task):
    clerk, task = science_task
    with pages_in(stack, clerk, "zh_CN") as zh:
        rules = rules_shown(zh.get(f"/workbench/tasks/{task['id']}").text)
    # The program's condition in Chinese, though the enterprise claimed in English.
    assert "符合：企业须正常经营。" in rules, rules
    assert "The enterprise must be active." not in rules
    # The registry check of the service tests the same expression with the same result: said once.
    assert "企业在市场主体登记中须为存续状态" not in rules and "in active status" not in rules, rules
    assert "纳税信用" in rules or "tax credit" in rules, rules

    with pages_in(stack, clerk, "en") as en:
        rules = rules_shown(en.get(f"/workbench/tasks/{task['id']}").text)
    assert "Met: The enterprise must be active." in rules, rules
    # Whose condition each is: the program's, then the service's.
    assert rules.index("The program's conditions") < rules.index("The enterprise must be active.")
    assert rules.index("The service's rules") < rules.index("The enterprise's tax credit rating must be A or B.")
    assert rules.index("The enterprise must be active.") < rules.index("The service's rules")

    # The API says the same, in its caller's language.
    detail = Api(stack.base_url, clerk, locale="zh_CN").get(f"/api/tasks/{task['id']}").json()
    assert {"source": "program", "rule": "active", "passed": True, "message": "企业须正常经营。", "stage_id": ""} in (
        detail["conditions"]
    ), detail["conditions"]
    assert [c["rule"] for c in detail["conditions"]].count("active") == 1
    assert next(r for r in detail["rules"] if r["rule"] == "active")["message"] == "企业须正常经营。"


def test_a_reveal_answers_with_a_redirect_and_a_reload_does_not_reveal_again(stack, science_task):
    clerk, task = science_task
    path = f"/workbench/tasks/{task['id']}"
    auditor = Api(stack.base_url, "auditor")
    request_ref = task["request_ref"]

    def reveals() -> int:
        trail = auditor.get(f"/api/requests/{request_ref}/audit").json()
        return sum(e["action"] == "personal_data.revealed" for e in trail)

    before = reveals()
    with pages_in(stack, clerk, "en") as page:
        masked = page.get(path).text
        assert "周明" not in answers_shown(masked)
        done = page.post(f"{path}/reveal", data={"reason": "Call the contact person", "_csrf_token": csrf_of(masked)})
        assert done.status_code == 303 and done.headers["location"] == f"{path}?done=reveal", done.text[:300]
        assert reveals() == before + 1  # the reveal is recorded, once

        shown = page.get(done.headers["location"])
        assert shown.status_code == 200 and "周明" in answers_shown(shown.text)
        assert "Personal data revealed; this was recorded in the audit trail." in shown.text
        # A reload is a GET: the same page, nothing posted, nothing recorded again.
        assert "周明" in answers_shown(page.get(done.headers["location"]).text)
        assert reveals() == before + 1
        # The task page reached another way is masked again.
        assert "周明" not in answers_shown(page.get(path).text)

    # Another clerk following the address sees nothing revealed: the reveal was this clerk's.
    other = next(u for u in ("science.clerk", "science.clerk2") if u != clerk)
    with pages_in(stack, other, "en") as page:
        assert "周明" not in answers_shown(page.get(f"{path}?done=reveal").text)


def test_staff_s_error_pages_lead_back_to_their_workbench(stack, science_task):
    clerk, _ = science_task
    with pages_in(stack, clerk, "zh_CN") as page:
        missing = page.get("/workbench/tasks/999999999")
        assert missing.status_code == 404
        assert '<a href="/workbench">返回待办事项</a>' in missing.text and "返回服务列表" in missing.text
        forbidden = page.get("/audit")
        assert forbidden.status_code == 403 and 'href="/workbench">返回待办事项' in forbidden.text, forbidden.text[
            -800:
        ]
    citizen = signed_in_page_client(stack, "zhangsan")
    missing = citizen.get("/workbench/tasks/999999999")
    assert missing.status_code == 403 and 'href="/workbench">' not in missing.text.split("<main", 1)[1]
