"""ServiceRequestWorkflow: walks a service's route, stage by stage, until approval or rejection.

A stage opens one review task per department; clerks decide through the ``decide`` update,
whose validator refuses illegal moves (an unknown task, a task already decided) before anything is
recorded. A rejection ends the route. The outcome documents are issued, then the request closes.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from forms.spec import Stage

    from .activities import RequestActivities
    from .names import task_key
    from .types import (
        CancelTasks,
        Decision,
        DecisionAccepted,
        IssueDocument,
        OpenTask,
        RecordDecision,
        RequestInput,
        RequestState,
        RequestStatus,
        RunChecks,
        SettleAmount,
        StageCondition,
        StatusChange,
        TaskView,
    )

# Read-model writes are short; a short timeout means a crashed worker's attempt is retried quickly.
RECORD = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
)
# Rendering may take longer, so liveness comes from heartbeats instead.
RENDER = dict(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)


@workflow.defn
class ServiceRequestWorkflow:
    def __init__(self) -> None:
        self._input: RequestInput | None = None
        self._state: RequestState = "submitted"
        self._stage: Stage | None = None
        self._tasks: dict[str, TaskView] = {}
        # Decisions whose read-model record is written; a stage completes only after that.
        self._recorded: set[str] = set()

    @workflow.run
    async def run(self, request: RequestInput) -> RequestStatus:
        self._input = request
        await self._set_state("in_review")
        verdict: RequestState = "approved"
        for stage in request.route:
            if stage.when is not None and not await self._applies(stage):
                continue
            passed = await self._check(stage) if stage.kind == "check" else await self._walk(stage)
            if not passed:
                verdict = "rejected"
                break
        self._stage = None
        if verdict == "approved" and request.amount_formula:
            await workflow.execute_activity_method(
                RequestActivities.settle_amount,
                SettleAmount(request_id=request.request_id, formula=request.amount_formula),
                **RECORD,
            )
        kinds = request.documents_on_approval if verdict == "approved" else request.documents_on_rejection
        for kind in kinds:
            await workflow.execute_activity_method(
                RequestActivities.issue_document,
                IssueDocument(
                    key=f"{workflow.info().workflow_id}:{kind}",
                    request_id=request.request_id,
                    kind=kind,
                    outcome=verdict,
                    locale=request.locale,
                    issued_at=workflow.now(),
                ),
                **RENDER,
            )
        await self._set_state(verdict)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _applies(self, stage: Stage) -> bool:
        """Whether a conditional stage applies (evaluated when the route reaches it)."""
        assert self._input is not None and stage.when is not None
        return await workflow.execute_activity_method(
            RequestActivities.stage_applies,
            StageCondition(
                key=f"{workflow.info().workflow_id}:{stage.id}",
                request_id=self._input.request_id,
                stage_id=stage.id,
                expression=stage.when,
                at=workflow.now(),
            ),
            **RECORD,
        )

    async def _check(self, stage: Stage) -> bool:
        """Run an automatic check stage; True when every check passes."""
        assert self._input is not None
        self._stage = stage
        outcome = await workflow.execute_activity_method(
            RequestActivities.run_checks,
            RunChecks(
                key=f"{workflow.info().workflow_id}:{stage.id}",
                request_id=self._input.request_id,
                stage_id=stage.id,
                checks=stage.checks,
                at=workflow.now(),
            ),
            **RECORD,
        )
        return outcome.passed

    async def _walk(self, stage: Stage) -> bool:
        """Open the stage's reviews and wait for its outcome; True when the stage approves."""
        assert self._input is not None
        self._stage = stage
        wf_id = workflow.info().workflow_id
        now = workflow.now()
        keys = [task_key(wf_id, stage.id, d) for d in stage.departments]
        for key, department in zip(keys, stage.departments, strict=True):
            self._tasks[key] = TaskView(key=key, stage_id=stage.id, department=department, state="open")
        for key, department in zip(keys, stage.departments, strict=True):
            await self._record(
                RequestActivities.open_task,
                OpenTask(
                    key=key,
                    request_id=self._input.request_id,
                    stage_id=stage.id,
                    stage_title=stage.title,
                    department=department,
                    opened_at=now,
                    due_at=now + timedelta(days=stage.time_limit_days),
                ),
            )
        await workflow.wait_condition(lambda: self._stage_outcome(stage, keys) is not None)
        approved = bool(self._stage_outcome(stage, keys))
        leftovers = [k for k in keys if self._tasks[k].state == "open"]
        if leftovers:
            for k in leftovers:
                self._tasks[k] = self._tasks[k].model_copy(update={"state": "cancelled"})
            await self._record(
                RequestActivities.cancel_tasks,
                CancelTasks(
                    request_id=self._input.request_id,
                    task_keys=leftovers,
                    at=workflow.now(),
                ),
            )
        return approved

    def _stage_outcome(self, stage: Stage, keys: list[str]) -> bool | None:
        """True/False once the stage is decided (and those decisions recorded), else None."""
        decided = [k for k in keys if k in self._recorded]
        states = [self._tasks[k].state for k in decided]
        if "rejected" in states and (stage.mode == "all" or len(decided) == len(keys)):
            return False
        if stage.mode == "any" and "approved" in states:
            return True
        if len(decided) == len(keys):
            return all(s == "approved" for s in states)
        return None

    @workflow.update
    async def decide(self, decision: Decision) -> DecisionAccepted:
        assert self._input is not None
        # Mark first, before any await, so a concurrent second decision fails its validator.
        self._tasks[decision.task_key] = self._tasks[decision.task_key].model_copy(
            update={"state": "approved" if decision.verdict == "approve" else "rejected"}
        )
        await self._record(
            RequestActivities.record_decision,
            RecordDecision(
                task_key=decision.task_key,
                request_id=self._input.request_id,
                department=decision.department,
                clerk_id=decision.clerk_id,
                verdict=decision.verdict,
                comment=decision.comment,
                decided_at=workflow.now(),
            ),
        )
        self._recorded.add(decision.task_key)
        return DecisionAccepted(
            task_key=decision.task_key,
            verdict=decision.verdict,
            request_state=self._state,
        )

    @decide.validator
    def _validate_decision(self, decision: Decision) -> None:
        task = self._tasks.get(decision.task_key)
        if task is None:
            raise ValueError("unknown task")
        if task.department != decision.department:
            raise ValueError("task belongs to another department")
        if task.state != "open":
            raise ValueError(f"task is already {task.state}")

    @workflow.query
    def status(self) -> RequestStatus:
        return RequestStatus(
            state=self._state,
            stage_id=self._stage.id if self._stage else None,
            tasks=list(self._tasks.values()),
        )

    async def _set_state(self, state: RequestState) -> None:
        assert self._input is not None
        self._state = state
        await self._record(
            RequestActivities.set_state,
            StatusChange(request_id=self._input.request_id, state=state, at=workflow.now()),
        )

    async def _record(self, activity, payload) -> None:
        await workflow.execute_activity_method(activity, payload, **RECORD)
