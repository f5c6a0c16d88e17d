"""The catalog of credential types (``forms/credentials.toml``): what each verifiable credential
the hub issues or reads from a registry states, and which services' approvals issue it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from .spec import Identifier, SpecModel

CredentialSource = Literal["hub", "registry"]
# The registries a registry-held credential is read from.
RegistryName = Literal["population", "enterprise", "education", "disability"]
# Claims every credential states; a hub-issued one also states its document's.
HOLDER_CLAIMS = ("holder_name", "holder_id")
DOCUMENT_CLAIMS = ("document_number", "verification_code")


def N_(message: str) -> str:
    """Marks a display string for translation; translated where it is shown."""
    return message


# Who issues a registry-held credential, as its holder reads it.
REGISTRY_ISSUERS: dict[str, str] = {
    "population": N_("Public security bureau (population registry)"),
    "enterprise": N_("Market regulation bureau (enterprise registry)"),
    "education": N_("Ministry of Education (national higher-education records)"),
    "disability": N_("Disabled Persons' Federation (disability registry)"),
}
# How each claim is labelled where it is shown.
CLAIM_LABELS: dict[str, str] = {
    "holder_name": N_("Holder"),
    "holder_id": N_("Identity number or credit code"),
    "born_on": N_("Date of birth"),
    "hukou_local": N_("Household registered in the city"),
    "legal_representative": N_("Legal representative"),
    "founded_on": N_("Date of establishment"),
    "registered_capital": N_("Registered capital"),
    "business_name": N_("Business name"),
    "institution": N_("Institution"),
    "degree": N_("Degree"),
    "major": N_("Major"),
    "graduated_on": N_("Date of graduation"),
    "certificate_number": N_("Certificate number"),
    "disability_category": N_("Category of disability"),
    "disability_grade": N_("Grade of disability"),
    # A registry record's own date of issue (the hub's signature is dated separately).
    "issued_on": N_("Date of issue"),
    "talent_name": N_("Name of the talent"),
    "talent_category": N_("Talent category"),
    "residence_address": N_("Address of residence"),
    "baby_name": N_("Name of the baby"),
    "baby_sex": N_("Sex of the baby"),
    "baby_birth_date": N_("Date of birth of the baby"),
    "hospital": N_("Hospital"),
    "premises_address": N_("Address of the premises"),
    "business_type": N_("Type of business"),
    "employee_name": N_("Employee"),
    "job_title": N_("Job title"),
    "start_date": N_("Start date"),
    "document_number": N_("Document number"),
    "verification_code": N_("Verification code"),
}


class CredentialType(SpecModel):
    """One kind of verifiable credential."""

    id: Identifier
    title: str
    source: CredentialSource
    # The registry a registry-held credential is read from.
    registry: RegistryName | None = None
    # Services whose approval issues it (the document of the approval is its paper form).
    issued_by: list[Identifier] = []
    claims: list[Identifier] = Field(min_length=1)
    # A claim taken from a form field of the issuing request: claim -> field name.
    answers: dict[Identifier, Identifier] = {}
    valid_years: int | None = Field(default=None, ge=1, le=50)
    # A status the department can suspend and resume (an entitlement paid every month): the
    # credential names a suspension status list besides the revocation one.
    suspendable: bool = False
    legal_basis: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> CredentialType:
        if self.source == "registry" and self.registry is None:
            raise ValueError("a registry-held credential names its registry")
        if self.suspendable and self.source != "hub":
            raise ValueError("only a hub-issued credential can be suspended")
        if self.source == "hub" and not self.issued_by:
            raise ValueError("a hub-issued credential names the services whose approval issues it")
        unknown = [c for c in self.claims if c not in CLAIM_LABELS]
        if unknown:
            raise ValueError(f"claims without a label: {', '.join(unknown)}")
        stray = [c for c in self.answers if c not in self.claims]
        if stray:
            raise ValueError(f"answers for claims it does not state: {', '.join(stray)}")
        return self

    def issuer_name(self) -> str:
        """The registry's name for a registry-held credential (untranslated); "" for a hub-issued one."""
        return REGISTRY_ISSUERS.get(self.registry or "", "")


def load_credential_types(directory: Path) -> dict[str, CredentialType]:
    """The credential types in ``directory/credentials.toml``, by id; ValueError listing any mistake."""
    types, problems = read_credential_types(directory)
    if problems:
        raise ValueError("\n".join(problems))
    return types


def read_credential_types(directory: Path) -> tuple[dict[str, CredentialType], list[str]]:
    """The credential types in ``directory/credentials.toml``, by id, and the mistakes found."""
    path = directory / "credentials.toml"
    if not path.exists():
        return {}, []
    problems: list[str] = []
    types: dict[str, CredentialType] = {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path.name}: {exc}"]
    for item in raw.get("credential", []):
        try:
            credential = CredentialType.model_validate(item)
        except ValidationError as exc:
            for e in exc.errors():
                where = ".".join(str(p) for p in e["loc"])
                problems.append(f"{path.name}: {item.get('id', '?')}: {where + ': ' if where else ''}{e['msg']}")
            continue
        if credential.id in types:
            problems.append(f"{path.name}: credential {credential.id} is defined twice")
            continue
        types[credential.id] = credential
    return types, problems


def check_credentials(types: dict[str, CredentialType], service_ids: set[str]) -> list[str]:
    """Mistakes needing the services: every issuing service exists, and issues one type at most."""
    problems: list[str] = []
    issuer_of: dict[str, str] = {}
    for credential in types.values():
        for service in credential.issued_by:
            if service not in service_ids:
                problems.append(f"credentials.toml: {credential.id}: unknown service {service!r}")
            elif service in issuer_of:
                problems.append(f"credentials.toml: {service} issues both {issuer_of[service]} and {credential.id}")
            issuer_of[service] = credential.id
    return problems
