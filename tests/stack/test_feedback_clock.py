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


def messages(api: Api, text: str, kind: str) -> list[dict]:
    """The person's messages of ``kind`` that name ``text`` (a reference), in whatever language."""
    box = api.get("/api/messages").json()["messages"]
    return [m for m in box if m["kind"] == kind and text in m["subject"] + m["body"]]


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
    wait_for(lambda: messages(supervisor, case["ref"], "case_overdue"), what="the supervisor's message")
    assert not messages(
        Api(hub.base_url, "civil.clerk"), case["ref"], "case_overdue"
    )  # supervisors are told, not every clerk

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
    wait_for(lambda: messages(citizen, case["ref"], "case_answered"), what="the applicant's message")


def test_a_decided_request_left_unrated_invites_a_rating_once(hub):
    citizen = Api(hub.base_url, "zhangsan", locale="en")
    unrated = decided(hub, citizen)
    rated = decided(hub, citizen)
    assert citizen.post(f"/api/requests/{rated}/rating", json={"score": 5}).status_code == 201
    wait_for(lambda: messages(citizen, unrated, "rating_invited"), timeout=40, what="the invitation")
    time.sleep(6)  # several more rounds of the schedule
    assert len(messages(citizen, unrated, "rating_invited")) == 1
    assert not messages(citizen, rated, "rating_invited")


def test_the_recorded_clocks_replay_in_the_sandbox(hub, tmp_path):
    """The runs above, replayed from their histories in Temporal's sandbox: the clocks make no
    non-deterministic call. ``FEEDBACK_HISTORIES`` keeps a copy for tests/workflows/test_replay.py."""
    import asyncio
    import os
    import shutil

    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from hub.sealing import DataKeys
    from hub.temporal import data_converter
    from scripts.record_histories import write_histories
    from workflows.feedback.clock import CaseClockWorkflow, RatingInvitationsWorkflow

    citizen = Api(hub.base_url, "zhangsan")
    [case] = [c for c in citizen.get("/api/cases/mine").json() if c["state"] == "answered"][:1]
    wanted = {"case-escalated-answered": f"case-{case['ref']}"}
    types = {"rating-invitations": "RatingInvitationsWorkflow"}
    written = asyncio.run(write_histories(hub, wanted, types, tmp_path))
    assert len(written) == 2

    async def replay(path):
        history = WorkflowHistory.from_json(path.stem.partition("--")[2], path.read_text())
        replayer = Replayer(
            workflows=[CaseClockWorkflow, RatingInvitationsWorkflow],
            data_converter=data_converter(DataKeys(tmp_path / "replay-keys")),
            workflow_runner=SandboxedWorkflowRunner(),
        )
        return await replayer.replay_workflow(history, raise_on_replay_failure=False)

    for path in written:
        assert asyncio.run(replay(path)).replay_failure is None, path.name
        if os.environ.get("FEEDBACK_HISTORIES"):
            shutil.copy(path, os.environ["FEEDBACK_HISTORIES"])
