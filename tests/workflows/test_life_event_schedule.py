"""A life event's part scheduled for a later date (``not_before``), on a Temporal dev server with
in-memory activities: it waits as "scheduled" on a durable timer, then its rules are checked and it
is filed; one that no longer meets them is not filed; one whose date has passed is filed at once;
the applicant may withdraw it while it waits. The stack tests run the real hub."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from temporalio import activity, workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from workflows.life_events.case import LifeEventWorkflow
from workflows.life_events.types import (
    CaseInput,
    FilePart,
    PartChange,
    PartChecked,
    PartFiled,
    PartOutputs,
    PartPlan,
    WithdrawParts,
)
from workflows.names import REQUESTS_QUEUE
from workflows.types import RequestInput, RequestStatus

pytestmark = pytest.mark.stack  # starts a Temporal dev server


@workflow.defn(name="ServiceRequestWorkflow")
class ApprovedRequest:
    """Stands in for a part's request: approved as soon as it is filed."""

    @workflow.run
    async def run(self, request: RequestInput) -> RequestStatus:
        return RequestStatus(state="approved", stage_id=None, tasks=[])


class Cases:
    def __init__(self, eligible: bool = True) -> None:
        self.eligible = eligible
        self.log: list[tuple[str, str, dt.datetime]] = []
        self.changes: list[PartChange] = []

    def activities(self) -> list:
        @activity.defn(name="file_part")
        async def file_part(filing: FilePart) -> PartFiled:
            self.log.append(("file", filing.part_id, dt.datetime.now(dt.UTC)))
            ref = f"QQ-{filing.part_id}"
            start = RequestInput(request_id=1, ref=ref, service_id="s", service_version=1, route=[])
            return PartFiled(request_id=1, ref=ref, workflow_id=f"request-{uuid.uuid4()}", start=start)

        @activity.defn(name="check_part")
        async def check_part(filing: FilePart) -> PartChecked:
            self.log.append(("check", filing.part_id, dt.datetime.now(dt.UTC)))
            return PartChecked(eligible=self.eligible, failed=[] if self.eligible else ["aged-80"])

        @activity.defn(name="part_outputs")
        async def part_outputs(request_id: int) -> PartOutputs:
            return PartOutputs(approved=True, decision_number="西民〔2046〕1号")

        @activity.defn(name="change_part")
        async def change_part(change: PartChange) -> None:
            self.changes.append(change)

        return [file_part, check_part, part_outputs, change_part]

    def states(self, part: str) -> list[str]:
        return [c.state for c in self.changes if c.part_id == part]

    def filed_at(self, part: str) -> dt.datetime | None:
        return next((at for kind, p, at in self.log if kind == "file" and p == part), None)


def case(later: dt.datetime) -> CaseInput:
    return CaseInput(
        case_id=1,
        ref="LE1",
        parts=[PartPlan(part_id="pension"), PartPlan(part_id="allowance", not_before=later)],
    )


async def run(env, cases: Cases, plan: CaseInput, withdraw: bool = False):
    async with Worker(
        env.client,
        task_queue=REQUESTS_QUEUE,
        workflows=[LifeEventWorkflow, ApprovedRequest],
        activities=cases.activities(),
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await env.client.start_workflow(
            LifeEventWorkflow.run, plan, id=f"life-event-{uuid.uuid4()}", task_queue=REQUESTS_QUEUE
        )
        if withdraw:
            for _ in range(200):
                if "scheduled" in cases.states("allowance"):
                    break
                await asyncio.sleep(0.05)
            await handle.execute_update(LifeEventWorkflow.withdraw, WithdrawParts(parts=["allowance"]))
        return await handle.result()


async def test_a_scheduled_part_waits_for_its_moment_then_is_checked_and_filed(env):
    cases = Cases()
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=4)
    status = await run(env, cases, case(later))
    assert status.parts == {"pension": "approved", "allowance": "approved"}
    assert cases.states("allowance") == ["scheduled", "filed", "approved"]
    [scheduled] = [c for c in cases.changes if c.state == "scheduled"]
    # The case shows the day in Beijing.
    assert scheduled.detail == f"on:{later.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()}"
    pension, allowance = cases.filed_at("pension"), cases.filed_at("allowance")
    assert pension is not None and allowance is not None
    assert pension < later <= allowance  # the other part did not wait; this one waited for its moment
    # Checked against its rules when it is filed, not before.
    assert [k for k, p, _ in cases.log if p == "allowance"] == ["check", "file"]


async def test_a_scheduled_part_that_no_longer_meets_its_rules_is_not_filed(env):
    cases = Cases(eligible=False)
    status = await run(env, cases, case(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)))
    assert status.parts["allowance"] == "not_filed" and cases.filed_at("allowance") is None
    assert [(c.state, c.detail) for c in cases.changes if c.part_id == "allowance"][-1] == (
        "not_filed",
        "rules:aged-80",
    )


async def test_a_date_already_passed_files_the_part_at_once(env):
    cases = Cases()
    status = await run(env, cases, case(dt.datetime.now(dt.UTC) - dt.timedelta(days=400)))
    assert status.parts["allowance"] == "approved" and "scheduled" not in cases.states("allowance")


async def test_the_applicant_withdraws_a_scheduled_part_while_it_waits(env):
    cases = Cases()
    status = await run(env, cases, case(dt.datetime.now(dt.UTC) + dt.timedelta(days=365 * 20)), withdraw=True)
    assert status.parts == {"pension": "approved", "allowance": "withdrawn"}
    assert cases.filed_at("allowance") is None and cases.states("allowance") == ["scheduled", "withdrawn"]
