"""A year's national holidays and make-up working days, as data: ``calendar/<year>.toml``.

The State Council publishes each year's schedule (国务院办公厅关于<year>年部分节假日安排的通知) in
the autumn before. A city transcribes it into a file here, or an administrator publishes the same
content through the hub; the working-day clock reads it before the ``chinese_calendar`` package, so
a year the package does not know yet is counted correctly from the day the notice is out.

Each holiday lists its days off and the make-up working days (调休上班) the notice ties to it::

    year = 2026
    notice = "国务院办公厅关于2026年部分节假日安排的通知"

    [[holidays]]
    name = { zh_CN = "元旦", en = "New Year's Day" }
    days_off = [2026-01-01, 2026-01-02, 2026-01-03]
    working_days = [2026-01-04]

Every other Monday to Friday is a working day, every other Saturday and Sunday a day off.
Structural mistakes are caught by pydantic as the file loads; ``check_calendar`` finds the rest.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .validation import no_control_characters

CALENDAR_DIR = "calendar"
# Years a schedule may be given for: far wider than any the hub will meet, narrow enough to refuse a typo.
FIRST_YEAR, LAST_YEAR = 2000, 2199


# Names are shown on every task page: no control or text-direction characters in them.
Line = Annotated[str, AfterValidator(no_control_characters(multiline=False))]


class CalendarModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class HolidayName(CalendarModel):
    """A holiday's name in both languages of the hub (shown as written, not through the catalogs)."""

    zh_CN: Line = Field(min_length=1, max_length=100)
    en: Line = Field(min_length=1, max_length=100)

    def in_locale(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh_CN


class Holiday(CalendarModel):
    """One public holiday of the notice: its days off and the make-up working days tied to it."""

    name: HolidayName
    days_off: list[dt.date] = Field(default=[], max_length=31)
    working_days: list[dt.date] = Field(default=[], max_length=10)


class YearCalendar(CalendarModel):
    """The national working-day schedule of one year."""

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    # The notice the schedule transcribes, so a reader can check it.
    notice: Line = Field(default="", max_length=300)
    holidays: list[Holiday] = Field(default=[], max_length=30)

    def days_off(self) -> frozenset[dt.date]:
        return frozenset(day for holiday in self.holidays for day in holiday.days_off)

    def working_days(self) -> frozenset[dt.date]:
        return frozenset(day for holiday in self.holidays for day in holiday.working_days)

    def holiday_of(self, day: dt.date) -> Holiday | None:
        """The holiday ``day`` is off (or a make-up working day) for, if any."""
        return next((h for h in self.holidays if day in h.days_off or day in h.working_days), None)


@dataclass(frozen=True)
class CalendarProblem:
    """One mistake in a calendar: where (a dotted path such as ``holidays.0.days_off.2``), a stable
    code, the values a message needs, and an English message for the command line."""

    field: str
    code: str
    message: str
    # dataclass_field: the attribute above is named ``field``, which would hide dataclasses.field here.
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class CalendarInvalid(ValueError):
    """A calendar that cannot be used as it is; ``problems`` lists every mistake."""

    def __init__(self, problems: list[CalendarProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _days(calendar: YearCalendar) -> Iterator[tuple[str, str, dt.date]]:
    """(path, kind, day) for every day the calendar lists, in the order written."""
    for i, holiday in enumerate(calendar.holidays):
        for kind in ("days_off", "working_days"):
            for j, day in enumerate(getattr(holiday, kind)):
                yield f"holidays.{i}.{kind}.{j}", kind, day


def check_calendar(calendar: YearCalendar, year: int | None = None) -> list[CalendarProblem]:
    """Mistakes the model cannot see alone: the year expected (of the file name or the address), dates
    outside the year, a day both off and working, a day listed twice, a year without holidays or a
    holiday without days off."""
    problems: list[CalendarProblem] = []
    if year is not None and calendar.year != year:
        problems.append(
            CalendarProblem(
                "year",
                "calendar_year_mismatch",
                f"the calendar is for {calendar.year}, but it is given as the calendar of {year}",
                {"year": calendar.year, "expected": year},
            )
        )
    if not calendar.holidays:
        problems.append(CalendarProblem("holidays", "calendar_no_holidays", "list the year's public holidays"))
    for i, holiday in enumerate(calendar.holidays):
        if not holiday.days_off:
            problems.append(CalendarProblem(f"holidays.{i}.days_off", "missing", "a holiday needs its days off"))
    off = calendar.days_off()
    seen: set[tuple[str, dt.date]] = set()
    for where, kind, day in _days(calendar):
        if day.year != calendar.year:
            problems.append(
                CalendarProblem(
                    where,
                    "calendar_outside_year",
                    f"{day.isoformat()} is not in {calendar.year}",
                    {"day": day.isoformat(), "year": calendar.year},
                )
            )
        elif kind == "working_days" and day in off:
            problems.append(
                CalendarProblem(
                    where,
                    "calendar_off_and_working",
                    f"{day.isoformat()} is listed both as a day off and as a working day",
                    {"day": day.isoformat()},
                )
            )
        elif (kind, day) in seen:
            problems.append(
                CalendarProblem(
                    where, "calendar_listed_twice", f"{day.isoformat()} is listed twice", {"day": day.isoformat()}
                )
            )
        seen.add((kind, day))
    return problems


def validation_problems(exc: ValidationError) -> list[CalendarProblem]:
    """Pydantic's errors as calendar problems, each with the path of the value it is about."""
    out = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        out.append(CalendarProblem(where, error["type"], error["msg"], dict(error.get("ctx") or {})))
    return out


def parse_calendar(data: dict[str, Any], year: int | None = None) -> YearCalendar:
    """A checked calendar from its content (a parsed file, or a published JSON body); raises
    ``CalendarInvalid`` listing every mistake."""
    try:
        calendar = YearCalendar.model_validate(data)
    except ValidationError as exc:
        raise CalendarInvalid(validation_problems(exc)) from None
    problems = check_calendar(calendar, year)
    if problems:
        raise CalendarInvalid(problems)
    return calendar


def load_calendars(directory: Path) -> tuple[dict[int, YearCalendar], list[str]]:
    """The calendars of ``<directory>/calendar/<year>.toml``, and every mistake found, one line each
    (a file with a mistake is left out)."""
    calendars: dict[int, YearCalendar] = {}
    problems: list[str] = []
    for path in sorted((directory / CALENDAR_DIR).glob("*.toml")):
        source = f"{CALENDAR_DIR}/{path.name}"
        if not (path.stem.isdigit() and len(path.stem) == 4):
            problems.append(f"{source}: a calendar file is named after its year, such as 2027.toml")
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{source}: not valid TOML: {exc}")
            continue
        try:
            calendars[int(path.stem)] = parse_calendar(data, int(path.stem))
        except CalendarInvalid as exc:
            problems += [f"{source}: {p}" for p in exc.problems]
    return calendars, problems
