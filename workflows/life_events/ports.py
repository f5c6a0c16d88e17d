"""The port the life event activities are written against; ``hub`` provides the adapter."""

from __future__ import annotations

from typing import Protocol

from .types import FilePart, PartChange, PartChecked, PartFiled, PartOutputs


class LifeEventCases(Protocol):
    async def file_part(self, filing: FilePart) -> PartFiled:
        """Store the part's request (the case's answers and what earlier parts handed on); the
        same part filed twice is one request."""
        ...

    async def check(self, filing: FilePart) -> PartChecked:
        """Check a scheduled part's service rules on the day it is filed, keeping their results
        for its request; it is filed only if it meets them."""
        ...

    async def outputs(self, request_id: int) -> PartOutputs:
        """What a closed part hands on: whether it was approved, its decision notice's number."""
        ...

    async def change(self, change: PartChange) -> None: ...
