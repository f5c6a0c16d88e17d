"""Loading the catalog: departments, service specs and working-day calendars from TOML files."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from .credentials import CredentialType, check_credentials, read_credential_types
from .life_events import LifeEventSpec, check_life_event
from .rules import CONTEXT_NAMES, compute_amount, free_names, parse_error, typed_answers
from .samples import example_answers
from .spec import PERSON_FACTS, Department, FieldSpec, ServiceSpec
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
    # Life events (forms/life_events/), by id.
    life_events: dict[str, LifeEventSpec] = field(default_factory=dict)
    # Credential types (forms/credentials.toml), by id.
    credentials: dict[str, CredentialType] = field(default_factory=dict)

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
    event_sources: dict[str, str] = {}
    for path in sorted((directory / "life_events").glob("*.toml")):
        source = f"life_events/{path.name}"
        try:
            event = LifeEventSpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{source}: not valid TOML: {exc}")
            continue
        except ValidationError as exc:
            problems += _pydantic_problems(source, exc)
            continue
        if event.id in catalog.life_events:
            problems.append(f"{source}: life event {event.id} is defined twice")
            continue
        catalog.life_events[event.id] = event
        event_sources[event.id] = source
    catalog.credentials, credential_problems = read_credential_types(directory)
    problems += credential_problems + check_credentials(catalog.credentials, {sid for sid, _ in catalog.services})
    # After the credential types: a part may hand on a credential to a later part.
    for event in catalog.life_events.values():
        problems += [
            f"{event_sources[event.id]}: {p}" for p in check_life_event(event, catalog.services, catalog.credentials)
        ]
    problems += check_materials(catalog)
    problems += check_search_words(catalog)
    problems += check_benefit_pays(catalog)
    catalog.calendars, calendar_problems = load_calendars(directory)
    problems += calendar_problems
    problems += notification_problems(directory)
    if problems:
        raise CatalogError(problems)
    return catalog


def notification_problems(directory: Path) -> list[str]:
    """The message templates' mistakes, when the catalog has a ``notifications.toml``."""
    from forms.notifications import check_templates, load_templates

    path = directory / "notifications.toml"
    if not path.exists():
        return []
    try:
        return check_templates(load_templates(path))
    except ValueError as exc:
        return [str(exc)]


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
    if spec.benefit is not None:
        problems += check_benefit(spec)
    if spec.instant and not any(s.kind == "check" for s in spec.route):
        problems.append(
            "instant = true needs a check stage in the route: approval by rule rests on automatic checks, "
            "and this route has none"
        )
    if spec.commitment is not None:
        problems += check_commitment(spec)
    problems += [f"field {name!r} can never be shown: {why}" for name, why in unreachable_fields(spec).items()]
    for group in (f for f in spec.fields if f.type == "group"):
        for sub in group.fields:
            # Expressions read group items as `item.name`; a dict method of that name would win.
            if sub.name in DICT_ATTRIBUTES:
                problems.append(f"field {sub.name!r} in group {group.name!r} has a reserved name; rename it")
    return problems


def check_materials(catalog: Catalog) -> list[str]:
    """Materials satisfied by credentials: every credential a file field or a material names is a
    type of forms/credentials.toml, and a material's ``field`` is a field of the form."""
    problems: list[str] = []
    if not catalog.credentials:
        return problems  # a catalog without credential types (a test's) has nothing to check them against
    for (service_id, version), spec in sorted(catalog.services.items()):
        where = f"services/{service_id} version {version}"
        for f in spec.fields:
            for proof in [f, *f.fields]:
                if proof.credential is not None and proof.credential not in catalog.credentials:
                    problems.append(f"{where}: field {proof.name!r} names an unknown credential {proof.credential!r}")
        for material in spec.materials:
            if isinstance(material, str):
                continue
            if material.credential is not None and material.credential not in catalog.credentials:
                problems.append(
                    f"{where}: material {material.title!r} names an unknown credential {material.credential!r}"
                )
            if material.field is not None and material.field not in spec.field_names:
                problems.append(
                    f"{where}: material {material.title!r} names {material.field!r}, not a field of the form"
                )
    return problems


def check_search_words(catalog: Catalog) -> list[str]:
    """Search words are read from a service's newest version only: words on an older version, when
    the newest has none, would never be searched (put on the wrong file)."""
    problems: list[str] = []
    for newest in catalog.current():
        if newest.search_words.listed():
            continue
        for (service_id, version), spec in sorted(catalog.services.items()):
            if service_id == newest.id and spec.search_words.listed():
                problems.append(
                    f"services/{service_id} version {version}: its search words are never searched; "
                    f"the search reads the newest version ({newest.version}), which has none"
                )
    return problems


def check_benefit_pays(catalog: Catalog) -> list[str]:
    """A benefit's service page says what it pays: the newest version of a benefit whose amount is a
    formula says it in words (``benefit.pays``), as no number can be shown; words on an older
    version only would never be shown (the page reads the newest)."""
    problems: list[str] = []
    for newest in catalog.current():
        benefit = newest.benefit
        if benefit is None or benefit.pays is not None:
            continue
        if benefit.fixed_amount is None:
            problems.append(
                f"services/{newest.id} version {newest.version}: its benefit's amount is a formula; "
                "say what it pays in benefit.pays (zh_CN and en)"
            )
        for (service_id, version), spec in sorted(catalog.services.items()):
            if service_id == newest.id and spec.benefit is not None and spec.benefit.pays is not None:
                problems.append(
                    f"services/{service_id} version {version}: its benefit.pays is never shown; "
                    f"the service page reads the newest version ({newest.version}), which has none"
                )
    return problems


def check_commitment(spec: ServiceSpec) -> list[str]:
    """A commitment stands in for proofs the form asks for: each replaced field is a required file
    field of the form (not inside a group), which no rule, condition or formula reads."""
    commitment = spec.commitment
    assert commitment is not None
    problems: list[str] = []
    fields = {f.name: f for f in spec.fields}
    expressions = [r.expression for r in spec.rules]
    expressions += [c.expression for s in spec.route for c in s.checks] + [s.when or "" for s in spec.route]
    expressions += [spec.outcome.amount or "", spec.benefit.amount if spec.benefit else ""]
    read = set().union(*(free_names(e) for e in expressions if e and not parse_error(e)))
    controllers = {f.visible_when.field for f in spec.fields if f.visible_when}
    for name in commitment.replaces:
        f = fields.get(name)
        if f is None:
            problems.append(f"commitment replaces {name!r}, which is not a field of the form")
        elif f.type != "file":
            problems.append(f"commitment replaces {name!r}: only a proof (a file field) can be replaced")
        elif not f.required:
            problems.append(f"commitment replaces {name!r}, which is optional already")
        elif name in read or name in controllers:
            problems.append(f"commitment replaces {name!r}, which a rule, condition or formula reads")
    return problems


def check_benefit(spec: ServiceSpec) -> list[str]:
    """A benefit's formulas read only the form and the registry's person facts, its payment fields
    exist, and its amount for the form's example answers is a payment (more than nothing, at most
    the maximum) at every age band it may meet."""
    benefit = spec.benefit
    assert benefit is not None
    problems: list[str] = []
    fields = {f.name: f for f in spec.fields}
    known = set(fields) | CONTEXT_NAMES | {"person"}
    formulas = {"benefit amount": benefit.amount, "benefit band": benefit.band or ""}
    for where, expression in formulas.items():
        if not expression:
            continue
        error = parse_error(expression)
        if error:
            problems.append(f"{where}: expression does not parse: {error}")
            continue
        for name in sorted(free_names(expression) - known):
            problems.append(f"{where}: refers to unknown field {name!r}")
        for fact in sorted(person_attributes(expression) - set(PERSON_FACTS)):
            problems.append(f"{where}: the registry holds no person.{fact} (it holds {', '.join(PERSON_FACTS)})")
    for role, field_name in (("payment method", benefit.payment_method_field), ("account", benefit.account_field)):
        if field_name is not None and field_name not in fields:
            problems.append(f"benefit {role} field {field_name!r} is not a field of the form")
    account = fields.get(benefit.account_field or "")
    if account is not None and account.type != "bank_account":
        problems.append(f"benefit account field {benefit.account_field!r} must be a bank_account field")
    if problems:
        return problems
    answers = typed_answers(spec, example_answers(spec))
    for age in (60, 80, 90, 100, 110):
        person = {"age": age, "alive": True, "resident": True, "born_on": None, "died_on": None, "moved_out_on": None}
        try:
            amount = compute_amount(benefit.amount, {**answers, "profile": {}, "enterprise": {}, "person": person})
        except Exception as exc:  # noqa: BLE001 - any failure is a mistake in the spec, reported
            problems.append(f"benefit amount: cannot be computed for the example answers at age {age}: {exc}")
            break
        if not Decimal(0) < amount <= benefit.maximum:
            problems.append(
                f"benefit amount: {amount} for the example answers at age {age} is not a payment "
                f"(more than 0, at most the maximum {benefit.maximum})"
            )
            break
    return problems


def person_attributes(expression: str) -> set[str]:
    """The ``person.<fact>`` names an expression reads."""
    tree = ast.parse(expression, mode="eval")
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "person"
    }


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
