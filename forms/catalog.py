"""Loading the catalog: departments and service specs from TOML files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .rules import parse_error
from .spec import Department, ServiceSpec

CATALOG_DIR = Path(__file__).parent


class CatalogError(Exception):
    """The catalog has mistakes; ``problems`` says where and what, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Catalog:
    """Every department and every service (each version), indexed for lookup."""

    departments: dict[str, Department]
    services: dict[tuple[str, int], ServiceSpec] = field(default_factory=dict)

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
    """Load and check ``departments.toml`` and ``services/*.toml``; raises CatalogError listing every mistake."""
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
    if problems:
        raise CatalogError(problems)
    return catalog


def check_service(spec: ServiceSpec, departments: dict[str, Department]) -> list[str]:
    """Cross-references a spec cannot check alone: departments and rule expressions."""
    problems = []
    for code in spec.departments:
        if code not in departments:
            problems.append(f"unknown department {code!r}")
    for rule in spec.rules:
        error = parse_error(rule.expression)
        if error:
            problems.append(f"rule {rule.id!r}: expression does not parse: {error}")
    return problems
