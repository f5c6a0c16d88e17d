"""The one form of a life event: each shared answer asked once (as the first field it fills is
defined), then each part's own fields under the part's id (``<part>.<field>``); the fields an
earlier part hands on or the event fixes are not asked."""

from __future__ import annotations

from dataclasses import dataclass

from forms.catalog import Catalog
from forms.life_events import CREDENTIAL_OUTPUT, PART_FIELD, LifeEventPart, LifeEventSpec
from forms.spec import FieldSpec, ServiceSpec


@dataclass(frozen=True)
class AskedField:
    # The name in the one form's answers: a shared answer's name, or "<part>.<field>".
    name: str
    field: FieldSpec
    # The parts it is asked for (a shared answer: every part it fills).
    parts: tuple[str, ...]


def part_spec(catalog: Catalog, part: LifeEventPart) -> ServiceSpec:
    spec = catalog.version(part.service, part.version)
    assert spec is not None, "the catalog check makes sure every part's service version exists"
    return spec


def filed_spec(catalog: Catalog, part: LifeEventPart, stored: dict) -> ServiceSpec:
    """The service version a case's part was filed with (kept with it on the case, so a new version
    of the event or the service published meanwhile changes nothing for it); cases stored before
    that was kept use the version the event names."""
    spec = catalog.version(part.service, int(stored.get("version", part.version)))
    assert spec is not None, "a service version stays in the catalog while requests of it may come"
    return spec


def handed_credentials(part: LifeEventPart) -> set[str]:
    """The part's proofs filled with the credential an earlier part issues (never asked)."""
    return {f for f, source in part.from_parts.items() if source.partition(PART_FIELD)[2] == CREDENTIAL_OUTPUT}


def commitment_offered(event: LifeEventSpec, part: LifeEventPart, spec: ServiceSpec) -> bool:
    """Whether the one form offers the part's commitment: only in place of a proof it asks (one the
    event hands on needs none)."""
    return spec.commitment is not None and bool(set(spec.commitment.replaces) - event.filled_fields(part.id))


def one_form(catalog: Catalog, event: LifeEventSpec) -> list[AskedField]:
    asked: list[AskedField] = []
    for shared in event.shared:
        part_id, _, field_name = shared.into[0].partition(PART_FIELD)
        field = part_spec(catalog, event.part(part_id)).field(field_name)
        asked.append(AskedField(shared.name, field, tuple(t.partition(PART_FIELD)[0] for t in shared.into)))
    for part in event.parts:
        filled = event.filled_fields(part.id)
        for field in part_spec(catalog, part).fields:
            if field.name not in filled:
                asked.append(AskedField(f"{part.id}{PART_FIELD}{field.name}", field, (part.id,)))
    return asked


def part_answers(event: LifeEventSpec, part: LifeEventPart, answers: dict) -> dict:
    """The answers of one part's own form, from the one form's answers."""
    mine: dict = {}
    for shared in event.shared:
        for target in shared.into:
            part_id, _, field_name = target.partition(PART_FIELD)
            if part_id == part.id and shared.name in answers:
                mine[field_name] = answers[shared.name]
    prefix = part.id + PART_FIELD
    mine |= {name.removeprefix(prefix): value for name, value in answers.items() if name.startswith(prefix)}
    mine |= dict(part.fixed)
    return mine


def one_form_name(event: LifeEventSpec, part: LifeEventPart, field_name: str) -> str:
    """Where a part's field sits on the one form (to name a field error where the applicant sees it)."""
    for shared in event.shared:
        if f"{part.id}{PART_FIELD}{field_name}" in shared.into:
            return shared.name
    return f"{part.id}{PART_FIELD}{field_name}"


def personal_fields(catalog: Catalog, event: LifeEventSpec) -> dict[str, str]:
    """The one form's personal answers by name (``<name>.<field>`` inside groups), with their type:
    a shared answer is personal when a field it fills is (to seal them as a part's own form would)."""
    found: dict[str, str] = {}
    for part in event.parts:
        for name, kind in part_spec(catalog, part).personal_fields.items():
            head, dot, rest = name.partition(".")
            found[one_form_name(event, part, head) + dot + rest] = kind
    return found
