"""An applicant's supplement on a Temporal dev server with in-memory activities: until the new
answers are stored, the review does not resume, so a decision (or a second supplement) arriving
meanwhile is refused instead of being judged on the old answers (a maker-checker threshold judged
on an amount the supplement raises). The stack tests file and supplement through the real hub."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import activity
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from forms.spec import Stage
from tests.workflows.test_commitment_route import CommitmentCalls, refused, until
from workflows.names import task_key
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import (
    ApplySupplement,
    Decision,
    InformationRequest,
    RecordDecision,
    RequestInput,
    SupplementNotice,
    TaskCommand,
)

pytestmark = pytest.mark.stack  # starts a Temporal dev server

QUEUE = "supplement-route"


class SlowSupplementCalls(CommitmentCalls):
    """Storing the supplement waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.stored = asyncio.Event()

    def activities(self) -> list:
        log, stored = self.log, self.stored

        @activity.defn(name="apply_supplement")
        async def apply_supplement(supplement: ApplySupplement) -> None:
            log.append(("apply_supplement", supplement.token))
            await stored.wait()

        @activity.defn(name="record_decision")
        async def record_decision(decision: RecordDecision) -> None:
            log.append(("record_decision", decision.verdict))

        return [*super().activities(), apply_supplement, record_decision]


async def test_a_decision_waits_until_the_supplement_is_stored(env):
    calls = SlowSupplementCalls()
    request = RequestInput(
        request_id=1,
        ref="QQ1",
        service_id="s",
        service_version=1,
        route=[Stage(id="hr-review", title="Review", departments=["human-resources"])],
    )
    async with Worker(
        env.client,
        task_queue=QUEUE,
        workflows=[ServiceRequestWorkflow],
        activities=calls.activities(),
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await env.client.start_workflow(
            ServiceRequestWorkflow.run, request, id=f"request-{uuid.uuid4()}", task_queue=QUEUE
        )
        await until(lambda: calls.of("open_task"))
        clerk = TaskCommand(
            task_key=task_key(handle.id, "hr-review", "human-resources"), department="human-resources", clerk_id=7
        )
        await handle.execute_update(ServiceRequestWorkflow.claim, clerk)
        await handle.execute_update(
            ServiceRequestWorkflow.request_information,
            InformationRequest(**clerk.model_dump(), fields=["amount"], message="Which amount?"),
        )
        supplied = asyncio.ensure_future(
            handle.execute_update(ServiceRequestWorkflow.supplement, SupplementNotice(token="t1"))
        )
        await until(lambda: calls.of("apply_supplement"))
        # The new answers are not stored yet: no decision, and no second supplement.
        approve = Decision(**clerk.model_dump(), verdict="approve")
        await refused(handle.execute_update(ServiceRequestWorkflow.decide, approve), "waiting_applicant")
        await refused(
            handle.execute_update(ServiceRequestWorkflow.supplement, SupplementNotice(token="t2")), "being supplied"
        )
        calls.stored.set()
        await supplied
        await handle.execute_update(ServiceRequestWorkflow.decide, approve)
        status = await handle.result()
    assert status.state == "approved"
    assert calls.of("apply_supplement") == ["t1"] and calls.of("record_decision") == ["approve"]
