"""One payment cycle run per benefit and month at a time, whether the monthly schedule or an
administrator starts it: on a Temporal dev server with in-memory activities, the schedule's run
pays under the month's own id, so an administrator's start joins it, and a schedule's run finding
an administrator's under way leaves the month to it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from forms.clock import beijing_today
from tests.workflows.test_commitment_route import until
from workflows.benefits.cycle import PaymentCycleWorkflow
from workflows.benefits.types import ChunkOutcome, CloseCycle, CycleInput, CycleSummary, OpenCycle, PayChunk, period_of
from workflows.names import payment_cycle_workflow_id

pytestmark = pytest.mark.stack  # starts a Temporal dev server

QUEUE = "payment-cycle-runs"
SERVICE = "elderly-care-allowance"


class Register:
    """Opens cycles and pays chunks once let go, counting what it is asked."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.paying = asyncio.Event()

    def activities(self) -> list:
        @activity.defn(name="open_cycle")
        async def open_cycle(opening: OpenCycle) -> int:
            self.opened.append(opening.run_key)
            return len(self.opened)

        @activity.defn(name="pay_chunk")
        async def pay_chunk(chunk: PayChunk) -> ChunkOutcome:
            await self.paying.wait()
            return ChunkOutcome(last_id=None)

        @activity.defn(name="close_cycle")
        async def close_cycle(closing: CloseCycle) -> CycleSummary:
            return CycleSummary(cycle_id=closing.cycle_id, service_id=SERVICE, period="", totals={})

        return [open_cycle, pay_chunk, close_cycle]


def worker(client, register: Register) -> Worker:
    return Worker(
        client,
        task_queue=QUEUE,
        workflows=[PaymentCycleWorkflow],
        activities=register.activities(),
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def start_as_administrator(client, period: str):
    return await client.start_workflow(
        PaymentCycleWorkflow.run,
        CycleInput(service_id=SERVICE, period=period, started_by=1),
        id=payment_cycle_workflow_id(SERVICE, period),
        task_queue=QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )


async def start_as_schedule(client):
    return await client.start_workflow(
        PaymentCycleWorkflow.run, CycleInput(service_id=SERVICE), id=f"cycle-{uuid.uuid4()}", task_queue=QUEUE
    )


async def test_an_administrator_starting_the_month_joins_the_schedules_run(env):
    register = Register()
    period = period_of(beijing_today())
    async with worker(env.client, register):
        scheduled = await start_as_schedule(env.client)
        await until(lambda: register.opened)
        joined = await start_as_administrator(env.client, period)
        register.paying.set()
        summary = await scheduled.result()
        assert (await joined.result()).cycle_id == summary.cycle_id == 1
    assert len(register.opened) == 1 and register.opened[0].startswith(payment_cycle_workflow_id(SERVICE, period))


async def test_the_schedules_run_leaves_the_month_to_an_administrators_run_under_way(env):
    register = Register()
    period = period_of(beijing_today())
    async with worker(env.client, register):
        started = await start_as_administrator(env.client, period)
        await until(lambda: register.opened)
        scheduled = await start_as_schedule(env.client)
        assert (await scheduled.result()).cycle_id == 0  # it paid nothing itself
        register.paying.set()
        assert (await started.result()).cycle_id == 1
    assert len(register.opened) == 1
