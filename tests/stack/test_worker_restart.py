"""A worker that dies mid-request: the request still completes, exactly once."""

from __future__ import annotations

import pytest

from tests.stack.flows import decide, decision_of, file_request, open_task, wait_closed
from tests.stack.harness import Api

pytestmark = pytest.mark.stack


def test_request_survives_a_killed_worker(stack):
    citizen = Api(stack.base_url, "zhangsan")
    street = Api(stack.base_url, "street.clerk")
    civil = Api(stack.base_url, "civil.clerk")
    ref = file_request(citizen).json()["ref"]
    assert decide(street, open_task(street, ref)["id"], "approve", "核实").status_code == 200

    # Crash between stages, and again while the final document is being issued.
    stack.kill_worker()
    stack.start("worker")
    second = open_task(civil, ref)
    assert decide(civil, second["id"], "approve", "同意").status_code == 200
    stack.kill_worker()
    stack.start("worker")

    done = wait_closed(citizen, ref, timeout=90)
    assert done["state"] == "approved"
    kinds = [e["kind"] for e in done["timeline"]]
    assert kinds.count("document_issued") == 2  # the receipt and the decision, once each
    assert kinds.count("request_approved") == 1
    assert sorted(d["kind"] for d in done["documents"]) == ["decision", "receipt"]
    assert [t["state"] for t in done["tasks"]] == ["approved", "approved"]
    assert citizen.get(decision_of(done)["download_url"]).status_code == 200
