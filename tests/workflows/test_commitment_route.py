"""The route of a request filed on commitment, on a Temporal dev server with in-memory activities:
its check stages still run, a failed one sends it to the review as for instant approval; when they
pass (or there are none) it is approved with no review, and the post-check opens in the owner
department and closes it kept or broken. The stack tests run the same against the real hub."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.workflows.test_instant_route import Calls, route
from workflows.names import task_key
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import (
    POST_CHECK_STAGE,
    CommitmentTerms,
    Decision,
    PostCheck,
    RequestInput,
    SettleCommitment,
    TaskChange,
    TaskCommand,
    Withdrawal,
)

pytestmark = pytest.mark.stack  # starts a Temporal dev server

QUEUE = "commitment-route"
TERMS = CommitmentTerms(department="human-resources", post_check_days=20, stage_title="Post-check")


class CommitmentCalls(Calls):
    def activities(self) -> list:
        log = self.log

        @activity.defn(name="settle_commitment")
        async def settle_commitment(outcome: SettleCommitment) -> None:
            log.append(("settle_commitment", f"{'kept' if outcome.kept else 'broken'}:{outcome.reason}"))

        @activity.defn(name="change_task")
        async def change_task(change: TaskChange) -> None:
            log.append(("change_task", change.kind))

        return [*super().activities(), settle_commitment, change_task]


def committed(stages) -> RequestInput:
    return RequestInput(
        request_id=1, ref="QQ1", service_id="s", service_version=1, route=stages, commitment=TERMS, instant=False
    )


async def started(client: Client, calls: Calls, request: RequestInput) -> WorkflowHandle:
    return await client.start_workflow(
        ServiceRequestWorkflow.run, request, id=f"request-{uuid.uuid4()}", task_queue=QUEUE
    )


def worker(client: Client, calls: Calls) -> Worker:
    return Worker(
        client,
        task_queue=QUEUE,
        workflows=[ServiceRequestWorkflow],
        activities=calls.activities(),
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def refused(update, words: str) -> None:
    """The update is refused by its validator, which says ``words``."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await update
    assert words in str(failed.value.cause), failed.value.cause


async def until(check, seconds: float = 30) -> None:
    # A dev server of the test's own, just started: its first workflow task can take seconds on a
    # machine that two test suites keep busy.
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("kept", [True, False])
async def test_passing_checks_approve_on_commitment_and_the_post_check_closes_it(env, kept):
    calls = CommitmentCalls()
    async with worker(env.client, calls):
        handle = await started(env.client, calls, committed(route("True")))
        await until(lambda: calls.of("open_task"))
        assert calls.of("open_task") == [POST_CHECK_STAGE]  # no review stage: the post-check only
        assert calls.of("record_step") == ["approved_on_commitment"]
        assert calls.of("set_state") == ["in_review", "approved"]
        assert calls.of("issue_document") == ["receipt:in_review", "decision:approved"]
        key = task_key(handle.id, POST_CHECK_STAGE, "human-resources")
        clerk = TaskCommand(task_key=key, department="human-resources", clerk_id=7)
        await handle.execute_update(ServiceRequestWorkflow.claim, clerk)
        # The post-check is no decision; and a broken commitment needs the reason.
        await refused(
            handle.execute_update(ServiceRequestWorkflow.decide, Decision(**clerk.model_dump(), verdict="approve")),
            "not a decision",
        )
        await refused(
            handle.execute_update(
                ServiceRequestWorkflow.record_post_check, PostCheck(**clerk.model_dump(), kept=False)
            ),
            "needs the reason",
        )
        check = PostCheck(**clerk.model_dump(), kept=kept, reason="" if kept else "No birth on record")
        await handle.execute_update(ServiceRequestWorkflow.record_post_check, check)
        status = await handle.result()
    assert status.state == ("approved" if kept else "revoked")
    assert calls.of("settle_commitment") == (["kept:"] if kept else ["broken:No birth on record"])
    assert [t.state for t in status.tasks] == ["approved" if kept else "rejected"]


async def test_a_failed_check_sends_a_commitment_to_the_review_with_no_post_check(env):
    calls = CommitmentCalls()
    async with worker(env.client, calls):
        handle = await started(env.client, calls, committed(route("False")))
        await until(lambda: calls.of("open_task"))
        await handle.execute_update(ServiceRequestWorkflow.withdraw, Withdrawal(reason="done"))
        status = await handle.result()
    assert calls.of("run_checks") == ["registry-check"] and calls.of("open_task") == ["hr-review"]
    assert calls.of("record_step") == [] and status.state == "withdrawn"


async def test_without_check_stages_a_commitment_is_approved_at_once(env):
    calls = CommitmentCalls()
    async with worker(env.client, calls):
        handle = await started(env.client, calls, committed(route("True")[1:]))
        await until(lambda: calls.of("open_task"))
        assert calls.of("run_checks") == [] and calls.of("open_task") == [POST_CHECK_STAGE]
        key = task_key(handle.id, POST_CHECK_STAGE, "human-resources")
        clerk = TaskCommand(task_key=key, department="human-resources", clerk_id=7)
        await handle.execute_update(ServiceRequestWorkflow.claim, clerk)
        await handle.execute_update(
            ServiceRequestWorkflow.record_post_check, PostCheck(**clerk.model_dump(), kept=True)
        )
        assert (await handle.result()).state == "approved"
