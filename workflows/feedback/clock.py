"""CaseClockWorkflow: a case's time limit in working days, escalated to the supervisors when it passes
unanswered; when the case is answered, its author is told. RatingInvitationsWorkflow: invites the
applicants of decided requests left unrated, once each, and starts clocks left unstarted."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from ..names import REQUESTS_QUEUE, case_workflow_id
    from ..notifications.activities import NOTIFY, NotificationActivities
    from ..notifications.types import NotifyEvent
    from .activities import RECORDS, FeedbackActivities
    from .types import Answered, CaseClock, Escalation, InvitationRound, Invitations


@workflow.defn
class CaseClockWorkflow:
    def __init__(self) -> None:
        self._answered: Answered | None = None

    @workflow.signal
    def answered(self, answered: Answered) -> None:
        self._answered = answered

    @workflow.run
    async def run(self, clock: CaseClock) -> Escalation:
        await workflow.execute_activity_method(FeedbackActivities.mark_clock_started, clock, **RECORDS)
        escalation = Escalation()
        delay = (clock.due_at - workflow.now()).total_seconds()
        try:
            await workflow.wait_condition(lambda: self._answered is not None, timeout=max(delay, 0.001))
        except TimeoutError:
            escalation = await workflow.execute_activity_method(FeedbackActivities.escalate_case, clock, **RECORDS)
            if escalation.department:
                await workflow.execute_activity_method(
                    NotificationActivities.notify,
                    NotifyEvent(
                        key=f"case-overdue:{clock.ref}",
                        kind="case_overdue",
                        at=workflow.now(),
                        detail={
                            "case": clock.ref,
                            "department": escalation.department,
                            "due": clock.due_at.isoformat(),
                        },
                    ),
                    **NOTIFY,
                )
            # Escalated, the case still waits for its answer, which its author is told of.
            await workflow.wait_condition(lambda: self._answered is not None)
        answered = self._answered
        if answered is not None and answered.account_id is not None:
            await workflow.execute_activity_method(
                NotificationActivities.notify,
                NotifyEvent(
                    key=f"case-answered:{clock.ref}",
                    kind="case_answered",
                    at=workflow.now(),
                    account_id=answered.account_id,
                    detail={"case": clock.ref},
                ),
                **NOTIFY,
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return escalation


@workflow.defn
class RatingInvitationsWorkflow:
    @workflow.run
    async def run(self, round: InvitationRound) -> Invitations:
        due = await workflow.execute_activity_method(FeedbackActivities.due_invitations, round, **RECORDS)
        for request_id in due.request_ids:
            await workflow.execute_activity_method(
                NotificationActivities.notify,
                NotifyEvent(
                    key=f"rating-invited:{request_id}", kind="rating_invited", at=workflow.now(), request_id=request_id
                ),
                **NOTIFY,
            )
        for clock in due.unstarted:
            try:
                await workflow.start_child_workflow(
                    CaseClockWorkflow.run,
                    clock,
                    id=case_workflow_id(clock.ref),
                    task_queue=REQUESTS_QUEUE,
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:  # started meanwhile by the hub
                pass
        return due
