"""Planning a step's time limit and reminder (the workflows' ``TimeLimits`` port)."""

from __future__ import annotations

from datetime import timedelta

from hub.settings import Settings
from hub.sla.calendar import WorkingCalendar, parse_days
from workflows.types import PlanTimeLimit, TimeLimit


class CalendarTimeLimits:
    """Working days on the mainland calendar with the city's own days off; or, for tests and
    demonstrations, "working days" of a configured number of seconds."""

    def __init__(self, settings: Settings):
        if not 0 < settings.reminder_fraction < 1:
            raise ValueError("QINQING_REMINDER_FRACTION must be between 0 and 1")
        self.fraction = settings.reminder_fraction
        self.day_seconds = settings.working_day_seconds
        self.calendar = WorkingCalendar(
            extra_days_off=parse_days(settings.extra_days_off),
            extra_working_days=parse_days(settings.extra_working_days),
        )

    def plan(self, request: PlanTimeLimit) -> TimeLimit:
        if self.day_seconds > 0:
            due = request.start + timedelta(seconds=self.day_seconds * request.working_days)
        else:
            due = self.calendar.add_working_days(request.start, request.working_days)
        return TimeLimit(due_at=due, remind_at=request.start + (due - request.start) * self.fraction)
