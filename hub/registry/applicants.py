"""What the government already holds about an applicant, through the registries: their own
profile and, for an enterprise's account, its record. Prefill, the rules of service requests and
subsidies all read it here, so a city's registries serve them all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.db.tables import Account
from hub.registry.installed import enterprise_registry, person_registry, population_registry


async def applicant_data(account_id: int, purpose: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The applicant's profile and their enterprise's record (None for citizens), each read for ``purpose``."""
    acting = await Account.select(Account.enterprise).where(Account.id == account_id).first()
    profile = await person_registry().person(account_id, purpose)
    if not acting or not acting["enterprise"]:
        return profile, None
    return profile, await enterprise_registry().record(acting["enterprise"], purpose, account=account_id)


async def person_facts(resident_id: str, on: dt.date, purpose: str) -> dict[str, Any] | None:
    """``person.*`` as a benefit's formulas read it on ``on``: the population registry's facts about
    the person with this identity number (None when it holds no readable record)."""
    if not resident_id:
        return None
    facts = (await population_registry().facts([resident_id], on, purpose)).get(resident_id)
    return facts.as_names(on) if facts is not None else None
