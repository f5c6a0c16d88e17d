"""What crosses the governance report workflow's boundary (pydantic, for Temporal's converter)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

PeriodKind = Literal["month", "quarter", "year"]


class ReportPeriod(BaseModel):
    """A period the report covers: a month (number 1-12), a quarter (1-4) or a year (number 0)."""

    kind: PeriodKind
    year: int
    number: int = 0


class MakeReport(BaseModel):
    """Make the report of ``period``; None: the month before the one ``at`` falls in (Beijing)."""

    period: ReportPeriod | None = None


class IssueReport(BaseModel):
    period: ReportPeriod
    issued_at: dt.datetime


class IssuedReport(BaseModel):
    """The report's documents, one per language: number and verification code of each."""

    label: str
    documents: dict[str, str]  # locale -> verification code
    numbers: dict[str, str]  # locale -> document number


def previous_month(day: dt.date) -> ReportPeriod:
    """The month before the one ``day`` falls in: the month the schedule's run reports on."""
    first = day.replace(day=1) - dt.timedelta(days=1)
    return ReportPeriod(kind="month", year=first.year, number=first.month)
