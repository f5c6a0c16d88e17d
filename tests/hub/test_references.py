"""References and document numbers carry their day of filing or issue in Beijing time, the day the
documents and pages show."""

from __future__ import annotations

import datetime as dt

from hub.documents.issuer import document_year
from hub.subsidies.claims import new_claim_ref
from hub.web.api.requests import new_ref

# 00:30 on the 29th in Beijing, still the 28th in UTC.
EARLY_MORNING = dt.datetime(2026, 11, 28, 16, 30, tzinfo=dt.UTC)


def test_a_request_filed_after_midnight_in_beijing_is_dated_that_day():
    ref = new_ref(EARLY_MORNING)
    assert ref.startswith("QQ261129") and len(ref) == 16


def test_a_claim_filed_after_midnight_in_beijing_is_dated_that_day():
    ref = new_claim_ref(EARLY_MORNING)
    assert ref.startswith("BT261129") and len(ref) == 16
    assert new_claim_ref(dt.datetime(2026, 11, 28, 15, 59, tzinfo=dt.UTC)).startswith("BT261128")


def test_a_document_issued_early_on_new_years_day_is_numbered_in_the_new_year():
    assert document_year(dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)) == 2027  # 01:00 in Beijing
    assert document_year(dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC)) == 2026
