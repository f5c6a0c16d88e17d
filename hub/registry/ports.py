"""What the hub asks of the government's data sources about enterprises and people, whoever runs
them: the embedded registry (``hub/registry/local.py``) or a city's own systems."""

from __future__ import annotations

from typing import Any, Protocol

# Which department's system each item of an enterprise's profile comes from.
SOURCES = {
    "market-regulation": (
        "uscc",
        "name",
        "legal_representative",
        "industry",
        "district",
        "founded_on",
        "registered_capital",
        "status",
        "labels",
    ),
    "tax": ("tax_credit_rating", "tax_bracket"),
    "social-insurance": ("employees", "insured_employees"),
}
# What eligibility is decided on, for one enterprise (a claim, "policies for you") or for all
# (matching): everything the sources hold but the legal representative's name, which is personal
# data (sealed at rest) and which no rule needs, so it is never read for it.
ELIGIBILITY_FIELDS = tuple(f for fields in SOURCES.values() for f in fields if f != "legal_representative")
# What an applicant's form is prefilled with and a service's rules read as ``enterprise.*``: the
# record as the enterprise itself knows it, its legal representative included (and all that
# eligibility reads, so that one look at the record serves a claim's eligibility and its form).
RECORD_FIELDS = (
    "uscc",
    "name",
    "legal_representative",
    "industry",
    "district",
    "founded_on",
    "registered_capital",
    "employees",
    "insured_employees",
    "tax_credit_rating",
    "tax_bracket",
    "status",
    "labels",
)
# What a form is prefilled with and rules read as ``profile.*`` about a person.
PERSON_FIELDS = ("full_name", "resident_id")


class EnterpriseRegistry(Protocol):
    """Enterprises' data from the market-regulation, tax and social-insurance sources. Every read
    says why it is made; an implementation records it with that purpose."""

    async def profile(self, enterprise_id: int, purpose: str) -> dict[str, Any] | None:
        """One enterprise's profile as eligibility rules read it (``ELIGIBILITY_FIELDS``), merged
        from every source."""
        ...

    async def batch(self, after_id: int, limit: int, purpose: str) -> list[dict[str, Any]]:
        """Profiles of the next ``limit`` enterprises by id after ``after_id`` (each with its ``id``)."""
        ...

    async def record(self, enterprise_id: int, purpose: str, account: int | None = None) -> dict[str, Any] | None:
        """The record of the enterprise an applicant acts for (``RECORD_FIELDS``), read for the
        applicant's ``account``: what its forms are prefilled with and its requests' rules read."""
        ...


class PersonRegistry(Protocol):
    """What the government holds about a person with an account: their verified identity."""

    async def person(self, account_id: int, purpose: str) -> dict[str, Any]:
        """The person behind ``account_id`` (``PERSON_FIELDS``), as their forms are prefilled."""
        ...
