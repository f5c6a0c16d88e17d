"""References and document numbers carry their day of filing or issue in Beijing time, the day the
documents and pages show; a reconciliation report is named after the Beijing day it closes."""

from __future__ import annotations

import datetime as dt

from hub.documents.issuer import document_year
from hub.payments.reconciliation import reconciliation_day
from hub.requests.references import new_ref
from hub.subsidies.claims import new_claim_ref

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


def test_a_reconciliation_report_is_named_after_the_beijing_day_it_closes():
    # The scheduled run, at 01:00 on the 29th in Beijing (17:00 UTC), closes the 28th.
    assert reconciliation_day(dt.datetime(2026, 11, 28, 17, 0, 0, 50000, tzinfo=dt.UTC)) == dt.date(2026, 11, 28)
    # A run by hand at 07:30 on the 29th in Beijing reports on the 29th so far (UTC still says the 28th).
    assert reconciliation_day(dt.datetime(2026, 11, 28, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 11, 29)
    assert reconciliation_day(dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 29)
    assert reconciliation_day(EARLY_MORNING) == dt.date(2026, 11, 28)  # 00:30: the 28th is not closed yet
