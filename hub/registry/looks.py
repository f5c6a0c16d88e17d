"""One look at an enterprise's registry data for one thing done: a page, an API call, a claim.

Several parts of one answer need the same enterprise's data (every program of *Policies for you*,
a claim's eligibility and its form's prefill). Inside ``one_look(purpose)`` the enterprise registry
is read once per enterprise and kind of read, and that one read is audited with the look's purpose;
the other parts are answered from it. Outside a look every read goes to the registry, as before.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from hub.registry.ports import ELIGIBILITY_FIELDS, EnterpriseRegistry


@dataclass
class _Look:
    purpose: str
    # Read the record (the legal representative opened) even where a profile is asked for: the same
    # look shows the record anyway (a form's prefill), so one read serves both.
    whole_record: bool
    # Who looks, for the reads that do not say.
    account: int | None
    profiles: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    records: dict[int, dict[str, Any] | None] = field(default_factory=dict)


_current: contextvars.ContextVar[_Look | None] = contextvars.ContextVar("registry_look", default=None)


@asynccontextmanager
async def one_look(purpose: str, whole_record: bool = False, account: int | None = None) -> AsyncIterator[None]:
    """Read each enterprise once, for ``purpose`` (by ``account``), until the block ends; inside a
    look already open, the block is part of it (its purpose is the one recorded)."""
    if _current.get() is not None:
        yield
        return
    token = _current.set(_Look(purpose, whole_record, account))
    try:
        yield
    finally:
        _current.reset(token)


def _as_profile(record: dict[str, Any] | None, enterprise_id: int) -> dict[str, Any] | None:
    """The eligibility profile within a record, if the record holds all of it."""
    if record is None or any(f not in record for f in ELIGIBILITY_FIELDS):
        return None
    return {f: copy.deepcopy(record[f]) for f in ELIGIBILITY_FIELDS} | {"id": enterprise_id}


class LookingRegistry:
    """``EnterpriseRegistry`` over another that, inside a look, reads each enterprise once."""

    def __init__(self, registry: EnterpriseRegistry):
        self.registry = registry

    async def profile(self, enterprise_id: int, purpose: str) -> dict[str, Any] | None:
        look = _current.get()
        if look is None:
            return await self.registry.profile(enterprise_id, purpose)
        if enterprise_id not in look.profiles:
            if look.whole_record and enterprise_id not in look.records:
                await self.record(enterprise_id, purpose, account=look.account)
            found = _as_profile(look.records.get(enterprise_id), enterprise_id)
            if found is None:
                found = await self.registry.profile(enterprise_id, look.purpose)
            look.profiles[enterprise_id] = found
        return copy.deepcopy(look.profiles[enterprise_id])

    async def batch(self, after_id: int, limit: int, purpose: str) -> list[dict[str, Any]]:
        return await self.registry.batch(after_id, limit, purpose)

    async def record(self, enterprise_id: int, purpose: str, account: int | None = None) -> dict[str, Any] | None:
        look = _current.get()
        if look is None:
            return await self.registry.record(enterprise_id, purpose, account=account)
        if enterprise_id not in look.records:
            who = account if account is not None else look.account
            look.records[enterprise_id] = await self.registry.record(enterprise_id, look.purpose, account=who)
        return copy.deepcopy(look.records[enterprise_id])
