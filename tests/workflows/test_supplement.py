"""An applicant's supplement on a Temporal dev server with in-memory activities: until the new
answers are stored, the review does not resume, so a decision (or a second supplement) arriving
meanwhile is refused instead of being judged on the old answers (a maker-checker threshold judged
on an amount the supplement raises). The stack tests file and supplement through the real hub."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from contextlib import asynccontextmanager

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
    ResumeTimeLimit,
    SupplementNotice,
    TaskCommand,
    TimeLimit,
)

pytestmark = pytest.mark.stack  # starts a Temporal dev server

QUEUE = "supplement-route"


class SlowSupplementCalls(CommitmentCalls):
    """Storing the supplement waits until the test lets it go. A paused limit is moved by one day
    and marked provisional, whatever the pause (the calendar is the hub's, tested with it)."""

    def __init__(self) -> None:
        super().__init__()
        self.stored = asyncio.Event()
        self.resumed: list[ResumeTimeLimit] = []

    def activities(self) -> list:
        log, stored, resumed = self.log, self.stored, self.resumed

        @activity.defn(name="resume_time_limit")
        async def resume_time_limit(resume: ResumeTimeLimit) -> TimeLimit:
            resumed.append(resume)
            day = dt.timedelta(days=1)
            return TimeLimit(due_at=resume.due_at + day, remind_at=resume.remind_at + day, provisional=True)

        @activity.defn(name="apply_supplement")
        async def apply_supplement(supplement: ApplySupplement) -> None:
            log.append(("apply_supplement", supplement.token))
            await stored.wait()

        @activity.defn(name="record_decision")
        async def record_decision(decision: RecordDecision) -> None:
            log.append(("record_decision", decision.verdict))

        return [*super().activities(), apply_supplement, record_decision, resume_time_limit]


@asynccontextmanager
async def one_step_request(env, calls: SlowSupplementCalls):
    """A request of one human-resources review on a worker with ``calls``' activities, its task open."""
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
        yield handle


async def test_a_decision_waits_until_the_supplement_is_stored(env):
    calls = SlowSupplementCalls()
    async with one_step_request(env, calls) as handle:
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


async def test_the_limit_moves_as_the_calendar_says_for_the_pause(env):
    """On resuming, the workflow asks the calendar (an activity, recorded) to move the limit for the
    pause, from when it was asked to when it was answered, instead of adding the pause's length."""
    calls = SlowSupplementCalls()
    calls.stored.set()
    async with one_step_request(env, calls) as handle:
        key = task_key(handle.id, "hr-review", "human-resources")
        clerk = TaskCommand(task_key=key, department="human-resources", clerk_id=7)
        await handle.execute_update(ServiceRequestWorkflow.claim, clerk)
        (planned,) = (await handle.query(ServiceRequestWorkflow.status)).tasks
        await handle.execute_update(
            ServiceRequestWorkflow.request_information,
            InformationRequest(**clerk.model_dump(), fields=["amount"], message="Which amount?"),
        )
        (paused,) = (await handle.query(ServiceRequestWorkflow.status)).tasks
        await asyncio.sleep(1.5)
        await handle.execute_update(ServiceRequestWorkflow.supplement, SupplementNotice(token="t1"))
        (resumed,) = (await handle.query(ServiceRequestWorkflow.status)).tasks
        await handle.execute_update(ServiceRequestWorkflow.decide, Decision(**clerk.model_dump(), verdict="approve"))
        await handle.result()
    (asked,) = calls.resumed
    assert asked.due_at == planned.due_at and asked.remind_at == planned.remind_at and not asked.provisional
    assert asked.paused_at == paused.paused_since
    assert asked.resumed_at - asked.paused_at >= dt.timedelta(seconds=1.5)
    day = dt.timedelta(days=1)
    assert resumed.due_at == planned.due_at + day and resumed.remind_at == planned.remind_at + day
    assert resumed.provisional and resumed.state == "claimed" and resumed.paused_since is None
