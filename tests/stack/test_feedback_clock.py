"""The clocks of feedback, on a stack of their own where a working day lasts two seconds and a
request left unrated for six seconds invites a rating: a follow-up not answered within its five
working days escalates to the department's supervisors (a Temporal timer, not a poll of the web
server), and stays open until it is answered; an invitation to rate goes out once."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.stack.flows import decide, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api, start_stack

pytestmark = pytest.mark.stack

DAY_SECONDS = 2


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("feedback-clock"),
        QINQING_WORKING_DAY_SECONDS=str(DAY_SECONDS),
        QINQING_RATING_INVITATION_DAYS=str(6 / 86400),
        QINQING_RATING_INVITATION_EVERY_SECONDS="2",
    )
    try:
        yield stack
    finally:
        stack.shutdown()


def decided(hub, citizen: Api) -> str:
    ref = file_request(citizen).json()["ref"]
    street = Api(hub.base_url, "street.clerk")
    assert decide(street, open_task(street, ref)["id"], "reject", "no").status_code == 200
    wait_closed(citizen, ref)
    return ref


def messages(api: Api, text: str) -> list[dict]:
    return [m for m in api.get("/api/messages").json()["messages"] if text in m["subject"] + m["body"]]


def test_an_unanswered_follow_up_escalates_to_the_supervisors_at_its_time_limit(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    ref = decided(hub, citizen)
    assert citizen.post(f"/api/requests/{ref}/rating", json={"score": 1}).status_code == 201
    case = wait_for(lambda: next((c for c in citizen.get("/api/cases/mine").json() if c["request_ref"] == ref), None))
    supervisor = Api(hub.base_url, "civil.supervisor", locale="en")
    opened = supervisor.get(f"/api/cases/{case['ref']}").json()
    limit = dt.datetime.fromisoformat(opened["due_at"]) - dt.datetime.fromisoformat(opened["opened_at"])
    assert limit == dt.timedelta(seconds=5 * DAY_SECONDS)
    assert opened["escalated"] is False

    escalated = wait_for(
        lambda: (lambda c: c if c["escalated"] else None)(supervisor.get(f"/api/cases/{case['ref']}").json()),
        timeout=40,
        what="the follow-up to escalate",
    )
    # Escalated at its time limit: not before, and not long after.
    late = dt.datetime.fromisoformat(escalated["escalated_at"]) - dt.datetime.fromisoformat(opened["due_at"])
    assert dt.timedelta(0) <= late < dt.timedelta(seconds=10)
    assert escalated["sla"] == "breached" and escalated["state"] == "open"
    wait_for(lambda: messages(supervisor, case["ref"]), what="the supervisor's message")
    assert not messages(Api(hub.base_url, "civil.clerk"), case["ref"])  # supervisors are told, not every clerk

    # Escalated, it is still answered the ordinary way, and the applicant is told.
    clerk = Api(hub.base_url, "civil.clerk", locale="en")
    now = dt.datetime.now(dt.UTC).isoformat()
    assert (
        clerk.post(
            f"/api/cases/{case['ref']}/contacts", json={"contacted_at": now, "channel": "sms", "summary": "Texted"}
        ).status_code
        == 201
    )
    body = {"outcome": "explained", "cause": "Late", "fix": "Staffing", "answer": "We explained why by phone."}
    assert clerk.post(f"/api/cases/{case['ref']}/answer", json=body).status_code == 200
    wait_for(lambda: messages(citizen, case["ref"]), what="the applicant's message")


def test_a_decided_request_left_unrated_invites_a_rating_once(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    unrated = decided(hub, citizen)
    rated = decided(hub, citizen)
    assert citizen.post(f"/api/requests/{rated}/rating", json={"score": 5}).status_code == 201
    wait_for(lambda: messages(citizen, f"Rate application {unrated}"), timeout=40, what="the invitation")
    time.sleep(6)  # several more rounds of the schedule
    assert len(messages(citizen, f"Rate application {unrated}")) == 1
    assert not messages(citizen, f"Rate application {rated}")
