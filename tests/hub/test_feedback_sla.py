"""Where a follow-up or grievance stands against its time limit: on track, at risk once the
reminder share of the limit has passed, breached after it; answered, met or breached by when."""

from __future__ import annotations

import datetime as dt

from hub.feedback import sla_state

OPENED = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
DUE = OPENED + dt.timedelta(days=8)


def case(answered_at: dt.datetime | None = None) -> dict:
    return {"opened_at": OPENED, "due_at": DUE, "answered_at": answered_at}


def test_an_open_case_is_on_track_then_at_risk_then_breached():
    assert sla_state(case(), OPENED + dt.timedelta(days=1), 0.75) == "on_track"
    assert sla_state(case(), OPENED + dt.timedelta(days=5, hours=23), 0.75) == "on_track"
    assert sla_state(case(), OPENED + dt.timedelta(days=6), 0.75) == "at_risk"
    assert sla_state(case(), DUE, 0.75) == "at_risk"
    assert sla_state(case(), DUE + dt.timedelta(seconds=1), 0.75) == "breached"


def test_an_answered_case_is_judged_by_when_it_was_answered():
    late_reading = DUE + dt.timedelta(days=30)
    assert sla_state(case(DUE - dt.timedelta(hours=1)), late_reading, 0.75) == "met"
    assert sla_state(case(DUE + dt.timedelta(hours=1)), late_reading, 0.75) == "breached"
