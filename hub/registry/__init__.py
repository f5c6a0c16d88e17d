"""Department data sources about enterprises ("one file per enterprise").

A city plugs in its market-regulation, tax and social-insurance systems behind
``EnterpriseRegistry``; the embedded default, ``LocalRegistry``, answers from the hub's own
``Enterprise`` table (seeded with a synthetic population). Every read is audited with its purpose
and the sources it touched.
"""

from __future__ import annotations

from typing import Any, Protocol

from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import Enterprise

# Which department's system each item of the profile comes from.
SOURCES = {
    "market-regulation": (
        "uscc",
        "name",
        "legal_representative",
        "industry",
        "district",
        "founded_on",
        "registered_capital",
        "status",
        "labels",
    ),
    "tax": ("tax_credit_rating", "tax_bracket"),
    "social-insurance": ("employees", "insured_employees"),
}
# What eligibility is decided on, for one enterprise (a claim, "policies for you") or for all
# (matching): everything the sources hold but the legal representative's name, which is personal
# data (sealed at rest) and which no rule needs, so it is never read for it.
ELIGIBILITY_FIELDS = tuple(f for fields in SOURCES.values() for f in fields if f != "legal_representative")


class EnterpriseRegistry(Protocol):
    async def profile(self, enterprise_id: int, purpose: str) -> dict[str, Any] | None:
        """One enterprise's profile as eligibility rules read it (``ELIGIBILITY_FIELDS``), merged
        from every source."""
        ...

    async def batch(self, after_id: int, limit: int, purpose: str) -> list[dict[str, Any]]:
        """Profiles of the next ``limit`` enterprises by id after ``after_id`` (each with its ``id``)."""
        ...


def _profile(row: dict[str, Any]) -> dict[str, Any]:
    data = {name: row[name] for name in ELIGIBILITY_FIELDS}
    data["labels"] = load_json(data["labels"]) or []
    data["id"] = row["id"]
    return data


class LocalRegistry:
    """The embedded registry: the hub's own table, read as the three departments' sources."""

    async def profile(self, enterprise_id: int, purpose: str) -> dict[str, Any] | None:
        rows = await Enterprise.select(Enterprise.id, *[getattr(Enterprise, f) for f in ELIGIBILITY_FIELDS]).where(
            Enterprise.id == enterprise_id
        )
        if not rows:
            return None
        data = _profile(rows[0])
        await record(None, None, "registry.read", "enterprise", data["uscc"], purpose=purpose, sources=list(SOURCES))
        return data

    async def batch(self, after_id: int, limit: int, purpose: str) -> list[dict[str, Any]]:
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


_installed: dict[str, Any] = {}


def enterprise_registry() -> EnterpriseRegistry:
    """The enterprise registry this hub reads: the embedded one unless a city installed its own."""
    return _installed.setdefault("enterprises", LocalRegistry())
