"""Department data sources about enterprises and people ("one file per enterprise"): the one
port through which the hub reads them, for prefill, for the rules of service requests and for
subsidies' matching and claims alike.

The degrees people hold come from the national higher-education records behind ``DegreeRegistry``
(``hub/registry/education.py``), and disability certificates from the disabled persons' register
behind ``DisabilityRegistry`` (``hub/registry/disability.py``); demo stand-ins answer for the demo
citizens.

A city plugs in its market-regulation, tax and social-insurance systems behind
``EnterpriseRegistry``, and its population registry behind ``PersonRegistry``, and installs them
with ``install``; the embedded defaults, ``LocalRegistry`` and ``LocalPeople``, answer from the
hub's own tables (the ``Enterprise`` table is seeded with a synthetic population). Every read of an
enterprise is audited with its purpose (and the sources it touched).
"""

from __future__ import annotations

from hub.registry.applicants import applicant_data, person_facts
from hub.registry.disability import (
    DemoDisabilityRecords,
    DisabilityRegistry,
    disability_registry,
    install_disability_registry,
)
from hub.registry.education import DegreeRegistry, DemoEducationRecords, degree_registry, install_degree_registry
from hub.registry.installed import enterprise_registry, install, person_registry, population_registry
from hub.registry.local import LocalPeople, LocalRegistry
from hub.registry.looks import one_look
from hub.registry.ports import (
    ELIGIBILITY_FIELDS,
    PERSON_FIELDS,
    RECORD_FIELDS,
    SOURCES,
    EnterpriseRegistry,
    PersonRegistry,
)

__all__ = [
    "DemoDisabilityRecords",
    "DisabilityRegistry",
    "DegreeRegistry",
    "DemoEducationRecords",
    "ELIGIBILITY_FIELDS",
    "PERSON_FIELDS",
    "RECORD_FIELDS",
    "SOURCES",
    "EnterpriseRegistry",
    "LocalPeople",
    "LocalRegistry",
    "PersonRegistry",
    "applicant_data",
    "degree_registry",
    "disability_registry",
    "enterprise_registry",
    "install",
    "install_degree_registry",
    "install_disability_registry",
    "one_look",
    "person_facts",
    "person_registry",
    "population",
    "population_registry",
    "synthetic",
]
