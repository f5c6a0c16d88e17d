"""The ports activities are written against; ``hub`` provides the adapters."""

from __future__ import annotations

from typing import Protocol

from .types import (
    CancelTasks,
    IssuedDocument,
    IssueDocument,
    OpenTask,
    RecordDecision,
    StatusChange,
)


class RequestRecords(Protocol):
    """The read model that inboxes, timelines and status pages are served from.

    Every method is idempotent: calling it twice with the same input leaves one record.
    """

    async def open_task(self, task: OpenTask) -> None: ...

    async def record_decision(self, decision: RecordDecision) -> None: ...

    async def cancel_tasks(self, cancel: CancelTasks) -> None: ...

    async def set_state(self, change: StatusChange) -> None: ...


class DocumentIssuer(Protocol):
    """Renders, stores and records a document; issuing the same key twice returns the first."""

    async def issue(self, request: IssueDocument) -> IssuedDocument: ...
