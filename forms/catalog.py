"""Loading the catalog: departments, service specs and working-day calendars from TOML files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .rules import CONTEXT_NAMES, free_names, parse_error
from .spec import Department, FieldSpec, ServiceSpec
from .working_days import YearCalendar, load_calendars

CATALOG_DIR = Path(__file__).parent
DICT_ATTRIBUTES = frozenset(dir(dict))


class CatalogError(Exception):
    """The catalog has mistakes; ``problems`` says where and what, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Catalog:
    """Every department and every service (each version), indexed for lookup; the national
    working-day calendars kept as files, by year."""

    departments: dict[str, Department]
    services: dict[tuple[str, int], ServiceSpec] = field(default_factory=dict)
    calendars: dict[int, YearCalendar] = field(default_factory=dict)

    def latest(self, service_id: str) -> ServiceSpec | None:
        versions = [s for (sid, _), s in self.services.items() if sid == service_id]
        return max(versions, key=lambda s: s.version) if versions else None

    def version(self, service_id: str, version: int) -> ServiceSpec | None:
        return self.services.get((service_id, version))

    def current(self) -> list[ServiceSpec]:
        """The newest version of each service, ordered by id."""
        ids = sorted({sid for sid, _ in self.services})
        return [s for s in (self.latest(i) for i in ids) if s is not None]


def _pydantic_problems(source: str, exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"])
        out.append(f"{source}: {where + ': ' if where else ''}{e['msg']}")
    return out


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Load and check ``departments.toml``, ``services/*.toml`` and ``calendar/*.toml``; raises
    CatalogError listing every mistake."""
    problems: list[str] = []
    departments: dict[str, Department] = {}
    dept_file = directory / "departments.toml"
    try:
        for raw in tomllib.loads(dept_file.read_text(encoding="utf-8")).get("department", []):
            try:
                d = Department.model_validate(raw)
                departments[d.code] = d
            except ValidationError as exc:
                problems += _pydantic_problems(dept_file.name, exc)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{dept_file.name}: {exc}")

    catalog = Catalog(departments=departments)
    for path in sorted((directory / "services").glob("*.toml")):
        source = f"services/{path.name}"
        try:
            spec = ServiceSpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{source}: not valid TOML: {exc}")
            continue
        except ValidationError as exc:
            problems += _pydantic_problems(source, exc)
            continue
        key = (spec.id, spec.version)
        if key in catalog.services:
            problems.append(f"{source}: {spec.id} version {spec.version} is defined twice")
            continue
        problems += [f"{source}: {p}" for p in check_service(spec, departments)]
        catalog.services[key] = spec
    catalog.calendars, calendar_problems = load_calendars(directory)
    problems += calendar_problems
    if problems:
        raise CatalogError(problems)
    return catalog


def check_service(spec: ServiceSpec, departments: dict[str, Department]) -> list[str]:
    """Mistakes a spec cannot see alone: departments, expressions, names, reachability."""
    problems = []
    for code in spec.departments:
        if code not in departments:
            problems.append(f"unknown department {code!r}")
    fields = {f.name: f for f in spec.fields}
    known = set(fields) | CONTEXT_NAMES

    def check_expression(where: str, expression: str) -> None:
        error = parse_error(expression)
        if error:
            problems.append(f"{where}: expression does not parse: {error}")
            return
        for name in sorted(free_names(expression) - known):
            problems.append(f"{where}: refers to unknown field {name!r}")

    for rule in spec.rules:
        check_expression(f"rule {rule.id!r}", rule.expression)
    for stage in spec.route:
        for check in stage.checks:
            check_expression(f"stage {stage.id!r}, check {check.id!r}", check.expression)
        if stage.when is not None:
            check_expression(f"stage {stage.id!r}, condition", stage.when)
    if spec.outcome.amount is not None:
        check_expression("amount formula", spec.outcome.amount)
    problems += [f"field {name!r} can never be shown: {why}" for name, why in unreachable_fields(spec).items()]
    for group in (f for f in spec.fields if f.type == "group"):
        for sub in group.fields:
            # Expressions read group items as `item.name`; a dict method of that name would win.
            if sub.name in DICT_ATTRIBUTES:
                problems.append(f"field {sub.name!r} in group {group.name!r} has a reserved name; rename it")
    return problems


def unreachable_fields(spec: ServiceSpec) -> dict[str, str]:
    """Fields whose visibility condition can never hold, with the reason."""
    fields = {f.name: f for f in spec.fields}
    reasons: dict[str, str] = {}

    def why(f: FieldSpec, seen: tuple[str, ...]) -> str | None:
        cond = f.visible_when
        if cond is None:
            return None
        if cond.field not in fields:
            return f"it depends on unknown field {cond.field!r}"
        if cond.field in seen or cond.field == f.name:
            return "its visibility conditions form a cycle"
        controller = fields[cond.field]
        if controller.type in ("choice", "multi_choice"):
            values = {o.value for o in controller.options}
            if not any(v in values for v in cond.equals if isinstance(v, str)):
                wanted = ", ".join(repr(v) for v in cond.equals)
                return f"{controller.name!r} has no option {wanted}"
        elif controller.type == "boolean" and not any(isinstance(v, bool) for v in cond.equals):
            return f"{controller.name!r} is yes/no, but the condition compares it with {cond.equals!r}"
        upstream = why(controller, (*seen, f.name))
        return f"it depends on {controller.name!r}, which can never be shown" if upstream else None

    for f in spec.fields:
        reason = why(f, ())
        if reason:
            reasons[f.name] = reason
    return reasons
