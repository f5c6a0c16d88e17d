"""The date a request's decision is expected by, as its applicant is told it on its page and in the
API: the service's time limit in working days, counted from filing, and moved by the same rule as
the departments' limits (``hub.sla.time_limits``) while the applicant was asked for more: when
they answer, it moves by the working days the pause covered. Read from the request's timeline, so
it needs nothing the workflow does not record already."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import msgspec

from forms.spec import ServiceSpec
from hub.context import HubContext
from hub.sla.time_limits import CalendarTimeLimits
from workflows.types import FINAL_STATES

SHOWN_MAX_AGE = 1.0
# Dates counted, kept in this process (a few megabytes at most; emptied when full).
COUNTED = 10_000
_counted: dict[tuple[Any, ...], tuple[dt.datetime, bool]] = {}


class ExpectedDecision(msgspec.Struct):
    # The decision is expected by.
    by: dt.datetime
    # Waiting for the applicant's answer: the limit stands still, and ``by`` moves on by the
    # working days the answer takes.
    paused: bool
    # Counted across a year whose holiday schedule is not published yet (``WorkingCalendar.plan``):
    # the date may still move when it is.
    provisional: bool = False


def pauses(entries: Iterable[Any]) -> tuple[list[tuple[dt.datetime, dt.datetime]], dt.datetime | None]:
    """The times the request waited for its applicant, from its timeline steps: from a department's
    request for more information (the first, when several asked) to the answer, which resumes
    every task waiting for it; and when the pause still running began (None when none is)."""
    done: list[tuple[dt.datetime, dt.datetime]] = []
    since: dt.datetime | None = None
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.kind == "information_requested" and since is None:
            since = entry.at
        elif entry.kind == "information_supplied" and since is not None:
            done.append((since, entry.at))
            since = None
    return done, since


async def expected_decision(
    ctx: HubContext, spec: ServiceSpec | None, state: str, filed_at: dt.datetime, entries: Iterable[Any]
) -> ExpectedDecision | None:
    """When the decision of a request in ``state``, filed at ``filed_at``, is expected (None once it
    is closed, or while it is only prepared): the service's limit, moved after each pause in its
    timeline ``entries`` as the tasks' limits are."""
    if spec is None or state in FINAL_STATES or state == "prepared":
        return None
    done, running = pauses(entries)
    paused = running is not None or state == "waiting_applicant"
    # Shown, not kept: the calendar as read within the last second (a request's read is a hot path),
    # and a date counted once for the same filing, limit and pauses on the same schedules.
    await ctx.calendars.refresh(SHOWN_MAX_AGE)
    settings = ctx.settings
    calendar = (settings.working_day_seconds, settings.extra_days_off, settings.extra_working_days)
    key = (id(ctx.calendars), ctx.calendars.version, *calendar, filed_at, spec.time_limit_days, tuple(done))
    counted = _counted.get(key)
    if counted is None:
        limits = CalendarTimeLimits(ctx.settings, ctx.calendars, max_age=SHOWN_MAX_AGE)
        limit = await limits.plan_paused(filed_at, spec.time_limit_days, done)
        counted = (limit.due_at, limit.provisional)
        if len(_counted) >= COUNTED:
            _counted.clear()
        _counted[key] = counted
    by, provisional = counted
    return ExpectedDecision(by=by, paused=paused, provisional=provisional)
