"""The periods a governance report covers, and the mistakes an administrator can make naming one."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.clock import today
from hub.errors import HubError
from hub.governance.periods import next_monthly_report, parse_period, period_of
from workflows.governance.types import ReportPeriod


def fields(exc: pytest.ExceptionInfo[HubError]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.value.errors]


def test_ended_periods_and_their_days():
    month = parse_period("month", "2025", "2")
    assert (month.label, month.first, month.after) == ("2025-02", dt.date(2025, 2, 1), dt.date(2025, 3, 1))
    quarter = parse_period("quarter", 2025, 4)
    assert (quarter.label, quarter.first, quarter.after) == ("2025-Q4", dt.date(2025, 10, 1), dt.date(2026, 1, 1))
    assert quarter.months() == ["2025-10", "2025-11", "2025-12"]
    year = parse_period("year", "2025", None)
    assert (year.label, year.year_before().label) == ("2025", "2024")
    assert month.year_before().first == dt.date(2024, 2, 1)


def test_a_period_that_has_not_ended_is_refused():
    now = today()
    with pytest.raises(HubError) as refused:
        parse_period("month", now.year, now.month)
    assert fields(refused) == [("number", "period_not_ended")]
    with pytest.raises(HubError) as refused:
        parse_period("year", now.year, None)
    assert fields(refused) == [("year", "period_not_ended")]


@pytest.mark.parametrize(
    "kind,year,number,expected",
    [
        ("week", "2025", "3", [("kind", "unknown_period_kind")]),
        ("", "2025", "3", [("kind", "unknown_period_kind")]),
        ("month", "2025", "13", [("number", "period_number")]),
        ("quarter", "2025", "5", [("number", "period_number")]),
        ("month", "two thousand", "1", [("year", "period_number")]),
        ("month", None, None, [("year", "period_number"), ("number", "period_number")]),
    ],
)
def test_mistakes_are_named_by_their_field(kind, year, number, expected):
    with pytest.raises(HubError) as refused:
        parse_period(kind, year, number)
    assert refused.value.kind == "invalid" and fields(refused) == expected


def test_the_next_report_is_this_month_s_on_the_first_of_the_next():
    month, out_on = next_monthly_report(dt.date(2026, 12, 5))
    assert (month.label, out_on) == ("2026-12", dt.date(2027, 1, 1))
    assert month.name("zh_CN") == "2026年12月" and month.name("en") == "December 2026"
    # On the first of a month, the month just begun: the one before is made that day.
    assert next_monthly_report(dt.date(2026, 2, 1)) == (
        period_of(ReportPeriod(kind="month", year=2026, number=2)),
        dt.date(2026, 3, 1),
    )
