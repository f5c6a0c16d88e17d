"""Which registries this hub reads: the embedded ones, unless the composition root installed a
city's own (one choice, so prefill, rules, matching and claims all read the same sources)."""

from __future__ import annotations

from hub.registry.local import LocalPeople, LocalRegistry
from hub.registry.looks import LookingRegistry
from hub.registry.population import LocalPopulation
from hub.registry.ports import EnterpriseRegistry, PersonRegistry
from workflows.benefits.ports import PopulationRegistry

_enterprises: EnterpriseRegistry = LocalRegistry()
_people: PersonRegistry = LocalPeople()
_population: PopulationRegistry = LocalPopulation()


def install(
    enterprises: EnterpriseRegistry | None = None,
    people: PersonRegistry | None = None,
    population: PopulationRegistry | None = None,
) -> None:
    """Read enterprises and people from these registries from now on (a city's own systems)."""
    global _enterprises, _people, _population
    if enterprises is not None:
        _enterprises = enterprises
    if people is not None:
        _people = people
    if population is not None:
        _population = population


def enterprise_registry() -> EnterpriseRegistry:
    """The enterprise registry this hub reads (once per enterprise inside a ``one_look``)."""
    return LookingRegistry(_enterprises)


def person_registry() -> PersonRegistry:
    """The person registry this hub reads."""
    return _people


def population_registry() -> PopulationRegistry:
    """The population registry this hub reads (life status, residence, age)."""
    return _population
