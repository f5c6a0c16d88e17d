"""Temporal down and back: a request filed during the outage is kept and passed on afterwards,
and requests already in review survive the server's restart (its state is persisted)."""

from __future__ import annotations

import pytest

from tests.stack.flows import decide, file_request, open_task, wait_closed, wait_for
from tests.stack.harness import Api, start_stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    hub = start_stack(tmp_path_factory.mktemp("outage"))
    try:
        yield hub
    finally:
        hub.shutdown()


def test_requests_survive_a_temporal_outage(own_stack):
    stack = own_stack
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    in_review = file_request(citizen).json()["ref"]
    task = open_task(street, in_review)

    stack.temporal.stop()
    assert Api(stack.base_url).get("/health").json()["temporal"]["ok"] is False
    r = file_request(citizen, key="filed-during-outage")
    assert r.status_code == 503
    assert r.json()["type"] == "/problems/workflow-unavailable"
    ref = next(item["ref"] for item in citizen.get("/api/requests").json() if item["state"] == "submitted")

    stack.temporal.start()  # same port, same state file
    stack.restart("worker")  # on start, the worker passes waiting requests on
    wait_for(lambda: citizen.get(f"/api/requests/{ref}").json()["state"] == "in_review", what="the waiting request")
    # The applicant's retry with the same key finds the same request.
    assert file_request(citizen, key="filed-during-outage").json()["ref"] == ref

    # The request that was in review before the outage carries on where it was.
    assert decide(street, task["id"], "approve", "核实").status_code == 200
    civil = Api(stack.base_url, "civil.clerk")
    assert decide(civil, open_task(civil, in_review)["id"], "approve", "同意").status_code == 200
    assert wait_closed(citizen, in_review)["state"] == "approved"
