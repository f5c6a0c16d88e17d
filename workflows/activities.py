"""Activities of the service-request workflow: thin, idempotent calls into the ports."""

from __future__ import annotations

import asyncio

from temporalio import activity

from .ports import DocumentIssuer, RequestRecords
from .types import (
    CancelTasks,
    IssuedDocument,
    IssueDocument,
    OpenTask,
    RecordDecision,
    StatusChange,
)


HEARTBEAT_EVERY_S = 2


class RequestActivities:
    """Bound to concrete adapters by the worker; each method is one activity."""

    def __init__(self, records: RequestRecords, documents: DocumentIssuer):
        self._records = records
        self._documents = documents

    @activity.defn
    async def open_task(self, task: OpenTask) -> None:
        await self._records.open_task(task)

    @activity.defn
    async def record_decision(self, decision: RecordDecision) -> None:
        await self._records.record_decision(decision)

    @activity.defn
    async def cancel_tasks(self, cancel: CancelTasks) -> None:
        await self._records.cancel_tasks(cancel)

    @activity.defn
    async def set_state(self, change: StatusChange) -> None:
        await self._records.set_state(change)

    @activity.defn
    async def issue_document(self, request: IssueDocument) -> IssuedDocument:
        # Rendering is CPU-bound; the issuer runs it on a process pool, off this event loop.
        # Heartbeats let the server notice a dead worker in seconds, not at the end of the timeout.
        work = asyncio.ensure_future(self._documents.issue(request))
        while not work.done():
            activity.heartbeat()
            await asyncio.wait({work}, timeout=HEARTBEAT_EVERY_S)
        return work.result()

    def all(self) -> list:
        return [
            self.open_task,
            self.record_decision,
            self.cancel_tasks,
            self.set_state,
            self.issue_document,
        ]
