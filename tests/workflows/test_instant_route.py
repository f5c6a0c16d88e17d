"""The route of a request approved by rule (instant), on a Temporal dev server with in-memory
activities: which stages run, whether any task opens, and the outcome. A check or condition holds
here when its expression is ``True``. The stack tests run the same against the real hub."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from forms.spec import Rule, Stage
from workflows.notifications.types import Delivered, NotifyEvent
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import (
    CancelTasks,
    ChecksOutcome,
    IssuedDocument,
    IssueDocument,
    OpenTask,
    PlanTimeLimit,
    RecordStep,
    RequestInput,
    RunChecks,
    StageCondition,
    StatusChange,
    TimeLimit,
    Withdrawal,
)

pytestmark = pytest.mark.stack  # starts a Temporal dev server

QUEUE = "instant-route"


class Calls:
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def activities(self) -> list:
        log = self.log

        @activity.defn(name="run_checks")
        async def run_checks(checks: RunChecks) -> ChecksOutcome:
            failed = [c.id for c in checks.checks if c.expression != "True"]
            log.append(("run_checks", checks.stage_id))
            return ChecksOutcome(passed=not failed, failed=failed)

        @activity.defn(name="stage_applies")
        async def stage_applies(condition: StageCondition) -> bool:
            log.append(("stage_applies", condition.stage_id))
            return condition.expression == "True"

        @activity.defn(name="open_task")
        async def open_task(task: OpenTask) -> None:
            log.append(("open_task", task.stage_id))

        @activity.defn(name="record_step")
        async def record_step(step: RecordStep) -> None:
            log.append(("record_step", step.kind))

        @activity.defn(name="plan_time_limit")
        async def plan_time_limit(plan: PlanTimeLimit) -> TimeLimit:
            return TimeLimit(due_at=plan.start + dt.timedelta(days=30), remind_at=plan.start + dt.timedelta(days=20))

        @activity.defn(name="set_state")
        async def set_state(change: StatusChange) -> None:
            log.append(("set_state", change.state))

        @activity.defn(name="issue_document")
        async def issue_document(request: IssueDocument) -> IssuedDocument:
            log.append(("issue_document", f"{request.kind}:{request.outcome}"))
            return IssuedDocument(key=request.key, sha256="", size=0)

        @activity.defn(name="cancel_tasks")
        async def cancel_tasks(cancel: CancelTasks) -> None:
            log.append(("cancel_tasks", ",".join(cancel.task_keys)))

        # Without it the workflow's messages would be tried until their retries ran out (seconds).
        @activity.defn(name="notify")
        async def notify(event: NotifyEvent) -> Delivered:
            log.append(("notify", event.kind))
            return Delivered(sent=1)

        return [
            run_checks,
            stage_applies,
            open_task,
            record_step,
            plan_time_limit,
            set_state,
            issue_document,
            cancel_tasks,
            notify,
        ]

    def of(self, name: str) -> list[str]:
        return [value for kind, value in self.log if kind == name]


def route(check: str, when: str | None = None) -> list[Stage]:
    return [
        Stage(
            id="registry-check",
            kind="check",
            title="Registry check",
            checks=[Rule(id="active", expression=check, message="Active.")],
            when=when,
        ),
        Stage(id="hr-review", title="Review", departments=["human-resources"]),
    ]


async def walk(client: Client, calls: Calls, request: RequestInput, withdraw_when_a_task_opens: bool = False):
    async with Worker(
        client,
        task_queue=QUEUE,
        workflows=[ServiceRequestWorkflow],
        activities=calls.activities(),
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            ServiceRequestWorkflow.run, request, id=f"request-{uuid.uuid4()}", task_queue=QUEUE
        )
        if withdraw_when_a_task_opens:
            for _ in range(200):
                if calls.of("open_task"):
                    break
                await asyncio.sleep(0.05)
            await handle.execute_update(ServiceRequestWorkflow.withdraw, Withdrawal(reason="done"))
        return await handle.result()


def request(stages: list[Stage], instant: bool) -> RequestInput:
    return RequestInput(request_id=1, ref="QQ1", service_id="s", service_version=1, route=stages, instant=instant)


async def test_passing_checks_approve_by_rule_without_any_task(env):
    calls = Calls()
    status = await walk(env.client, calls, request(route("True"), instant=True))
    assert status.state == "approved" and status.tasks == []
    assert calls.of("open_task") == []
    assert calls.of("record_step") == ["approved_by_rule"]
    assert calls.of("issue_document") == ["receipt:in_review", "decision:approved"]
    assert calls.of("notify") == ["request_filed", "request_decided"]  # the applicant is told both


async def test_a_failed_check_falls_back_to_the_review_and_is_not_rejected(env):
    calls = Calls()
    status = await walk(env.client, calls, request(route("False"), instant=True), withdraw_when_a_task_opens=True)
    assert calls.of("run_checks") == ["registry-check"]  # run once, not again on the route
    assert calls.of("open_task") == ["hr-review"]
    assert calls.of("record_step") == [] and "rejected" not in calls.of("set_state")
    assert status.state == "withdrawn"


async def test_no_check_that_applies_is_no_approval_by_rule(env):
    calls = Calls()
    await walk(env.client, calls, request(route("True", when="False"), instant=True), withdraw_when_a_task_opens=True)
    assert calls.of("run_checks") == [] and calls.of("stage_applies") == ["registry-check"]
    assert calls.of("open_task") == ["hr-review"] and calls.of("record_step") == []


async def test_without_instant_a_failed_check_still_rejects(env):
    calls = Calls()
    status = await walk(env.client, calls, request(route("False"), instant=False))
    assert status.state == "rejected" and calls.of("open_task") == []
    assert calls.of("issue_document") == ["receipt:in_review", "decision:rejected"]
