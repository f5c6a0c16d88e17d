"""The benefits a citizen may apply for, as the registries say of them: each benefit's rules that
what the government already holds decides (the reader's own identity number, as their forms are
prefilled, and the population registry's ``person.*`` facts) are checked before they apply, so the
list puts first what they can apply for now and says, of the rest, why not (and from when, where
their age decides). Only the reader's own facts are read, once per list, and never for anyone else."""

from __future__ import annotations

import ast
import datetime as dt
from typing import Any

import msgspec

from forms.catalog import Catalog
from forms.rules import context, evaluate, free_names
from forms.spec import Rule, ServiceSpec
from hub.actor import Actor
from hub.clock import today
from hub.db.tables import Entitlement
from hub.errors import forbidden
from hub.i18n import N_, format_date, gettext
from hub.registry import population_registry
from workflows.benefits.types import PersonFacts

# Why the population registry is read (its audit event says so).
PURPOSE = "benefits the person may apply for"
# What an expression may read and still be decided before the form is filled in.
KNOWN_BEFORE = frozenset({"person", "today", "True", "False", "None"})
# Profile items a form is prefilled with, as they are known of the signed-in account.
PROFILE_ITEMS = ("full_name", "resident_id")
# How far ahead a birthday may still make someone eligible.
OLDEST = 120
FROM_AGE = N_("From age {age}: you can apply from {date}.")


class OfferRead(msgspec.Struct):
    """A benefit the reader may apply for (``open``), or whose conditions they do not meet now:
    ``reasons`` in their words and, where their age decides, the date they can apply from."""

    service_id: str
    title: str
    kind: str
    open: bool
    reasons: list[str] = []
    from_date: dt.date | None = None


def decided_before(spec: ServiceSpec) -> tuple[list[Rule], dict[str, str]]:
    """The rules what the government holds decides, and the prefilled fields they read (by name,
    with the profile item each comes from)."""
    prefilled = {
        f.name: f.prefill.removeprefix("profile.")
        for f in spec.fields
        if f.prefill and f.prefill.removeprefix("profile.") in PROFILE_ITEMS
    }
    rules = [r for r in spec.rules if free_names(r.expression) <= KNOWN_BEFORE | set(prefilled)]
    read = set().union(*(free_names(r.expression) for r in rules)) if rules else set()
    return rules, {name: item for name, item in prefilled.items() if name in read}


def reads_age(rule: Rule) -> bool:
    """Whether a rule reads a person's age or birth date (a birthday may change its result)."""
    tree = ast.parse(rule.expression, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "age":
            return True
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "person":
            return True
    return False


def birthday(born_on: dt.date, age: int) -> dt.date:
    """The day someone born on ``born_on`` turns ``age`` (1 March for 29 February in other years)."""
    try:
        return born_on.replace(year=born_on.year + age)
    except ValueError:
        return dt.date(born_on.year + age, 3, 1)


def names_on(spec: ServiceSpec, answers: dict[str, Any], facts: PersonFacts | None, on: dt.date) -> dict[str, Any]:
    names = context(spec, answers, today=on)
    names["person"] = facts.as_names(on) if facts is not None else {}
    return names


def first_date(
    spec: ServiceSpec, failed: list[Rule], answers: dict[str, Any], facts: PersonFacts, on: dt.date
) -> tuple[dt.date, int] | None:
    """The first birthday from which every failed rule holds, with the age then (None if none)."""
    age = facts.as_names(on)["age"]
    for then in range(age + 1, OLDEST + 1):
        day = birthday(facts.born_on, then)
        if all(r.passed for r in evaluate(failed, names_on(spec, answers, facts, day))):
            return day, then
    return None


async def offers(actor: Actor, catalog: Catalog) -> list[OfferRead]:
    """The benefits the signed-in citizen may apply for, those they can apply for now first (a
    benefit they already receive is left out); the rest with the reasons, in their language."""
    user = actor.user
    if user is None or user.role != "citizen":
        raise forbidden()
    on = today()
    held = {
        r["service_id"]
        for r in await Entitlement.raw(
            "SELECT service_id FROM entitlement WHERE account = {} AND state IN ('active', 'suspended')", user.id
        )
    }
    services = [s for s in catalog.current() if s.benefit is not None and s.id not in held]
    decided = {s.id: decided_before(s) for s in services}
    known = {"full_name": user.full_name, "resident_id": (user.resident_id or "").strip().upper()}
    # The registry is read only when a rule it decides reads the person's age or facts, and once.
    facts: PersonFacts | None = None
    if known["resident_id"] and any(reads_age(r) for rules, _ in decided.values() for r in rules):
        read = await population_registry().facts([known["resident_id"]], on, PURPOSE)
        facts = read.get(known["resident_id"])
    result: list[OfferRead] = []
    for spec in services:
        rules, prefilled = decided[spec.id]
        answers = {name: known[item] for name, item in prefilled.items()}
        if any(not value for value in answers.values()):
            rules = []  # nothing known to decide them: the form asks
        failed_results = [r for r in evaluate(rules, names_on(spec, answers, facts, on)) if not r.passed]
        failed = [r for r in rules if r.id in {f.rule for f in failed_results}]
        offer = OfferRead(
            service_id=spec.id,
            title=gettext(actor.locale, spec.title),
            kind=spec.benefit.kind if spec.benefit else "",
            open=not failed,
        )
        if failed:
            later = first_date(spec, failed, answers, facts, on) if facts and all(map(reads_age, failed)) else None
            if later is not None:
                offer.from_date = later[0]
                offer.reasons = [
                    gettext(actor.locale, FROM_AGE, age=later[1], date=format_date(later[0], actor.locale))
                ]
            else:
                offer.reasons = [gettext(actor.locale, r.message) for r in failed_results]
        result.append(offer)
    return sorted(result, key=lambda o: not o.open)
