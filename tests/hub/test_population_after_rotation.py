"""The population registry finds the same people after the data keys are rotated: a person is
found by a keyed digest of their identity number, which a rotation must leave as it was (else the
benefit cycles would find nobody, and a person could apply twice for what is granted once)."""

from __future__ import annotations

import datetime as dt

from hub import sealing
from hub.registry.population import LocalPopulation, register_residents, resident_key

PERSON = {"resident_id": "330106194003150011", "full_name": "张三", "hukou_local": True}


async def test_a_resident_is_found_again_after_a_rotation(database, tmp_path):
    keys = sealing.configure(tmp_path / "data-keys")
    assert await register_residents([PERSON]) == 1
    key = resident_key(PERSON["resident_id"])
    keys.rotate()
    assert resident_key(PERSON["resident_id"]) == key
    found = await LocalPopulation().facts([PERSON["resident_id"]], dt.date(2026, 12, 1), "a test")
    assert found[PERSON["resident_id"]] is not None and found[PERSON["resident_id"]].born_on == dt.date(1940, 3, 15)
    # Registered again (the registry's daily load), the person is not added twice.
    assert await register_residents([PERSON]) == 0
