"""A life event's part applied for on a later date (``not_before``): the date it falls on, and the
mistakes the catalog check finds in how it is said."""

from __future__ import annotations

import datetime as dt

from forms.catalog import CATALOG_DIR, load_catalog
from forms.life_events import anniversary
from tests.forms.test_life_events import problems

EVENT = (CATALOG_DIR / "life_events" / "retirement.toml").read_text(encoding="utf-8")
SCHEDULE = 'not_before = { field = "resident_id", years = 80 }'


def test_the_allowance_falls_on_the_80th_birthday_from_the_identity_number():
    event = load_catalog().life_events["retirement"]
    assert event.due_on("allowance", {"resident_id": "330106196606180016"}) == dt.date(2046, 6, 18)
    assert event.due_on("pension", {"resident_id": "330106196606180016"}) is None


def test_a_birthday_on_29_february_falls_on_1_march_in_a_common_year():
    assert anniversary(dt.date(1964, 2, 29), 80) == dt.date(2044, 2, 29)
    assert anniversary(dt.date(1966, 2, 28), 80) == dt.date(2046, 2, 28)
    assert anniversary(dt.date(1968, 2, 29), 79) == dt.date(2047, 3, 1)
    assert anniversary(dt.date(1966, 12, 31), 60, 2) == dt.date(2027, 3, 1)


def test_a_date_from_no_shared_answer_or_not_a_date(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    found = problems(tmp_path / "a", EVENT.replace(SCHEDULE, 'not_before = { field = "birthday", years = 80 }'))
    assert any("'birthday', which is no shared answer" in p for p in found)
    found = problems(tmp_path / "b", EVENT.replace(SCHEDULE, 'not_before = { field = "phone", years = 80 }'))
    assert any("no required date or resident identity number" in p for p in found)


def test_no_part_waits_for_a_scheduled_part(tmp_path):
    found = problems(tmp_path, EVENT.replace('after = ["pension"]', 'after = ["pension", "allowance"]'))
    assert any("no part may wait for a part applied for on a later date" in p for p in found)
