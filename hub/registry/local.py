"""The embedded registries: the hub's own tables, read as the departments' sources (the
``Enterprise`` table seeded with a synthetic population; the verified identity on each account)."""

from __future__ import annotations

from typing import Any

from hub.accounts import name_of
from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import Account, Enterprise
from hub.registry.ports import ELIGIBILITY_FIELDS, RECORD_FIELDS, SOURCES
from hub.sealing import unseal


def _profile(row: dict[str, Any]) -> dict[str, Any]:
    data = {name: row[name] for name in ELIGIBILITY_FIELDS}
    data["labels"] = load_json(data["labels"]) or []
    data["id"] = row["id"]
    return data


class LocalRegistry:
    """The embedded enterprise registry: the hub's own table, read as the three departments' sources."""

    async def profile(self, enterprise_id: int, purpose: str) -> dict[str, Any] | None:
        """One enterprise's eligibility profile; the read is audited with its purpose and sources."""
        rows = await Enterprise.select(Enterprise.id, *[getattr(Enterprise, f) for f in ELIGIBILITY_FIELDS]).where(
            Enterprise.id == enterprise_id
        )
        if not rows:
            return None
        data = _profile(rows[0])
        await record(None, None, "registry.read", "enterprise", data["uscc"], purpose=purpose, sources=list(SOURCES))
        return data

    async def batch(self, after_id: int, limit: int, purpose: str) -> list[dict[str, Any]]:
        """The next enterprises' eligibility profiles; one audit event for the whole batch."""
        rows = (
            await Enterprise.select(Enterprise.id, *[getattr(Enterprise, f) for f in ELIGIBILITY_FIELDS])
            .where(Enterprise.id > after_id)
            .order_by(Enterprise.id)
            .limit(limit)
        )
        if rows:
            # One event per batch: which enterprises (by id range), from which sources, and why.
            await record(
                None,
                None,
                "registry.read",
                "enterprise",
                f"{rows[0]['id']}-{rows[-1]['id']}",
                purpose=purpose,
                sources=list(SOURCES),
                count=len(rows),
            )
        return [_profile(r) for r in rows]

    async def record(self, enterprise_id: int, purpose: str, account: int | None = None) -> dict[str, Any] | None:
        """An applicant's enterprise record, its legal representative opened; audited with its purpose."""
        row = await Enterprise.objects().where(Enterprise.id == enterprise_id).first()
        if row is None:
            return None
        await record(
            None, None, "registry.read", "enterprise", row.uscc, purpose=purpose, account=account, sources=list(SOURCES)
        )
        data = {name: getattr(row, name) for name in RECORD_FIELDS}
        data["labels"] = load_json(row.labels) or []
        data["legal_representative"] = unseal(row.legal_representative, "enterprise.legal_representative")
        return data


class LocalPeople:
    """The embedded person registry: the identity verified when the account was opened."""

    async def person(self, account_id: int, purpose: str) -> dict[str, Any]:
        """The account holder's name and resident id, opened from their sealed form."""
        # The applicant's own identity, read for their own forms: not a look at someone else's data,
        # so not an audit event (a city's population registry may record its reads itself).
        account = await Account.objects().where(Account.id == account_id).first()
        assert account is not None, "an applicant is an account"
        return {"full_name": name_of(account), "resident_id": unseal(account.resident_id, "account.resident_id")}
