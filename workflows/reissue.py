"""DocumentReissueWorkflow: a corrected document replaces an earlier one.

The new document is issued like any other (new number, new code, signed); then the earlier one is
marked superseded, so its verification points to the newer document. The workflow id is the
business key ``reissue-<previous document key>``, so asking twice issues one correction.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import RequestActivities
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
        return issued
