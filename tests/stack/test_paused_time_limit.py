"""A task's time limit while the applicant is asked for more, on the real working-day calendar: the
days the applicant takes do not count, so the limit moves by the working days the pause covered
(after the day it was asked, up to and including the day of the answer, Beijing dates), and it still
ends at the end of a working day. Asked and answered within the same day, it does not move at all
(moved by the seconds of the pause, a limit due on a Friday night ended early on Saturday)."""

from __future__ import annotations

import datetime as dt

import pytest

from forms.catalog import load_catalog
from hub.clock import BEIJING
from hub.sla.calendar import Schedule, WorkingCalendar
from tests.stack.flows import claim, file_request, open_task
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

# The stack's calendar: the catalog's files over the package (nothing is published in this stack).
CALENDAR = WorkingCalendar(schedules={y: Schedule.of(c, "file") for y, c in load_catalog().calendars.items()})


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_a_pause_moves_the_limit_by_working_days_and_it_ends_at_the_end_of_one(stack):
    citizen, clerk = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    ref = file_request(citizen).json()["ref"]
    task = open_task(clerk, ref)
    assert claim(clerk, task["id"]).status_code == 200
    before = clerk.get(f"/api/tasks/{task['id']}").json()
    due = moment(before["due_at"])
    asked = clerk.post(
        f"/api/tasks/{task['id']}/information-request", json={"fields": ["phone"], "message": "请提供新的联系电话"}
    )
    assert asked.status_code == 200, asked.text
    timeline = clerk.get(f"/api/requests/{ref}").json()["timeline"]
    paused_at = moment(next(e["at"] for e in timeline if e["kind"] == "information_requested"))

    answered_from = dt.datetime.now(dt.UTC)
    ok = citizen.post(f"/api/requests/{ref}/supplements", json={"answers": {"phone": "13900139000"}})
    answered_by = dt.datetime.now(dt.UTC)
    assert ok.status_code == 200, ok.text

    after = clerk.get(f"/api/tasks/{task['id']}").json()
    assert after["state"] == "claimed"
    moved = moment(after["due_at"])
    local = moved.astimezone(BEIJING)
    assert local.time() == dt.time.max and CALENDAR.is_working_day(local.date()), after["due_at"]
    # By the working days the pause covered: none when it was asked and answered the same day (the
    # answer's moment is known to within the supplement's round trip, which may straddle midnight).
    expected = set()
    for answered in (answered_from, answered_by):
        days = CALENDAR.working_days_between(paused_at, answered)
        expected.add(CALENDAR.add_working_days(due, days) if days else due)
    assert moved in expected, (before["due_at"], after["due_at"])
    assert after["provisional"] == before["provisional"]
    # The applicant's view of the request shows the same limit.
    (summary,) = [t for t in citizen.get(f"/api/requests/{ref}").json()["tasks"] if t["state"] == "claimed"]
    assert moment(summary["due_at"]) == moved
