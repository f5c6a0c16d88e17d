"""The cockpit through the real stack: requests moved by real workflows change its figures as they
move; the rebuilt tallies give the same figures; who may read what; bad filters change nothing."""

from __future__ import annotations

import base64
import re

import pytest

from hub.clock import today
from tests.stack.flows import decide, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api
from tests.stack.test_security import signed_in_page_client

pytestmark = pytest.mark.stack

SERVICE = "elderly-care-allowance"


def figures(reader: Api, **filters: str) -> dict:
    day = today().isoformat()
    r = reader.get("/api/cockpit", params={"start": day, "end": day, **filters})
    assert r.status_code == 200, r.text
    return r.json()


def service_of(body: dict, service_id: str = SERVICE) -> dict:
    return next(s for s in body["services"] if s["service_id"] == service_id)


def department_of(body: dict, code: str) -> dict:
    return next((d for d in body["departments"] if d["department"] == code), {"opened": 0, "backlog": 0, "decided": 0})


def test_requests_moved_by_their_workflows_move_the_figures(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    before = figures(admin, service=SERVICE)
    citizen = Api(stack.base_url, "zhangsan")
    street, civil = Api(stack.base_url, "street.clerk"), Api(stack.base_url, "civil.clerk")
    approved, rejected, waiting = (file_request(citizen).json()["ref"] for _ in range(3))
    assert decide(street, open_task(street, approved)["id"], "approve").status_code == 200
    assert decide(civil, open_task(civil, approved)["id"], "approve").status_code == 200
    assert decide(street, open_task(street, rejected)["id"], "reject", comment="Not resident").status_code == 200
    open_task(street, waiting)
    wait_closed(citizen, approved)
    wait_closed(citizen, rejected)

    after = wait_for(
        lambda: (
            (body := figures(admin, service=SERVICE))
            and service_of(body)["decided"] >= service_of(before)["decided"] + 2
            and body
        ),
        what="the two decisions in the cockpit",
    )
    was, now = service_of(before), service_of(after)
    assert now["received"] - was["received"] == 3
    assert now["decided"] - was["decided"] == 2
    assert now["approved"] - was["approved"] == 1
    assert now["in_progress"] - was["in_progress"] == 1
    # Shares of what the cockpit itself counts, all of today's elderly-care decisions included.
    assert now["approval_percent"] == round(100 * now["approved"] / now["decided"], 1)
    assert now["median_hours"] == 0  # decided within the hour, as every one of today's
    office_was, office = department_of(before, "street-office"), department_of(after, "street-office")
    assert office["opened"] - office_was["opened"] == 3
    assert office["decided"] - office_was["decided"] == 2
    assert office["backlog"] - office_was["backlog"] == 1
    civil_was, civil_now = department_of(before, "civil-affairs"), department_of(after, "civil-affairs")
    assert (civil_now["opened"] - civil_was["opened"], civil_now["backlog"] - civil_was["backlog"]) == (1, 0)
    steps = {(s["department"], s["step"]): s for s in after["steps"]}
    assert steps[("street-office", "residence-check")]["decided"] >= 2

    # Counted again from the read model: the same figures.
    rebuilt = stack.run("cockpit", "rebuild")
    assert "rebuilt" in rebuilt.stdout
    again = figures(admin, service=SERVICE)
    assert again["services"] == after["services"]
    assert again["departments"] == after["departments"]
    assert again["totals"] == after["totals"]


def test_supervisors_see_their_department_and_others_nothing(stack):
    supervisor = Api(stack.base_url, "street.supervisor", locale="en")
    own = figures(supervisor)
    assert [d["department"] for d in own["departments"]] in ([], ["street-office"])
    assert {s["service_id"] for s in own["services"]} >= {SERVICE, "residence-permit"}
    other = supervisor.get("/api/cockpit", params={"department": "civil-affairs"})
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("application/problem+json")
    for username in ("zhangsan", "street.clerk", "yunqi"):
        assert Api(stack.base_url, username).get("/api/cockpit").status_code == 403
    assert Api(stack.base_url).get("/api/cockpit").status_code == 401
    auditor = figures(Api(stack.base_url, "auditor"))
    assert len(auditor["services"]) > len(own["services"])


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-08", "end": "2026-03-01"}, "end", "Enter a date between 2026-03-08 and"),
        ({"department": "nowhere"}, "department", "Choose one of the listed options."),
        ({"service": "no-such-service"}, "service", "Choose one of the listed options."),
        ({"start": "yesterday"}, "start", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_bad_filters_are_answered_by_field_in_the_caller_s_language(stack, params, field, message):
    r = Api(stack.base_url, "admin", locale="en").get("/api/cockpit", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    (error,) = r.json()["errors"]
    assert error["field"] == field and error["message"].startswith(message)
    chinese = Api(stack.base_url, "admin", locale="zh-CN").get("/api/cockpit", params=params).json()
    assert chinese["errors"][0]["message"] != error["message"]


def test_a_chart_s_data_downloads_as_csv(stack):
    admin = Api(stack.base_url, "admin", locale="en")
    day = today().isoformat()
    r = admin.get("/api/cockpit/charts/requests", params={"start": day, "end": day})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"  # the charset said once
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Day,Received,Decided,In progress"
    assert lines[1].startswith(day + ",")
    assert admin.get("/api/cockpit/charts/nothing").status_code == 404


def test_the_page_shows_charts_tables_and_field_errors(stack):
    page = signed_in_page_client(stack, "auditor", locale="en")
    shown = page.get("/cockpit")
    assert shown.status_code == 200
    # Each chart an SVG image (its own styles apply to it as an image), with no script in it.
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', shown.text)
    assert len(images) == 5
    svg = base64.b64decode(images[0]).decode("utf-8")
    assert svg.startswith("<svg") and "<script" not in svg and "<style" in svg
    assert "The data as a table" in shown.text and "/cockpit/charts/requests?" in shown.text
    bad = page.get("/cockpit", params={"start": "2026-03-08", "end": "2026-03-01", "service": "nothing"})
    assert bad.status_code == 200
    assert 'id="cockpit-end-error"' in bad.text and 'id="cockpit-service-error"' in bad.text
    csv = page.get("/cockpit/charts/backlog", params={"start": "2026-03-01", "end": "2026-03-02"})
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").startswith("Department,Day,Open tasks,Overdue")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert signed_in_page_client(stack, "zhangsan").get("/cockpit").status_code == 403
    signed_in_page_client(stack, "auditor", locale="zh_CN")  # the account's language back as it was
