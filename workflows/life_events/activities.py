"""Activities of the life event workflow: thin calls into the cases' port."""

from __future__ import annotations

from temporalio import activity

from .ports import LifeEventCases
from .types import FilePart, PartChange, PartChecked, PartFiled, PartOutputs


class LifeEventActivities:
    def __init__(self, cases: LifeEventCases):
        self._cases = cases

    @activity.defn
    async def file_part(self, filing: FilePart) -> PartFiled:
        return await self._cases.file_part(filing)

    @activity.defn
    async def check_part(self, filing: FilePart) -> PartChecked:
        return await self._cases.check(filing)

    @activity.defn
    async def part_outputs(self, request_id: int) -> PartOutputs:
        return await self._cases.outputs(request_id)

    @activity.defn
    async def change_part(self, change: PartChange) -> None:
        await self._cases.change(change)

    def all(self) -> list:
        return [self.file_part, self.check_part, self.part_outputs, self.change_part]
