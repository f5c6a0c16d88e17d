"""Next year's working-day calendar: an administrator publishes it (API and page), it is audited,
it counts for new time limits at once, and until then the hub warns and marks limits provisional.

Written to pass whatever today's date is: "next year" is the year after the current one in Beijing,
and what is expected before publishing is computed from the same rule the hub applies (the package,
the shipped files). The stack's city takes every day from tomorrow to 31 December off
(``QINQING_EXTRA_DAYS_OFF``), so a limit planned today always runs into next year.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from forms.catalog import load_catalog
from forms.clock import beijing_today
from forms.working_days import parse_calendar
from hub.sla.calendar import Schedule, WorkingCalendar, library_covers, missing_years, parse_days
from tests.stack.flows import file_request, open_task, wait_for
from tests.stack.harness import PASSWORD, Api, start_stack

pytestmark = pytest.mark.stack

TODAY = beijing_today()
THIS, NEXT = TODAY.year, TODAY.year + 1
TOMORROW = TODAY + dt.timedelta(days=1)
DAYS_OFF = f"{TOMORROW.isoformat()}..{THIS}-12-31" if TOMORROW.year == THIS else ""
FILES = load_catalog().calendars


def known(year: int) -> bool:
    return year in FILES or library_covers(year)


MISSING_BEFORE = missing_years(TODAY, known)
MISSING_AFTER = [y for y in MISSING_BEFORE if y != NEXT]
# A limit planned today runs from this year into next year.
PROVISIONAL_BEFORE = not (known(THIS) and known(NEXT))


def first_weekend_day_after(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() < 5:
        day += dt.timedelta(days=1)
    return day


# A test calendar for next year (not an official schedule): 1 to 3 January off, and the first
# weekend day after them a make-up working day.
NEXT_CALENDAR = {
    "year": NEXT,
    "notice": "test calendar",
    "holidays": [
        {
            "name": {"zh_CN": "元旦", "en": "New Year's Day"},
            "days_off": [f"{NEXT}-01-01", f"{NEXT}-01-02", f"{NEXT}-01-03"],
            "working_days": [first_weekend_day_after(dt.date(NEXT, 1, 3)).isoformat()],
        }
    ],
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    extra = {"QINQING_EXTRA_DAYS_OFF": DAYS_OFF} if DAYS_OFF else {}
    stack = start_stack(tmp_path_factory.mktemp("working-calendar"), **extra)
    try:
        yield stack
    finally:
        stack.shutdown()


@pytest.fixture(scope="module")
def admin(hub):
    return Api(hub.base_url, "admin", locale="en")


@pytest.fixture(scope="module")
def early(hub):
    """A request filed before next year's calendar is published, and its street-office task."""
    ref = file_request(Api(hub.base_url, "zhangsan")).json()["ref"]
    return ref, open_task(Api(hub.base_url, "street.clerk"), ref)


def browser(hub, username: str) -> tuple[httpx.Client, str]:
    """A browser-like client signed in through the sign-in form (English pages), and its form token."""
    client = httpx.Client(base_url=hub.base_url, timeout=30, headers={"Accept-Language": "en"})
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/signin").text).group(1)
    signed = client.post(
        "/signin", data={"username": username, "password": PASSWORD, "next": "/", "_csrf_token": token}
    )
    assert signed.status_code == 303, signed.text
    client.post("/language", data={"locale": "en", "next": "/", "_csrf_token": page_token(client, "/")})
    return client, page_token(client, "/")


def page_token(client: httpx.Client, path: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_health_and_the_public_overview_report_the_missing_year(hub):
    health = httpx.get(f"{hub.base_url}/health", timeout=10)
    # A missing calendar never takes the hub out of a load balancer's rotation.
    assert health.status_code == 200
    body = health.json()
    assert body["calendar"] == {"ok": not MISSING_BEFORE, "missing": MISSING_BEFORE}
    assert body["status"] == ("degraded" if MISSING_BEFORE else "ok")
    overview = httpx.get(f"{hub.base_url}/api/calendar", timeout=10).json()
    assert overview["today"] == TODAY.isoformat() and overview["missing"] == MISSING_BEFORE
    sources = {y["year"]: y["source"] for y in overview["years"]}
    assert sources[2026] == "file"  # the shipped example file wins over the package
    assert NEXT not in sources or sources[NEXT] in ("file", "library")
    if NEXT in MISSING_BEFORE:  # and the worker says so in its log, at start and then daily
        wait_for(lambda: f"no working-day calendar for {NEXT}" in hub.log("worker"), what="the worker's warning")


def test_a_limit_planned_while_next_year_is_missing_is_provisional(hub, early):
    ref, task = early
    assert task["provisional"] is PROVISIONAL_BEFORE
    assert dt.date.fromisoformat(task["due_at"][:10]).year == NEXT
    applicant = Api(hub.base_url, "zhangsan").get(f"/api/requests/{ref}").json()
    assert [t["provisional"] for t in applicant["tasks"]] == [PROVISIONAL_BEFORE]


def test_warning_on_administrators_and_supervisors_pages(hub):
    for username, page in (("admin", "/admin"), ("street.supervisor", "/workbench")):
        client, _ = browser(hub, username)
        text = client.get(page).text
        assert ("Working-day calendar missing" in text) is bool(MISSING_BEFORE), username
        if NEXT in MISSING_BEFORE:
            assert f"The hub has no holiday schedule for {NEXT}" in text
    clerk, _ = browser(hub, "street.clerk")
    assert "Working-day calendar missing" not in clerk.get("/workbench").text


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda h: h | {"working_days": [f"{NEXT}-01-02"]}, "holidays.0.working_days.0", "calendar_off_and_working"),
        (lambda h: h | {"days_off": [f"{NEXT - 1}-12-31"]}, "holidays.0.days_off.0", "calendar_outside_year"),
        (lambda h: h | {"name": {"zh_CN": "元旦"}}, "holidays.0.name.en", "missing"),
        (lambda h: h | {"name": {"zh_CN": "元旦", "en": " "}}, "holidays.0.name.en", "string_too_short"),
        (lambda h: h | {"days_off": ["1 January"]}, "holidays.0.days_off.0", "date_from_datetime_parsing"),
    ],
    ids=["off-and-working", "outside-the-year", "no-english-name", "blank-english-name", "not-a-date"],
)
def test_an_invalid_calendar_is_refused_field_by_field_and_nothing_is_stored(hub, admin, change, field, code):
    body = NEXT_CALENDAR | {"holidays": [change(NEXT_CALENDAR["holidays"][0])]}
    refused = admin.put(f"/api/admin/calendar/{NEXT}", json=body)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "/problems/validation-failed"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
    assert admin.get(f"/api/admin/calendar/{NEXT}").json()["source"] != "published"


def test_the_refusal_speaks_the_callers_language_and_checks_the_year_of_the_address(hub):
    chinese = Api(hub.base_url, "admin", locale="zh-CN")
    body = NEXT_CALENDAR | {"holidays": [NEXT_CALENDAR["holidays"][0] | {"working_days": [f"{NEXT}-01-02"]}]}
    [error] = chinese.put(f"/api/admin/calendar/{NEXT}", json=body).json()["errors"]
    assert error["message"] == f"{NEXT}-01-02 同时被列为放假日和工作日。"
    wrong_year = chinese.put(f"/api/admin/calendar/{NEXT + 1}", json=NEXT_CALENDAR)
    assert wrong_year.status_code == 422
    assert [e["field"] for e in wrong_year.json()["errors"]] == ["year"]
    assert chinese.put(f"/api/admin/calendar/{NEXT}", json=["not", "a", "calendar"]).status_code == 422
    assert chinese.get("/api/admin/calendar/1999").status_code == 404


def test_only_administrators_publish(hub):
    for username in ("street.clerk", "street.supervisor", "auditor", "zhangsan"):
        api = Api(hub.base_url, username)
        assert api.put(f"/api/admin/calendar/{NEXT}", json=NEXT_CALENDAR).status_code == 403, username
        assert api.get(f"/api/admin/calendar/{NEXT}").status_code == 403, username
    nobody = httpx.put(f"{hub.base_url}/api/admin/calendar/{NEXT}", json=NEXT_CALENDAR, timeout=10)
    assert nobody.status_code == 401


def test_the_page_shows_each_mistake_next_to_its_field_and_publishes_nothing(hub, admin):
    client, token = browser(hub, "admin")
    page = client.get(f"/admin/calendar?year={NEXT}")
    assert page.status_code == 200 and f"Publish the calendar of {NEXT}" in page.text
    form = {
        "_csrf_token": token,
        "year": str(NEXT),
        "notice": "test calendar",
        "h0_zh_CN": "元旦",
        "h0_en": "",
        "h0_days_off": f"{NEXT}-01-01..{NEXT}-01-03",
        "h0_working_days": f"{NEXT}-01-02",
        "h1_zh_CN": "春节",
        "h1_en": "Spring Festival",
        "h1_days_off": "the week of the festival",
    }
    refused = client.post("/admin/calendar", data=form)
    assert refused.status_code == 422
    assert re.search(r'id="h0_en-error">.*This field is required', refused.text)
    assert re.search(r'id="h1_days_off-error">.*Enter dates as YYYY-MM-DD', refused.text)
    # Once each value reads, the checks of the whole calendar follow.
    form["h1_days_off"] = f"{NEXT}-02-06..{NEXT}-02-08"
    form["h0_en"] = "New Year's Day"
    refused = client.post("/admin/calendar", data=form)
    assert refused.status_code == 422 and "This field is required" not in refused.text
    assert re.search(
        rf'id="h0_working_days-error">.*{NEXT}-01-02 is listed both as a day off and as a working day', refused.text
    )
    assert 'value="Spring Festival"' in refused.text  # what was typed is kept
    assert admin.get(f"/api/admin/calendar/{NEXT}").json()["source"] != "published"


def test_an_administrator_publishes_next_year_and_it_is_audited(hub, admin):
    published = admin.put(f"/api/admin/calendar/{NEXT}", json=NEXT_CALENDAR)
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["source"] == "published" and body["published_by"] == "admin"
    assert body["holidays"][0]["days_off"] == NEXT_CALENDAR["holidays"][0]["days_off"]
    shown = admin.get(f"/api/admin/calendar/{NEXT}").json()
    assert shown == body
    overview = httpx.get(f"{hub.base_url}/api/calendar", timeout=10).json()
    assert {y["year"]: y["source"] for y in overview["years"]}[NEXT] == "published"
    assert overview["missing"] == MISSING_AFTER
    events = Api(hub.base_url, "auditor").get("/api/audit", params={"action": "calendar.published"}).json()["events"]
    [event] = events  # the refused attempts left none
    assert event["actor"] == "admin" and event["object_type"] == "working_calendar"
    assert event["object_id"] == str(NEXT) and event["detail"]["replaced"] is False


def test_health_is_ok_about_next_year_once_it_is_published(hub):
    body = httpx.get(f"{hub.base_url}/health", timeout=10).json()
    assert body["calendar"] == {"ok": not MISSING_AFTER, "missing": MISSING_AFTER}


def test_new_limits_count_with_it_and_running_ones_keep_their_mark(hub, early):
    ref, task = early
    clerk = Api(hub.base_url, "street.clerk")
    # Limits already running are not planned again: due date and mark stay as they were.
    again = clerk.get(f"/api/tasks/{task['id']}").json()
    assert again["provisional"] is PROVISIONAL_BEFORE and again["due_at"] == task["due_at"]
    later = file_request(Api(hub.base_url, "zhangsan")).json()["ref"]
    fresh = open_task(clerk, later)
    assert fresh["provisional"] is (not known(THIS))
    # Its due date is the one the published year gives.
    route = Api(hub.base_url).get("/api/services/elderly-care-allowance").json()["route"]
    days = next(s["time_limit_days"] for s in route if s["id"] == fresh["stage_id"])
    schedules = {y: Schedule.of(c, "file") for y, c in FILES.items()}
    schedules[NEXT] = Schedule.of(parse_calendar(NEXT_CALENDAR, NEXT), "published")
    calendar = WorkingCalendar(extra_days_off=parse_days(DAYS_OFF), schedules=schedules)
    opened = dt.datetime.fromisoformat(fresh["opened_at"].replace("Z", "+00:00"))
    expected = calendar.add_working_days(opened, days)
    assert dt.datetime.fromisoformat(fresh["due_at"].replace("Z", "+00:00")) == expected


def test_the_task_page_says_the_limit_was_computed_without_that_years_schedule(hub, early):
    if not PROVISIONAL_BEFORE:
        pytest.skip("the package knows next year: nothing is provisional")
    _, task = early
    client, _ = browser(hub, "street.clerk")
    text = wait_for(lambda: client.get(f"/workbench/tasks/{task['id']}").text, what="the task page")
    assert "Provisional time limit" in text
    due_year = dt.date.fromisoformat(task["due_at"][:10]).year
    assert f"computed before the holiday schedule of {due_year} was published" in text
    assert "Provisional time limit" in client.get("/workbench").text
