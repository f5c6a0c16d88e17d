"""The embedded population registry: the ``Resident`` table, read as the city's household
registration (who is alive, resident in the city, and when they were born).

A person is found by a keyed digest of their resident identity number, so the number stays sealed
at rest. Every read is audited with its purpose, one event per batch.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from faker import Faker

from forms.rules import birth_date
from hub.audit import record
from hub.clock import now
from hub.db.tables import Resident
from hub.sealing import keys, seal
from workflows.benefits.types import PersonFacts

PURPOSE_KEY = "resident"


def resident_key(resident_id: str) -> str:
    """The key a person is found by in the registry, in the entitlements and applications."""
    return keys().digest(resident_id.strip().upper(), PURPOSE_KEY)


class LocalPopulation:
    """``PopulationRegistry`` over the hub's own table."""

    async def facts(self, resident_ids: list[str], on: dt.date, purpose: str) -> dict[str, PersonFacts | None]:
        by_key = {resident_key(r): r for r in resident_ids}
        found: dict[str, PersonFacts | None] = dict.fromkeys(resident_ids)
        if not by_key:
            return found
        rows = await Resident.raw(
            "SELECT resident_key, born_on, hukou_local, died_on, moved_out_on FROM resident WHERE resident_key IN ("
            + ", ".join("{}" for _ in by_key)
            + ")",
            *by_key,
        )
        for row in rows:
            found[by_key[row["resident_key"]]] = PersonFacts(
                born_on=_date(row["born_on"]),
                resident=bool(row["hukou_local"]),
                died_on=_date(row["died_on"]) if row["died_on"] else None,
                moved_out_on=_date(row["moved_out_on"]) if row["moved_out_on"] else None,
            )
        await record(
            None, None, "registry.read", "resident", f"{len(rows)} of {len(by_key)}", purpose=purpose, on=str(on)
        )
        return found


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


async def register_residents(people: list[dict[str, Any]]) -> int:
    """Add people to the embedded registry (``resident_id``, ``full_name``, optionally ``born_on``,
    ``hukou_local``, ``died_on``); those already there are left as they are. Returns how many were new."""
    stamp = now()
    rows = [
        Resident(
            resident_key=resident_key(p["resident_id"]),
            resident_id=seal(p["resident_id"], "resident.resident_id"),
            full_name=seal(p["full_name"], "resident.full_name"),
            born_on=p.get("born_on") or birth_date(p["resident_id"]),
            hukou_local=p.get("hukou_local", True),
            died_on=p.get("died_on"),
            moved_out_on=p.get("moved_out_on"),
            updated_at=stamp,
        )
        for p in people
    ]
    added = 0
    for start in range(0, len(rows), 500):
        inserted = (
            await Resident.insert(*rows[start : start + 500])
            .on_conflict(target=Resident.resident_key, action="DO NOTHING")
            .returning(Resident.id)
        )
        added += len(inserted)
    return added


def elderly_people(count: int, seed: int = 2026, today: dt.date | None = None) -> list[dict[str, Any]]:
    """``count`` synthetic residents aged 80 to 104, with valid resident identity numbers."""
    import random

    from stdnum.cn import ric

    today = today or dt.date(2026, 11, 1)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    people: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(people) < count:
        # Most are in their eighties; a tenth over 90, a few over 100.
        age = 80 + min(int(rng.expovariate(1 / 5.5)), 24)
        # The birthday ``age`` years ago (28 February for 29 February), up to a year before it.
        anniversary = today.replace(year=today.year - age, day=min(today.day, 28 if today.month == 2 else 31))
        born = anniversary - dt.timedelta(days=rng.randint(0, 364))
        body = f"330106{born:%Y%m%d}{rng.randint(0, 999):03d}"
        if body in seen:
            continue
        seen.add(body)
        people.append(
            {"resident_id": body + ric.calc_check_digit(body + "0"), "full_name": fake.name(), "born_on": born}
        )
    return people
