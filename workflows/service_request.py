"""ServiceRequestWorkflow: walks a service's route, stage by stage, until approval or rejection.

A review stage opens one task per department. Clerks act on tasks through updates (claim, release,
decide, request more information, transfer; a supervisor assigns); each update's validator refuses
an illegal move before anything is recorded. Every task runs a clock: its time limit in working
days, a reminder before it, escalation at it, paused while the applicant is asked for more. The
applicant may supplement what was asked, or withdraw before the final decision. A rejection ends the
route. A service approved by rule (``instant``) runs its check stages first: when all pass, no review
stage opens; when one fails, it is not refused but walks its review stages as any other request.
A request filed on commitment (the applicant signed a commitment in place of proofs) is approved in
the same way when its check stages pass (or it has none); a post-check task then opens in the owner
department, and the request closes when the clerk records the commitment kept, or broken (the
decision is then revoked). The outcome documents are issued, then the request closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from forms.spec import Stage

    from .activities import RequestActivities
    from .benefits.activities import BenefitActivities
    from .benefits.types import GrantEntitlement
    from .names import PART_DECIDED_SIGNAL, task_key
    from .notifications.activities import NOTIFY, NotificationActivities
    from .notifications.types import EventKind, NotifyEvent
    from .options import ActivityOptions, HeartbeatOptions
    from .types import (
        ACTIVE_TASK_STATES,
        CLOSED_TASK_STATES,
        FINAL_STATES,
        POST_CHECK_STAGE,
        ApplySupplement,
        Assignment,
        CancelTasks,
        CommandAccepted,
        CommitmentTerms,
        Confirmation,
        Decision,
        DecisionAccepted,
        InformationRequest,
        IssueDocument,
        OpenTask,
        PlanTimeLimit,
        PostCheck,
        RecordDecision,
        RecordStep,
        RequestInput,
        RequestState,
        RequestStatus,
        ResumeTimeLimit,
        RunChecks,
        SettleAmount,
        SettleCommitment,
        StageCondition,
        StatusChange,
        SupplementNotice,
        TaskChange,
        TaskCommand,
        TaskView,
        TimelineKind,
        Transfer,
        Withdrawal,
    )

# A pause (waiting for the applicant) moves a time limit by the working days it covered, not by its
# length in wall-clock time (which ended limits in the small hours of a Saturday).
PAUSE_IN_WORKING_DAYS = "pause-moves-limit-by-working-days"

# Read-model writes are short; a short timeout means a crashed worker's attempt is retried quickly.
RECORD = ActivityOptions(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
)
# Rendering may take longer, so liveness comes from heartbeats instead.
RENDER = HeartbeatOptions(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
)


class IllegalMove(ValueError):
    """An update that the request's current state does not allow; nothing is recorded."""


@workflow.defn
class ServiceRequestWorkflow:
    def __init__(self) -> None:
        self._input: RequestInput | None = None
        self._state: RequestState = "submitted"
        self._stage: Stage | None = None
        self._tasks: dict[str, TaskView] = {}
        self._stage_keys: dict[str, list[str]] = {}
        # Decisions whose read-model record is written; a stage completes only after that.
        self._recorded: set[str] = set()
        self._withdrawn = False
        # Set while an applicant's supplement is being stored: the review resumes once it is.
        self._supplementing = False
        # Approvals waiting for a second clerk (maker-checker), by task key.
        self._proposals: dict[str, Decision] = {}
        # Set once the route is walked: the outcome is being issued and can no longer be withdrawn.
        self._concluding = False
        self._notice_count = 0
        # Bumped on every change a task's clock must notice (state, pause, new limit).
        self._clock_changes = 0
        self._clocks: list[asyncio.Task] = []
        # Approval on commitment: set once the post-check's outcome is recorded.
        self._post_checked = False
        # Messages being sent: the route never waits for a mail server; the request closes after them.
        self._notices: list[asyncio.Task] = []

    # The route -----------------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: RequestInput) -> RequestStatus:
        self._input = request
        await self._set_state("in_review")
        await self._issue("receipt", "in_review", key=f"{workflow.info().workflow_id}:receipt")
        self._notify("request_filed")
        verdict: RequestState = "approved"
        # Instant approval by rule: the check stages first; when all pass, no review stage opens.
        checked: set[str] = set()
        by_rule = on_commitment = False
        if request.commitment is not None and workflow.patched("commitment-approval"):
            # Approval on commitment: the check stages first, as for instant approval, but it needs
            # none run (the commitment stands in for proofs a clerk would have looked at).
            ran, passed, checked = await self._checks_first(request.route)
            on_commitment = passed and not self._withdrawn
            if on_commitment:
                await self._record(
                    RequestActivities.record_step,
                    RecordStep(
                        key=f"{workflow.info().workflow_id}:approved-on-commitment",
                        request_id=request.request_id,
                        kind="approved_on_commitment",
                        at=workflow.now(),
                    ),
                )
        elif request.instant and workflow.patched("instant-approval"):
            ran, passed, checked = await self._checks_first(request.route)
            by_rule = ran and passed and not self._withdrawn
        if by_rule:
            await self._record(
                RequestActivities.record_step,
                RecordStep(
                    key=f"{workflow.info().workflow_id}:approved-by-rule",
                    request_id=request.request_id,
                    kind="approved_by_rule",
                    at=workflow.now(),
                ),
            )
        for stage in [] if by_rule or on_commitment else request.route:
            if self._withdrawn:
                break
            if stage.id in checked:
                continue  # already run for instant approval: a failed check falls back to the reviews
            if stage.when is not None and not await self._applies(stage):
                continue
            passed = await self._check(stage) if stage.kind == "check" else await self._walk(stage)
            if not passed:
                verdict = "rejected"
                break
        self._stage = None
        self._concluding = True
        if self._withdrawn:
            await self._close_withdrawn()
            return self.status()
        if verdict == "approved" and request.benefit is not None and workflow.patched("benefit-entitlement"):
            # The approval becomes an entitlement before the decision is issued, which states it.
            await workflow.execute_activity_method(
                BenefitActivities.grant_entitlement,
                GrantEntitlement(request_id=request.request_id, terms=request.benefit, at=workflow.now()),
                **RECORD,
            )
        if verdict == "approved" and request.amount_formula:
            await workflow.execute_activity_method(
                RequestActivities.settle_amount,
                SettleAmount(request_id=request.request_id, formula=request.amount_formula),
                **RECORD,
            )
        kinds = request.documents_on_approval if verdict == "approved" else request.documents_on_rejection
        for kind in kinds:
            await self._issue(kind, verdict, key=f"{workflow.info().workflow_id}:{kind}")
        await self._set_state(verdict)
        self._notify("request_decided", outcome=verdict)
        if on_commitment and verdict == "approved" and request.commitment is not None:
            parent = workflow.info().parent
            if parent is not None and workflow.patched("commitment-tells-case"):
                # A life event's part: its case need not wait for the post-check to go on.
                await workflow.get_external_workflow_handle(parent.workflow_id, run_id=parent.run_id).signal(
                    PART_DECIDED_SIGNAL, workflow.info().workflow_id
                )
            await self._post_check(request.commitment)
        await self._finish()
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

    async def _checks_first(self, route: list[Stage]) -> tuple[bool, bool, set[str]]:
        """Run every check stage of the route that applies, in order, before any review: (whether
        one ran, whether every one run passed, the check stages run or found not to apply). Approval
        by rule needs at least one run and every one passed; all run either way, so a clerk taking
        over after a failure sees every result."""
        checked: set[str] = set()
        ran, passed = False, True
        for stage in route:
            if stage.kind != "check" or self._withdrawn:
                continue
            checked.add(stage.id)
            if stage.when is not None and not await self._applies(stage):
                continue
            ran = True
            passed = await self._check(stage) and passed
        self._stage = None
        return ran, passed, checked

    async def _post_check(self, terms: CommitmentTerms) -> None:
        """After an approval on commitment: open the post-check task in the owner department, due
        in the commitment's working days, and wait for its outcome."""
        assert self._input is not None
        stage = Stage(
            id=POST_CHECK_STAGE,
            title=terms.stage_title,
            departments=[terms.department],
            time_limit_days=terms.post_check_days,
        )
        now = workflow.now()
        key = task_key(workflow.info().workflow_id, stage.id, terms.department)
        self._stage_keys[stage.id] = [key]
        self._tasks[key] = TaskView(key=key, stage_id=stage.id, department=terms.department, state="open")
        limit = await workflow.execute_activity_method(
            RequestActivities.plan_time_limit,
            PlanTimeLimit(start=now, working_days=terms.post_check_days),
            **RECORD,
        )
        self._update_task(key, due_at=limit.due_at, remind_at=limit.remind_at, provisional=limit.provisional)
        await self._open(key, stage, terms.department, now, limit.due_at, limit.remind_at, limit.provisional)
        await workflow.wait_condition(lambda: self._post_checked)

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
        self._stage_keys[stage.id] = keys
        for key, department in zip(keys, stage.departments, strict=True):
            self._tasks[key] = TaskView(key=key, stage_id=stage.id, department=department, state="open")
        limit = await workflow.execute_activity_method(
            RequestActivities.plan_time_limit,
            PlanTimeLimit(start=now, working_days=stage.time_limit_days),
            **RECORD,
        )
        due_at, remind_at, provisional = limit.due_at, limit.remind_at, limit.provisional
        for key in keys:
            self._update_task(key, due_at=due_at, remind_at=remind_at, provisional=provisional)
        for key, department in zip(keys, stage.departments, strict=True):
            await self._open(key, stage, department, now, due_at, remind_at, provisional)
        await workflow.wait_condition(lambda: self._withdrawn or self._stage_outcome(stage) is not None)
        approved = bool(self._stage_outcome(stage)) and not self._withdrawn
        await self._cancel_active(self._stage_keys[stage.id])
        return approved

    async def _open(
        self, key: str, stage: Stage, department: str, now, due_at, remind_at, provisional: bool = False
    ) -> None:
        assert self._input is not None
        await self._record(
            RequestActivities.open_task,
            OpenTask(
                key=key,
                request_id=self._input.request_id,
                stage_id=stage.id,
                stage_title=stage.title,
                department=department,
                opened_at=now,
                due_at=due_at,
                remind_at=remind_at,
                provisional=provisional,
            ),
        )
        self._clocks.append(asyncio.create_task(self._clock(key)))

    def _stage_outcome(self, stage: Stage) -> bool | None:
        """True/False once the stage is decided (and those decisions recorded), else None."""
        keys = self._stage_keys[stage.id]
        decided = [k for k in keys if k in self._recorded]
        states = [self._tasks[k].state for k in decided]
        if "rejected" in states and (stage.mode == "all" or len(decided) == len(keys)):
            return False
        if stage.mode == "any" and "approved" in states:
            return True
        if len(decided) == len(keys):
            return all(s == "approved" for s in states)
        return None

    async def _cancel_active(self, keys: list[str]) -> None:
        assert self._input is not None
        leftovers = [k for k in keys if self._tasks[k].state in ACTIVE_TASK_STATES]
        if not leftovers:
            return
        for k in leftovers:
            self._update_task(k, state="cancelled")
        await self._record(
            RequestActivities.cancel_tasks,
            CancelTasks(request_id=self._input.request_id, task_keys=leftovers, at=workflow.now()),
        )

    async def _close_withdrawn(self) -> None:
        await self._cancel_active(list(self._tasks))
        await self._set_state("withdrawn")
        await self._finish()

    async def _finish(self) -> None:
        self._clock_changes += 1
        if self._clocks:
            await asyncio.gather(*self._clocks)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._notices:
            await asyncio.gather(*self._notices)

    # The clock -----------------------------------------------------------------------------------

    async def _clock(self, key: str) -> None:
        """Remind before the time limit and escalate at it; wait while paused; stop when done."""
        while True:
            task = self._tasks[key]
            # A post-check runs after the approval: its clock is the only one that outlives it.
            closed = self._state in FINAL_STATES and task.stage_id != POST_CHECK_STAGE
            if task.state not in ACTIVE_TASK_STATES or closed:
                return
            seen = self._clock_changes
            if task.paused_since is not None:
                await workflow.wait_condition(self._clock_changed(seen))
                continue
            kind: TimelineKind
            if not task.reminded and task.remind_at is not None:
                target, kind = task.remind_at, "task_reminder"
            elif not task.escalated and task.due_at is not None:
                target, kind = task.due_at, "task_escalated"
            else:
                return
            delay = (target - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(self._clock_changed(seen), timeout=delay)
                    continue  # something changed: look again
                except TimeoutError:
                    pass  # nothing changed before the target time: it has come, act below
            if kind == "task_reminder":
                self._update_task(key, reminded=True)
                await self._change(key, kind, reminded=True)
                self._notify("task_due_soon", task_key=key, account_id=task.assignee, suffix=f":{key}")
            else:
                self._update_task(key, escalated=True)
                await self._change(key, kind, escalated=True)
                self._notify("task_overdue", task_key=key, account_id=task.assignee, suffix=f":{key}")

    # Updates from clerks, supervisors and the applicant --------------------------------------------

    @workflow.update
    async def claim(self, command: TaskCommand) -> CommandAccepted:
        if self._tasks[command.task_key].assignee == command.clerk_id:
            return self._accepted(command.task_key)  # already theirs: nothing to record
        self._update_task(command.task_key, state="claimed", assignee=command.clerk_id)
        await self._change(
            command.task_key, "task_claimed", state="claimed", assignee=command.clerk_id, actor_id=command.clerk_id
        )
        return self._accepted(command.task_key)

    @claim.validator
    def _validate_claim(self, command: TaskCommand) -> None:
        task = self._task_of(command)
        if task.state == "claimed" and task.assignee == command.clerk_id:
            return
        if task.state != "open":
            raise IllegalMove(f"task is {task.state}")

    @workflow.update
    async def release(self, command: TaskCommand) -> CommandAccepted:
        self._update_task(command.task_key, state="open", assignee=None)
        await self._change(
            command.task_key, "task_released", state="open", clear_assignee=True, actor_id=command.clerk_id
        )
        return self._accepted(command.task_key)

    @release.validator
    def _validate_release(self, command: TaskCommand) -> None:
        self._require_held(command)

    @workflow.update
    async def assign(self, assignment: Assignment) -> CommandAccepted:
        key = assignment.task_key
        self._update_task(key, state="claimed", assignee=assignment.assignee_id)
        await self._change(
            key, "task_assigned", state="claimed", assignee=assignment.assignee_id, actor_id=assignment.supervisor_id
        )
        self._notify("task_assigned", task_key=key, account_id=assignment.assignee_id, suffix=f":{workflow.uuid4()}")
        return self._accepted(key)

    @assign.validator
    def _validate_assign(self, assignment: Assignment) -> None:
        task = self._tasks.get(assignment.task_key)
        if task is None or task.department != assignment.department:
            raise IllegalMove("unknown task")
        if task.state not in ("open", "claimed"):
            raise IllegalMove(f"task is {task.state}")

    @workflow.update
    async def decide(self, decision: Decision) -> DecisionAccepted:
        assert self._input is not None
        if decision.needs_confirmation and decision.verdict == "approve":
            # Held until a second clerk confirms (maker-checker); nothing is decided yet.
            self._update_task(decision.task_key, state="awaiting_confirmation")
            self._proposals[decision.task_key] = decision
            await self._change(
                decision.task_key,
                "decision_proposed",
                state="awaiting_confirmation",
                detail=decision.comment,
                actor_id=decision.clerk_id,
            )
            return DecisionAccepted(task_key=decision.task_key, verdict=decision.verdict, request_state=self._state)
        await self._decide(decision)
        return DecisionAccepted(task_key=decision.task_key, verdict=decision.verdict, request_state=self._state)

    async def _decide(self, decision: Decision, confirmed_by: int | None = None) -> None:
        assert self._input is not None
        # Mark first, before any await, so a concurrent second decision fails its validator.
        self._update_task(decision.task_key, state="approved" if decision.verdict == "approve" else "rejected")
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
                reason_code=decision.reason_code,
                confirmed_by=confirmed_by,
            ),
        )
        self._recorded.add(decision.task_key)

    @workflow.update
    async def confirm(self, confirmation: Confirmation) -> CommandAccepted:
        key = confirmation.task_key
        proposal = self._proposals.pop(key)
        if confirmation.accept:
            await self._decide(proposal, confirmed_by=confirmation.clerk_id)
        else:
            self._update_task(key, state="claimed")
            await self._change(
                key, "decision_returned", state="claimed", detail=confirmation.comment, actor_id=confirmation.clerk_id
            )
        return self._accepted(key)

    @confirm.validator
    def _validate_confirmation(self, confirmation: Confirmation) -> None:
        task = self._task_of(confirmation)
        if task.state != "awaiting_confirmation":
            raise IllegalMove(f"task is {task.state}")
        if self._proposals[confirmation.task_key].clerk_id == confirmation.clerk_id:
            raise IllegalMove("a decision is confirmed by a second clerk, not its maker")

    @decide.validator
    def _validate_decision(self, decision: Decision) -> None:
        task = self._task_of(decision)
        if task.state in CLOSED_TASK_STATES:
            raise IllegalMove(f"task is already {task.state}")
        self._require_held(decision)
        if task.stage_id == POST_CHECK_STAGE:
            raise IllegalMove("a post-check records whether the commitment was kept, not a decision")

    @workflow.update
    async def record_post_check(self, check: PostCheck) -> CommandAccepted:
        assert self._input is not None
        # Marked first, before any await, so a second finding fails its validator.
        self._update_task(check.task_key, state="approved" if check.kept else "rejected")
        await self._record(
            RequestActivities.settle_commitment,
            SettleCommitment(
                key=f"{workflow.info().workflow_id}:post-check",
                request_id=self._input.request_id,
                task_key=check.task_key,
                kept=check.kept,
                reason=check.reason,
                clerk_id=check.clerk_id,
                at=workflow.now(),
            ),
        )
        if not check.kept:
            self._state = "revoked"
            # Histories recorded before a revocation was told replay without this message.
            if workflow.patched("commitment-revoked-notice"):
                self._notify("commitment_revoked")
        self._post_checked = True
        return self._accepted(check.task_key)

    @record_post_check.validator
    def _validate_post_check(self, check: PostCheck) -> None:
        task = self._require_held(check)
        if task.stage_id != POST_CHECK_STAGE:
            raise IllegalMove("only a post-check records whether a commitment was kept")
        if not check.kept and not check.reason.strip():
            raise IllegalMove("a broken commitment needs the reason")

    @workflow.update
    async def request_information(self, ask: InformationRequest) -> CommandAccepted:
        now = workflow.now()
        self._update_task(ask.task_key, state="waiting_applicant", paused_since=now)
        await self._change(
            ask.task_key,
            "information_requested",
            state="waiting_applicant",
            paused_at=now,
            requested_fields=ask.fields,
            request_message=ask.message,
            detail=ask.message,
            actor_id=ask.clerk_id,
        )
        await self._set_state("waiting_applicant")
        self._notice_count += 1
        key = f"{workflow.info().workflow_id}:information_request:{self._notice_count}"
        await self._issue("information_request", "waiting_applicant", key=key, task_key=ask.task_key)
        self._notify(
            "information_requested",
            task_key=ask.task_key,
            suffix=f":{self._notice_count}",
            message=ask.message,
            fields=",".join(ask.fields),
        )
        return self._accepted(ask.task_key)

    @request_information.validator
    def _validate_information_request(self, ask: InformationRequest) -> None:
        if self._require_held(ask).stage_id == POST_CHECK_STAGE:
            raise IllegalMove("the request is approved: a post-check asks the applicant nothing")

    @workflow.update
    async def supplement(self, notice: SupplementNotice) -> CommandAccepted:
        assert self._input is not None
        now = workflow.now()
        waiting = [k for k, t in self._tasks.items() if t.state == "waiting_applicant"]
        # The tasks stay waiting until the new answers are stored: a decision, a transfer or a
        # second supplement arriving meanwhile is refused rather than made on the old answers
        # (a maker-checker threshold judged on an amount the supplement raises).
        stored_first = workflow.patched("supplement-stored-first")
        if stored_first:
            self._supplementing = True
        # The clock stood still while the applicant had the file. Histories recorded before moved the
        # limit by the pause's length in wall-clock time, and replay so.
        by_working_days = stored_first and workflow.patched(PAUSE_IN_WORKING_DAYS)
        resumed: dict[str, dict[str, object]] = {}
        for key in waiting:
            task = self._tasks[key]
            if by_working_days:
                resumed[key] = await self._resumed_limit(task, now)
            else:
                paused = now - (task.paused_since or now)
                resumed[key] = dict(
                    due_at=task.due_at + paused if task.due_at else None,
                    remind_at=task.remind_at + paused if task.remind_at else None,
                    # Moved, not planned again: the limit stays as provisional as it was.
                    provisional=task.provisional,
                )
            if key in notice.reassign:
                resumed[key]["assignee"] = notice.reassign[key]
        if not stored_first:
            for key in waiting:
                self._update_task(key, state="claimed", paused_since=None, **resumed[key])
        await self._record(
            RequestActivities.apply_supplement,
            ApplySupplement(request_id=self._input.request_id, token=notice.token, at=now),
        )
        if stored_first:
            for key in waiting:
                self._update_task(key, state="claimed", paused_since=None, **resumed[key])
            self._supplementing = False
        for key in waiting:
            await self._change(key, "information_supplied", state="claimed", clear_paused=True, **resumed[key])
        await self._set_state("in_review")
        return self._accepted(waiting[0] if waiting else None)

    async def _resumed_limit(self, task: TaskView, now: datetime) -> dict[str, object]:
        """The task's limit once the applicant answered: moved by the working days the pause covered
        (the days after the day it was asked, up to and including the day of the answer, in Beijing),
        still at the end of a working day. Counted on the calendar limits are planned on, in an
        activity, as the planning is: the result is recorded, so a calendar change never alters a replay."""
        if task.due_at is None or task.remind_at is None or task.paused_since is None:
            return dict(due_at=task.due_at, remind_at=task.remind_at, provisional=task.provisional)
        limit = await workflow.execute_activity_method(
            RequestActivities.resume_time_limit,
            ResumeTimeLimit(
                due_at=task.due_at,
                remind_at=task.remind_at,
                provisional=task.provisional,
                paused_at=task.paused_since,
                resumed_at=now,
            ),
            **RECORD,
        )
        return dict(due_at=limit.due_at, remind_at=limit.remind_at, provisional=limit.provisional)

    @supplement.validator
    def _validate_supplement(self, notice: SupplementNotice) -> None:
        if self._state in FINAL_STATES or self._withdrawn:
            raise IllegalMove("the request is closed")
        if self._supplementing:
            raise IllegalMove("the information asked for is being supplied")
        if not any(t.state == "waiting_applicant" for t in self._tasks.values()):
            raise IllegalMove("no information was requested")

    @workflow.update
    async def transfer(self, move: Transfer) -> CommandAccepted:
        assert self._input is not None and self._stage is not None
        stage = self._stage
        old = self._tasks[move.task_key]
        new_key = task_key(workflow.info().workflow_id, old.stage_id, move.to_department)
        # The time limit runs on: a transfer does not give the request a fresh one.
        self._tasks[new_key] = TaskView(
            key=new_key,
            stage_id=old.stage_id,
            department=move.to_department,
            state="open",
            due_at=old.due_at,
            remind_at=old.remind_at,
            reminded=old.reminded,
            escalated=old.escalated,
            provisional=old.provisional,
        )
        keys = self._stage_keys[old.stage_id]
        keys[keys.index(move.task_key)] = new_key
        self._update_task(move.task_key, state="transferred")
        await self._change(
            move.task_key, "task_transferred", state="transferred", detail=move.reason, actor_id=move.clerk_id
        )
        await self._open(
            new_key,
            stage,
            move.to_department,
            workflow.now(),
            old.due_at or workflow.now(),
            old.remind_at,
            old.provisional,
        )
        return self._accepted(new_key)

    @transfer.validator
    def _validate_transfer(self, move: Transfer) -> None:
        task = self._require_held(move)
        if self._stage is None or task.stage_id != self._stage.id:
            raise IllegalMove("the task's stage is over")
        if move.to_department == task.department:
            raise IllegalMove("the task is already in that department")
        if task_key(workflow.info().workflow_id, task.stage_id, move.to_department) in self._tasks:
            raise IllegalMove("that department already has a task in this stage")

    @workflow.update
    async def withdraw(self, withdrawal: Withdrawal) -> CommandAccepted:
        self._withdrawn = True
        self._clock_changes += 1
        return self._accepted(None)

    @withdraw.validator
    def _validate_withdrawal(self, withdrawal: Withdrawal) -> None:
        if self._state in FINAL_STATES or self._withdrawn:
            raise IllegalMove("the request is already closed")
        if self._concluding:
            raise IllegalMove("the final decision is being issued")

    @workflow.query
    def status(self) -> RequestStatus:
        return RequestStatus(
            state=self._state,
            stage_id=self._stage.id if self._stage else None,
            tasks=list(self._tasks.values()),
        )

    # Helpers -------------------------------------------------------------------------------------

    def _task_of(self, command: TaskCommand) -> TaskView:
        task = self._tasks.get(command.task_key)
        if task is None:
            raise IllegalMove("unknown task")
        if task.department != command.department:
            raise IllegalMove("task belongs to another department")
        return task

    def _require_held(self, command: TaskCommand) -> TaskView:
        """The task must be claimed by this clerk (and not waiting for the applicant)."""
        task = self._task_of(command)
        if task.state != "claimed":
            raise IllegalMove(
                f"task is {task.state}; claim it first" if task.state == "open" else f"task is {task.state}"
            )
        if task.assignee != command.clerk_id:
            raise IllegalMove("task is held by another clerk")
        return task

    def _clock_changed(self, seen: int) -> Callable[[], bool]:
        """A condition that holds once a task's clock has changed since it read ``seen``."""
        return lambda: self._clock_changes != seen

    def _update_task(self, key: str, **changes) -> None:
        self._tasks[key] = self._tasks[key].model_copy(update=changes)
        self._clock_changes += 1

    def _accepted(self, key: str | None) -> CommandAccepted:
        return CommandAccepted(task_key=key, request_state=self._state)

    async def _change(self, key: str, kind: TimelineKind, **fields) -> None:
        assert self._input is not None
        await self._record(
            RequestActivities.change_task,
            TaskChange(
                key=key,
                request_id=self._input.request_id,
                step=f"{key}:{kind}:{workflow.uuid4()}",
                kind=kind,
                at=workflow.now(),
                **fields,
            ),
        )

    async def _issue(self, kind: str, outcome: RequestState, key: str, task_key: str | None = None) -> None:
        assert self._input is not None
        await workflow.execute_activity_method(
            RequestActivities.issue_document,
            IssueDocument(
                key=key,
                request_id=self._input.request_id,
                kind=kind,
                outcome=outcome,
                locale=self._input.locale,
                issued_at=workflow.now(),
                task_key=task_key,
            ),
            **RENDER,
        )

    async def _set_state(self, state: RequestState) -> None:
        assert self._input is not None
        self._state = state
        self._clock_changes += 1
        await self._record(
            RequestActivities.set_state,
            StatusChange(request_id=self._input.request_id, state=state, at=workflow.now()),
        )

    async def _record(self, activity, payload) -> None:
        await workflow.execute_activity_method(activity, payload, **RECORD)

    def _notify(
        self,
        kind: EventKind,
        task_key: str | None = None,
        account_id: int | None = None,
        suffix: str = "",
        **detail: str,
    ) -> None:
        """Tell the people concerned, in the background: one message per recipient and channel,
        keyed by this event, so a replay or a retried activity sends nothing twice."""
        # Histories recorded before requests told anyone replay without these activities.
        if self._input is None or not workflow.patched("notifications"):
            return
        event = NotifyEvent(
            key=f"{workflow.info().workflow_id}:{kind}{suffix}",
            kind=kind,
            at=workflow.now(),
            request_id=self._input.request_id,
            task_key=task_key,
            account_id=account_id,
            detail=detail,
        )
        self._notices.append(asyncio.create_task(self._send(event)))

    async def _send(self, event: NotifyEvent) -> None:
        try:
            await workflow.execute_activity_method(NotificationActivities.notify, event, **NOTIFY)
        except ActivityError:
            # A message that could not be sent is marked failed for operators to resend; the
            # request itself goes on.
            workflow.logger.warning("notification %s not sent", event.key)
