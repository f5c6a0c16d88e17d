"""DeliverMessagesWorkflow: sends messages still queued, on a schedule (SMS held for quiet hours)
or when an operator resends a failed one; and tells of an event that happened outside a workflow."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import NOTIFY, NotificationActivities
    from .types import DeliverDue, Delivered


@workflow.defn
class DeliverMessagesWorkflow:
    @workflow.run
    async def run(self, due: DeliverDue) -> Delivered:
        if due.event is not None:
            # An event that happened outside a workflow (a clerk suspending a benefit): told here.
            return await workflow.execute_activity_method(NotificationActivities.notify, due.event, **NOTIFY)
        return await workflow.execute_activity_method(NotificationActivities.deliver_due, due, **NOTIFY)
