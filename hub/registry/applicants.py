"""What the government already holds about an applicant, through the registries: their own
profile and, for an enterprise's account, its record. Prefill, the rules of service requests and
subsidies all read it here, so a city's registries serve them all."""

from __future__ import annotations

from typing import Any

from hub.db.tables import Account
from hub.registry.installed import enterprise_registry, person_registry


async def applicant_data(account_id: int, purpose: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The applicant's profile and their enterprise's record (None for citizens), each read for ``purpose``."""
    acting = await Account.select(Account.enterprise).where(Account.id == account_id).first()
    profile = await person_registry().person(account_id, purpose)
    if not acting or not acting["enterprise"]:
        return profile, None
    return profile, await enterprise_registry().record(acting["enterprise"], purpose, account=account_id)
