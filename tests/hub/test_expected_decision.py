"""The date a request's decision is expected by follows the rule of the departments' limits: it
stands still while the applicant is asked for more, and moves by the working days the pause covered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hub.requests.expected import pauses
from hub.settings import load_settings
from hub.sla.schedules import CalendarBook
from hub.sla.time_limits import CalendarTimeLimits
from tests.hub.test_calendar import MemoryStore, at, end_of

START = datetime(2026, 12, 11, 6, 0, 0, tzinfo=UTC)  # a multiple of 10 seconds since the epoch


def step(kind: str, seconds: int) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, at=START + timedelta(seconds=seconds))


def test_pauses_run_from_the_first_ask_to_the_answer():
    entries = [
        step("submitted", 0),
        step("information_supplied", 31),  # the answer to the second ask, listed out of order
        step("information_requested", 3),
        step("information_requested", 5),  # a second department asks while the first waits
        step("information_supplied", 12),
        step("information_supplied", 12),  # one step per task the answer resumes
        step("information_requested", 20),
        step("information_requested", 40),
    ]
    done, running = pauses(entries)
    assert done == [
        (START + timedelta(seconds=3), START + timedelta(seconds=12)),
        (START + timedelta(seconds=20), START + timedelta(seconds=31)),
    ]
    assert running == START + timedelta(seconds=40)
    assert pauses([step("submitted", 0)]) == ([], None)


def test_a_paused_limit_moves_as_a_task_s_does():
    limits = CalendarTimeLimits(load_settings({"QINQING_WORKING_DAY_SECONDS": "10"}), CalendarBook({}, MemoryStore()))
    plain = asyncio.run(limits.plan_paused(START, 5, []))
    assert plain.due_at == START + timedelta(seconds=50)
    # Paused across two "working days" (the starts of 10 s and 20 s), then within one (nothing).
    spans = [
        (START + timedelta(seconds=3), START + timedelta(seconds=21)),
        (START + timedelta(seconds=31), START + timedelta(seconds=38)),
    ]
    assert asyncio.run(limits.plan_paused(START, 5, spans)).due_at == START + timedelta(seconds=70)


def test_on_the_working_day_calendar_a_weekend_pause_moves_the_limit_by_one_day():
    limits = CalendarTimeLimits(load_settings({}), CalendarBook({}, MemoryStore()))
    filed = at("2026-12-01T10:00")  # a Tuesday: 5 working days end on Tuesday 8 December
    assert asyncio.run(limits.plan_paused(filed, 5, [])).due_at == end_of("2026-12-08")
    # Asked on Friday 4 December, answered on Monday 7 December: one working day.
    friday_to_monday = [(at("2026-12-04T15:00"), at("2026-12-07T09:00"))]
    assert asyncio.run(limits.plan_paused(filed, 5, friday_to_monday)).due_at == end_of("2026-12-09")


def test_a_date_shown_again_is_not_counted_again_until_a_schedule_is_published(monkeypatch):
    from forms.catalog import load_catalog
    from forms.working_days import parse_calendar
    from hub.requests import expected
    from tests.hub.test_calendar import TEST_2027

    store = MemoryStore()
    ctx = SimpleNamespace(settings=load_settings({}), calendars=CalendarBook({}, store))
    spec = load_catalog().latest("elderly-care-allowance")
    counted = []
    plan = CalendarTimeLimits.plan_paused

    async def counting(self, *args):
        counted.append(args)
        return await plan(self, *args)

    monkeypatch.setattr(CalendarTimeLimits, "plan_paused", counting)
    monkeypatch.setattr(expected, "SHOWN_MAX_AGE", 0.0)  # every read asks whether one was published
    filed = at("2026-12-28T10:00")  # its limit runs into 2027
    first = asyncio.run(expected.expected_decision(ctx, spec, "in_review", filed, []))
    again = asyncio.run(expected.expected_decision(ctx, spec, "in_review", filed, []))
    assert first == again and len(counted) == 1
    # Counted without 2027's schedule, the date is said to be provisional.
    assert first is not None and first.provisional
    store.publish(parse_calendar(TEST_2027, 2027))
    after = asyncio.run(expected.expected_decision(ctx, spec, "in_review", filed, []))
    # Counted again on the schedule now published, and no longer provisional.
    assert len(counted) == 2 and after is not None and not after.provisional
    # A limit that ends before the unknown year is not provisional.
    early = asyncio.run(expected.expected_decision(ctx, spec, "in_review", at("2026-11-02T10:00"), []))
    assert early is not None and not early.provisional
