"""Life events as data (一件事一次办): one application for everything a life event needs.

A life event (``forms/life_events/*.toml``) names its parts, each a service of the catalog at a
version; the answers the parts share, asked once and mapped into each part's fields; the order
between parts (``after``) and what an earlier part hands on to a later one (``from_parts``: its
decision's number, that it was approved); and which parts the applicant may leave out. The catalog
check (``check_life_event``) finds unknown services or fields, cycles, shared answers whose types
disagree, and a required field that nothing fills.

A part may be applied for on a later date rather than now (``not_before``): the 80th birthday of a
person retiring at 60, for the old-age allowance. It names a shared answer holding a date or a
resident identity number (whose birth date counts) and how long after it the part is due::

    not_before = { field = "resident_id", years = 80 }

The one form asks the part's answers now and says on which date it will be applied for; its
service's rules are checked on that date, when it is filed, not at the one form (at 60 nobody is 80
yet). The case shows it as scheduled with its date until then; a date already passed files it at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, model_validator

from .credentials import CredentialType
from .rules import birth_date
from .spec import Audience, EnterpriseStage, Identifier, LifeEvent, SearchWords, ServiceSpec, SpecModel

# What an approved part hands on: its decision notice's number, that it was approved, and the
# credential its approval issued (for a file field naming that credential type).
PART_OUTPUTS = ("decision_number", "approved", "credential")
CREDENTIAL_OUTPUT = "credential"
# The separator between a part's id and one of its fields in the one form's answers.
PART_FIELD = "."


# The field types a part's date may be counted from: a date, or a resident identity number's birth date.
DATE_SOURCES = ("date", "resident_id")


class NotBefore(SpecModel):
    """When a part is due: ``years`` and ``months`` after the date a shared answer holds."""

    field: Identifier
    years: int = Field(default=0, ge=0, le=120)
    months: int = Field(default=0, ge=0, le=11)

    @model_validator(mode="after")
    def _check(self) -> NotBefore:
        if not (self.years or self.months):
            raise ValueError("not_before needs years or months after its date")
        return self


def anniversary(start: dt.date, years: int, months: int = 0) -> dt.date:
    """The day ``years`` and ``months`` after ``start``; a day the month lacks (29 February in a
    common year) falls on the next month's first, as completed years are counted by the rules."""
    total = start.month - 1 + months
    year, month = start.year + years + total // 12, total % 12 + 1
    try:
        return dt.date(year, month, start.day)
    except ValueError:
        return dt.date(year + month // 12, month % 12 + 1, 1)


class LifeEventPart(SpecModel):
    """One service of the life event."""

    id: Identifier
    service: Identifier
    version: int = Field(ge=1)
    # What the applicant is offered ("Apply for the disability living subsidy too").
    title: str
    optional: bool = False
    # Parts that must be approved before this one is filed with its department.
    after: list[Identifier] = []
    # This part's fields filled from an earlier part's output: field -> "<part>.<output>".
    from_parts: dict[Identifier, str] = {}
    # This part's fields given a fixed value (e.g. a yes/no the event already answers).
    fixed: dict[Identifier, Any] = {}
    # Applied for on a later date, automatically: its rules are checked then.
    not_before: NotBefore | None = None


class SharedAnswer(SpecModel):
    """An answer asked once on the one form and filled into a field of each part named in ``into``."""

    name: Identifier
    into: list[str] = Field(min_length=1)


class LifeEventSpec(SpecModel):
    id: Identifier
    version: int = Field(ge=1)
    title: str
    summary: str
    audience: list[Audience] = ["citizen"]
    # The group of services on the portal this event applies for at once: a citizen's life event or
    # an enterprise's stage.
    life_event: LifeEvent | None = None
    enterprise_stage: EnterpriseStage | None = None
    # Everyday names the catalog's search finds it by, per language, as a service's.
    search_words: SearchWords = SearchWords()
    shared: list[SharedAnswer] = []
    parts: list[LifeEventPart] = Field(min_length=2)
    # What a rejected part does to the parts that wait for it: they are withdrawn (with a notice),
    # or they go on regardless.
    on_rejection: Literal["withdraw_dependents", "continue"] = "withdraw_dependents"

    @model_validator(mode="after")
    def _check(self) -> LifeEventSpec:
        ids = [p.id for p in self.parts]
        if len(set(ids)) != len(ids):
            raise ValueError("part ids must be unique")
        names = [s.name for s in self.shared]
        if len(set(names)) != len(names):
            raise ValueError("shared answer names must be unique")
        return self

    def part(self, part_id: str) -> LifeEventPart:
        return next(p for p in self.parts if p.id == part_id)

    def order(self) -> list[LifeEventPart]:
        """The parts, each after those it waits for, otherwise in the order the event lists them
        (raises ValueError on a cycle)."""
        done: list[str] = []
        waiting = {p.id: set(p.after) for p in self.parts}
        while waiting:
            ready = [pid for pid, deps in waiting.items() if deps <= set(done)]
            if not ready:
                raise ValueError(f"the parts wait for each other in a cycle: {', '.join(sorted(waiting))}")
            done += ready
            for pid in ready:
                del waiting[pid]
        return [self.part(pid) for pid in done]

    def waits_for(self, part_id: str) -> set[str]:
        """The parts this one waits for, directly or through the parts it waits for."""
        found: set[str] = set()
        todo = list(self.part(part_id).after)
        while todo:
            dep = todo.pop()
            if dep not in found and dep in {p.id for p in self.parts}:
                found.add(dep)
                todo += self.part(dep).after
        return found

    def filled_fields(self, part_id: str) -> set[str]:
        """The fields of a part that the one form does not ask as the part's own: shared, handed on
        by an earlier part, or fixed."""
        part = self.part(part_id)
        shared = {
            target.partition(PART_FIELD)[2]
            for s in self.shared
            for target in s.into
            if target.startswith(part_id + PART_FIELD)
        }
        return shared | set(part.from_parts) | set(part.fixed)

    def date_field(self, part_id: str) -> str | None:
        """The part's own field that holds the date its ``not_before`` counts from."""
        part = self.part(part_id)
        if part.not_before is None:
            return None
        shared = next((s for s in self.shared if s.name == part.not_before.field), None)
        targets = [
            t.partition(PART_FIELD)[2] for t in (shared.into if shared else []) if t.startswith(part_id + PART_FIELD)
        ]
        return targets[0] if targets else None

    def due_on(self, part_id: str, answers: dict[str, Any]) -> dt.date | None:
        """The date a scheduled part is applied for, from the part's own (checked) answers; None for
        a part applied for now."""
        part = self.part(part_id)
        name = self.date_field(part_id)
        if part.not_before is None or name is None or not answers.get(name):
            return None
        value = answers[name]
        start = (
            value
            if isinstance(value, dt.date)
            else (dt.date.fromisoformat(str(value)) if "-" in str(value) else birth_date(str(value)))
        )
        return anniversary(start, part.not_before.years, part.not_before.months)


def _credential_problems(
    event: LifeEventSpec,
    part: LifeEventPart,
    spec: ServiceSpec,
    specs: dict[str, ServiceSpec],
    credentials: dict[str, CredentialType] | None,
) -> list[str]:
    """A credential handed on fills a proof: a file field naming a credential type that the source
    part's service issues."""
    problems = []
    for target, source in part.from_parts.items():
        source_part, _, output = source.partition(PART_FIELD)
        if output != CREDENTIAL_OUTPUT or target not in spec.field_names:
            continue
        kind = spec.field(target).credential
        if kind is None:
            problems.append(f"part {part.id!r}: {target!r} takes a credential, but names no credential type")
            continue
        issuer = specs.get(source_part)
        known = (credentials or {}).get(kind)
        # An unknown type is the service's own mistake, reported with it.
        if known is not None and issuer is not None and issuer.id not in known.issued_by:
            problems.append(f"part {part.id!r}: {target!r} takes a {kind}, which {source_part!r} does not issue")
    return problems


def check_life_event(
    event: LifeEventSpec,
    services: dict[tuple[str, int], ServiceSpec],
    credentials: dict[str, CredentialType] | None = None,
) -> list[str]:
    """Mistakes a life event cannot see alone: its services, their fields, its order, its answers,
    and the credentials its parts hand on (``credentials``: the types of forms/credentials.toml)."""
    problems: list[str] = []
    specs: dict[str, ServiceSpec] = {}
    for part in event.parts:
        spec = services.get((part.service, part.version))
        if spec is None:
            problems.append(f"part {part.id!r}: no service {part.service!r} version {part.version}")
            continue
        if not set(event.audience) <= set(spec.audience):
            problems.append(f"part {part.id!r}: {part.service} is not for {', '.join(event.audience)}")
        specs[part.id] = spec
    part_ids = {p.id for p in event.parts}
    for part in event.parts:
        for dep in part.after:
            if dep not in part_ids:
                problems.append(f"part {part.id!r}: waits for an unknown part {dep!r}")
        for target, source in part.from_parts.items():
            source_part, _, output = source.partition(PART_FIELD)
            if source_part not in event.waits_for(part.id):
                problems.append(f"part {part.id!r}: {target!r} comes from {source_part!r}, which it does not wait for")
            if output not in PART_OUTPUTS:
                problems.append(f"part {part.id!r}: {source!r} names no output (known: {', '.join(PART_OUTPUTS)})")
        spec = specs.get(part.id)
        if spec is not None:
            for name in [*part.from_parts, *part.fixed]:
                if name not in spec.field_names:
                    problems.append(f"part {part.id!r}: {part.service} has no field {name!r}")
            problems += _credential_problems(event, part, spec, specs, credentials)
        if part.not_before is not None:
            date_field = event.date_field(part.id)
            if part.not_before.field not in {s.name for s in event.shared}:
                problems.append(
                    f"part {part.id!r}: not_before counts from {part.not_before.field!r}, which is no shared answer"
                )
            elif date_field is None:
                problems.append(
                    f"part {part.id!r}: not_before counts from {part.not_before.field!r}, which does not fill it"
                )
            elif spec is not None and (name := date_field) in spec.field_names:
                if spec.field(name).type not in DATE_SOURCES or not spec.field(name).required:
                    problems.append(
                        f"part {part.id!r}: not_before counts from {name!r}, which is no required date or resident identity number"
                    )
            if part.after:
                problems.append(f"part {part.id!r}: a part applied for on a later date waits for no other part")
            if any(part.id in other.after for other in event.parts):
                problems.append(f"part {part.id!r}: no part may wait for a part applied for on a later date")
    try:
        event.order()
    except ValueError as exc:
        problems.append(str(exc))
    for shared in event.shared:
        types = set()
        for target in shared.into:
            part_id, _, field_name = target.partition(PART_FIELD)
            spec = specs.get(part_id)
            if part_id not in part_ids:
                problems.append(f"shared answer {shared.name!r}: unknown part {part_id!r}")
                continue
            if spec is None:
                continue
            if field_name not in spec.field_names:
                problems.append(f"shared answer {shared.name!r}: {spec.id} has no field {field_name!r}")
                continue
            f = spec.field(field_name)
            types.add((f.type, tuple(o.value for o in f.options)))
        if len(types) > 1:
            problems.append(f"shared answer {shared.name!r}: the fields it fills disagree on their type or options")
    # A required field must be asked or filled: one the form asks as the part's own is asked, so only
    # a field filled from a part that is left out could stay empty.
    for part in event.parts:
        for target, source in part.from_parts.items():
            source_part = source.partition(PART_FIELD)[0]
            if source_part in part_ids and event.part(source_part).optional and not part.optional:
                problems.append(
                    f"part {part.id!r}: {target!r} comes from the optional part {source_part!r}, so it may never be filled"
                )
    return problems
