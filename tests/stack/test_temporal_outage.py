"""Temporal down and back: a request filed during the outage is kept and passed on afterwards,
and requests already in review survive the server's restart (its state is persisted)."""

from __future__ import annotations

import json

import pytest

from tests.stack.flows import decide, file_request, hub_python, open_task, wait_claim, wait_closed, wait_for
from tests.stack.harness import Api, start_stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    hub = start_stack(tmp_path_factory.mktemp("outage"))
    try:
        yield hub
    finally:
        hub.shutdown()


def passed_on_by_sweep(stack, waited_minutes: int) -> dict[str, list[str]]:
    """The workflows one round of the worker's sweep would start, with the given grace, recorded by
    a stand-in for the Temporal client (Temporal is down while this is asked)."""
    out = hub_python(
        stack,
        f"""
import datetime as dt, json
from forms.catalog import load_catalog
from hub.intake import resume_unstarted
from hub.subsidies.claims import resume_unstarted_claims
class Recorder:
    def __init__(self):
        self.ids = []
    async def start_workflow(self, *args, id, **kwargs):
        self.ids.append(id)
catalog = load_catalog(load_settings().catalog_path)
waited = dt.timedelta(minutes={waited_minutes})
requests, claims = Recorder(), Recorder()
await resume_unstarted(requests, catalog, waited)
await resume_unstarted_claims(claims, catalog, waited)
print(json.dumps({{"requests": requests.ids, "claims": claims.ids}}))
""",
    )
    return json.loads(out)


def test_requests_survive_a_temporal_outage(own_stack):
    stack = own_stack
    citizen, street = Api(stack.base_url, "zhangsan"), Api(stack.base_url, "street.clerk")
    in_review = file_request(citizen).json()["ref"]
    task = open_task(street, in_review)

    stack.temporal.stop()
    # /health keeps Temporal's answer for a second (a load balancer asks often): it says so soon.
    wait_for(lambda: Api(stack.base_url).get("/health").json()["temporal"]["ok"] is False, 5, what="health to say so")
    r = file_request(citizen, key="filed-during-outage")
    assert r.status_code == 503
    assert r.json()["type"] == "/problems/workflow-unavailable"
    ref = next(item["ref"] for item in citizen.get("/api/requests").json() if item["state"] == "submitted")
    # An instant claim filed now is kept too, and told to come back.
    chashe = Api(stack.base_url, "chashe")
    claim = chashe.post("/api/programs/new-hire-insurance-2026/claims", json={})
    assert claim.status_code == 503 and claim.headers["Retry-After"]
    [waiting_claim] = [c for c in chashe.get("/api/enterprise/claims").json() if c["state"] == "submitted"]

    # The worker's periodic sweep passes on only what has waited a while: under load, started work
    # also waits as "submitted", and starting it again would be a call to Temporal for nothing.
    passed_on = passed_on_by_sweep(stack, waited_minutes=2)
    assert passed_on == {"requests": [], "claims": []}
    passed_on = passed_on_by_sweep(stack, waited_minutes=0)
    assert f"request-{ref}" in passed_on["requests"] and passed_on["claims"] == [f"claim-{waiting_claim['ref']}"]

    stack.temporal.start()  # same port, same state file
    stack.restart("worker")  # on start, the worker passes waiting requests and claims on
    wait_for(lambda: citizen.get(f"/api/requests/{ref}").json()["state"] == "in_review", what="the waiting request")
    assert wait_claim(chashe, waiting_claim["ref"])["state"] == "paid"
    # The applicant's retry with the same key finds the same request.
    assert file_request(citizen, key="filed-during-outage").json()["ref"] == ref

    # The request that was in review before the outage carries on where it was.
    assert decide(street, task["id"], "approve", "核实").status_code == 200
    civil = Api(stack.base_url, "civil.clerk")
    assert decide(civil, open_task(civil, in_review)["id"], "approve", "同意").status_code == 200
    assert wait_closed(citizen, in_review)["state"] == "approved"
