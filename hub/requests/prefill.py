"""Prefill: what the government already holds for a form's fields (the applicant's profile, the
enterprise's registry data), shown on the form and enforced on filing. One mechanism for both."""

from __future__ import annotations

import datetime as dt
from typing import Any

from forms.spec import ServiceSpec
from forms.validation import FieldError, FormInvalid
from hub.profiles import applicant_data

Sources = dict[str, dict[str, Any] | None]


def sources_of(profile: dict[str, Any] | None, enterprise: dict[str, Any] | None) -> Sources:
    """The prefill sources a field's ``prefill = "<source>.<key>"`` names."""
    return {"profile": profile, "enterprise": enterprise}


def known_values(spec: ServiceSpec, sources: Sources) -> dict[str, Any]:
    """The value the government holds for each prefilled field (None when it holds none); dates as
    ISO text, as a form answers them."""
    known: dict[str, Any] = {}
    for f in spec.fields:
        if not f.prefill:
            continue
        source, _, key = f.prefill.partition(".")
        value = (sources.get(source) or {}).get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        known[f.name] = value
    return known


async def held_for(account: int, spec: ServiceSpec) -> dict[str, Any]:
    """What the government holds for this account's prefilled fields of the form (to show on it)."""
    profile, enterprise = await applicant_data(account, purpose=f"prefill of {spec.id}")
    return known_values(spec, sources_of(profile, enterprise))


def prefill(spec: ServiceSpec, answers: dict[str, Any], sources: Sources) -> dict[str, Any]:
    """Fill fields the government already holds; a different value from the applicant is refused."""
    filled = dict(answers)
    errors = []
    for name, known in known_values(spec, sources).items():
        if known in (None, ""):
            continue
        given = filled.get(name)
        if given in (None, ""):
            filled[name] = known
        elif str(given).strip().upper() != str(known).upper():
            errors.append(FieldError(field=name, code="prefilled_mismatch"))
    if errors:
        raise FormInvalid(errors)
    return filled
