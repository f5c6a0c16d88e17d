"""What the cockpit is asked (filters, checked) and what its reader may see (a scope)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec

from forms.spec import POST_CHECK_STAGE
from forms.validation import FieldError
from hub.actor import Actor
from hub.audit import EARLIEST, LATEST  # the days any filter may name
from hub.clock import today
from hub.commitments import POST_CHECK_TITLE
from hub.errors import forbidden, invalid_form
from hub.i18n import gettext
from hub.subsidies import parse_spec

if TYPE_CHECKING:
    from forms.catalog import Catalog

# Who reads the cockpit: supervisors their own department, administrators and auditors everything.
READERS = ("supervisor", "admin", "auditor")
# The longest period asked at once, and the default one (the last 30 days).
MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30


class Filters(msgspec.Struct, frozen=True):
    """A period of Beijing days (both included), and optionally one department and one service."""

    start: dt.date
    end: dt.date
    department: str | None = None
    service_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Scope:
    """The services and the department's tasks a reader sees for a set of filters, and their names
    in the reader's language."""

    locale: str
    services: tuple[str, ...]
    # Tasks of this department only; None: every department's.
    task_department: str | None
    service_titles: dict[str, str]
    owners: dict[str, str]
    department_names: dict[str, str]
    # The reader sees every service of the catalog (no department or service filter).
    every_service: bool = False
    # Each step's name by (service, stage id): the step of any version, the newest's name first.
    step_titles: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)

    def program_title(self, spec: Any) -> str:
        return parse_spec(spec).title.in_locale(self.locale)


def _date(field: str, value: str | None, default: dt.date, errors: list[FieldError]) -> dt.date:
    if value is None or value.strip() == "":
        return default
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError(field=field, code="date_parsing"))
        return default
    if not EARLIEST <= day <= LATEST:  # a period's arithmetic near year 9999 overflows
        context = {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
        errors.append(FieldError(field=field, code="date_out_of_range", context=context))
        return default
    return day


def parse_filters(
    catalog: Catalog, start: str | None, end: str | None, department: str | None, service: str | None
) -> Filters:
    """The filters as given (text, as a query string has them); every mistake is named by its field
    and nothing is read: an unknown department or service, a date that is not one, an end before the
    start or a period longer than ``MAX_DAYS``. Defaults: the last ``DEFAULT_DAYS`` days to today."""
    errors: list[FieldError] = []
    last = _date("end", end, today(), errors)
    first = _date("start", start, last - dt.timedelta(days=DEFAULT_DAYS - 1), errors)
    if not errors and not (first <= last <= first + dt.timedelta(days=MAX_DAYS - 1)):
        latest = first + dt.timedelta(days=MAX_DAYS - 1)
        errors.append(
            FieldError(
                field="end",
                code="date_out_of_range",
                context={"earliest": first.isoformat(), "latest": latest.isoformat()},
            )
        )
    department = (department or "").strip() or None
    if department is not None and department not in catalog.departments:
        errors.append(FieldError(field="department", code="invalid_choice"))
    service = (service or "").strip() or None
    if service is not None and catalog.latest(service) is None:
        errors.append(FieldError(field="service", code="invalid_choice"))
    if errors:
        raise invalid_form(errors)
    return Filters(start=first, end=last, department=department, service_id=service)


def require_reader(actor: Actor) -> None:
    """Supervisors, administrators and auditors read the cockpit; nobody else."""
    if actor.role not in READERS:
        raise forbidden()


def scope_of(catalog: Catalog, actor: Actor, filters: Filters) -> Scope:
    """What ``actor`` sees for ``filters``: a supervisor, their department only (another department
    named is refused); the services a department takes part in, and that department's tasks."""
    require_reader(actor)
    department = filters.department
    if actor.role == "supervisor":
        if department is not None and department != actor.department:
            raise forbidden(code="other-department")
        department = actor.department or ""
    specs = catalog.current()
    if department is not None:
        specs = [s for s in specs if department in s.departments]
    if filters.service_id is not None:
        specs = [s for s in specs if s.id == filters.service_id]
        if not specs and actor.role == "supervisor":
            raise forbidden(code="other-department")
    locale = actor.locale
    return Scope(
        locale=locale,
        services=tuple(sorted(s.id for s in specs)),
        task_department=department,
        service_titles={s.id: gettext(locale, s.title) for s in catalog.current()},
        owners={s.id: s.owner for s in catalog.current()},
        department_names={code: gettext(locale, d.name) for code, d in catalog.departments.items()},
        every_service=department is None and filters.service_id is None,
        step_titles=step_titles(catalog, locale),
    )


def step_titles(catalog: Catalog, locale: str) -> dict[tuple[str, str], str]:
    """Every step's name in ``locale`` by (service, stage id), the post-check of a commitment's too:
    the steps of older versions are counted with the newest, so the newest's name wins."""
    titles: dict[tuple[str, str], str] = {}
    for spec in sorted(catalog.services.values(), key=lambda s: s.version):
        titles[(spec.id, POST_CHECK_STAGE)] = gettext(locale, POST_CHECK_TITLE)
        titles.update({(spec.id, stage.id): gettext(locale, stage.title) for stage in spec.route})
    return titles
