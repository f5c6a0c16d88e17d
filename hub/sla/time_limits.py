"""Planning a step's time limit and reminder (the workflows' ``TimeLimits`` port)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from hub.settings import Settings
from hub.sla.calendar import parse_days
from hub.sla.schedules import CalendarBook
from workflows.types import PlanTimeLimit, ResumeTimeLimit, TimeLimit


def reply_deadline(asked_at: datetime, settings: Settings) -> datetime:
    """The date an applicant asked for more information is told to answer by: the same in the
    message that asks and on the request's page."""
    return asked_at + timedelta(days=settings.information_reply_days)


class CalendarTimeLimits:
    """Working days on the mainland calendar (published schedules, the catalog's files, then the
    package) with the city's own days off; or, for tests and demonstrations, "working days" of a
    configured number of seconds."""

    def __init__(self, settings: Settings, calendars: CalendarBook | None = None, max_age: float = 0.0):
        if not 0 < settings.reminder_fraction < 1:
            raise ValueError("QINQING_REMINDER_FRACTION must be between 0 and 1")
        self.fraction = settings.reminder_fraction
        self.day_seconds = settings.working_day_seconds
        self.calendars = calendars if calendars is not None else CalendarBook({})
        self.extra_days_off = parse_days(settings.extra_days_off)
        self.extra_working_days = parse_days(settings.extra_working_days)
        # How late a schedule just published may be seen (``CalendarBook.refresh``): none for a
        # limit that is planned and kept, a second for a date only shown.
        self.max_age = max_age

    async def plan(self, request: PlanTimeLimit) -> TimeLimit:
        if self.day_seconds > 0:
            due = request.start + timedelta(seconds=self.day_seconds * request.working_days)
            provisional = False
        else:
            # Read at every plan: a schedule published since the last limit counts for this one.
            calendar = await self.calendars.calendar(self.extra_days_off, self.extra_working_days, self.max_age)
            due, provisional = calendar.plan(request.start, request.working_days)
        return TimeLimit(
            due_at=due, remind_at=request.start + (due - request.start) * self.fraction, provisional=provisional
        )

    async def resume(self, request: ResumeTimeLimit) -> TimeLimit:
        """The limit after a pause, moved by the working days the pause covered (``WorkingCalendar.resume``)
        on the calendar a new limit is planned on. With short "working days" of N seconds, the days are
        the N-second periods counted from the Unix epoch, and the limit moves by as many periods as the
        pause crossed the start of (a pause within one period moves nothing)."""
        if self.day_seconds > 0:
            crossed = math.floor(request.resumed_at.timestamp() / self.day_seconds) - math.floor(
                request.paused_at.timestamp() / self.day_seconds
            )
            shift = timedelta(seconds=self.day_seconds * max(crossed, 0))
            due, remind, provisional = request.due_at + shift, request.remind_at + shift, False
        else:
            calendar = await self.calendars.calendar(self.extra_days_off, self.extra_working_days, self.max_age)
            due, remind, provisional = calendar.resume(
                request.due_at, request.remind_at, request.paused_at, request.resumed_at
            )
        # Moved, not planned again: the limit stays as provisional as it was planned.
        return TimeLimit(due_at=due, remind_at=remind, provisional=request.provisional or provisional)

    async def plan_paused(
        self, start: datetime, working_days: int, pauses: Iterable[tuple[datetime, datetime]]
    ) -> TimeLimit:
        """A limit of ``working_days`` from ``start``, moved after each of its ``pauses`` (paused at,
        resumed at; in order) as a task's is when the applicant answers (``resume``)."""
        limit = await self.plan(PlanTimeLimit(start=start, working_days=working_days))
        for paused_at, resumed_at in pauses:
            limit = await self.resume(
                ResumeTimeLimit(
                    due_at=limit.due_at,
                    remind_at=limit.remind_at,
                    provisional=limit.provisional,
                    paused_at=paused_at,
                    resumed_at=resumed_at,
                )
            )
        return limit
