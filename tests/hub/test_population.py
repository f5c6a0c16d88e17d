"""The synthetic residents of the demo register: valid identity numbers, aged 80 and over, unique."""

from __future__ import annotations

import datetime as dt

from forms.rules import birth_date, years_between
from forms.validation import _resident_id
from hub.registry.population import elderly_people


def test_synthetic_elderly_residents_have_valid_numbers_and_ages():
    today = dt.date(2026, 11, 1)
    people = elderly_people(500, today=today)
    numbers = [p["resident_id"] for p in people]
    assert len(set(numbers)) == 500
    for person in people:
        assert _resident_id(person["resident_id"]) == person["resident_id"]
        assert birth_date(person["resident_id"]) == person["born_on"]
        assert 80 <= years_between(person["born_on"], today) <= 105
