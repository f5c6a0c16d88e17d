"""DocumentReissueWorkflow: a corrected document replaces an earlier one.

The new document is issued like any other (new number, new code, signed); then the earlier one is
marked superseded, so its verification points to the newer document; then the applicant is told.
The workflow id is the business key ``reissue-<previous document key>``, so asking twice issues one
correction.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from .activities import RequestActivities
    from .names import REQUESTS_QUEUE
    from .notifications.deliver import DeliverMessagesWorkflow
    from .notifications.types import DeliverDue, NotifyEvent
    from .service_request import RECORD, RENDER
    from .types import IssuedDocument, Reissue, Supersede


@workflow.defn
class DocumentReissueWorkflow:
    @workflow.run
    async def run(self, reissue: Reissue) -> IssuedDocument:
        issued = await workflow.execute_activity_method(RequestActivities.issue_document, reissue.document, **RENDER)
        await workflow.execute_activity_method(
            RequestActivities.supersede_document,
            Supersede(previous_key=reissue.previous_key, new_key=reissue.document.key, reason=reissue.reason),
            **RECORD,
        )
        # Corrections made before the applicant was told of them replay without it.
        if workflow.patched("correction-told"):
            await self._tell(reissue)
        return issued

    async def _tell(self, reissue: Reissue) -> None:
        """Tell the applicant, the way an event outside a request's workflow is told: by
        ``DeliverMessagesWorkflow`` under the event's key, left running on its own (the clerk who
        asked for the correction does not wait for the mail server). The notifier tells it only if
        the earlier document is superseded by this one (not revoked meanwhile)."""
        key = f"{workflow.info().workflow_id}:document_corrected"
        event = NotifyEvent(
            key=key,
            kind="document_corrected",
            at=workflow.now(),
            request_id=reissue.document.request_id,
            detail={"previous_key": reissue.previous_key, "document_key": reissue.document.key},
        )
        try:
            await workflow.start_child_workflow(
                DeliverMessagesWorkflow.run,
                DeliverDue(event=event),
                id=f"notify-{key}",
                task_queue=REQUESTS_QUEUE,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            # A correction asked again after a failed one: its message was started by that run, and
            # is told once (messages are keyed by the event), so there is nothing more to do.
            pass
