"""The shape of a service spec, as loaded from a TOML file in ``forms/services/``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Audience = Literal["citizen", "enterprise"]
FieldType = Literal[
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "choice",
    "multi_choice",
    "boolean",
    "email",
    "phone",
    "address",
    "resident_id",
    "uscc",
    "bank_account",
]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(SpecModel):
    """A government department that owns or reviews services."""

    code: Identifier
    name: str
    short_name: str = ""


class Option(SpecModel):
    value: str
    label: str


class VisibleWhen(SpecModel):
    """Show a field only when another field has one of the given values."""

    field: Identifier
    equals: list[str | bool | int]


class FieldSpec(SpecModel):
    """One field of a service form."""

    name: Identifier
    type: FieldType
    label: str
    help: str = ""
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    options: list[Option] = []
    visible_when: VisibleWhen | None = None
    # Personal data is collected only for a stated purpose (minimisation), and masked when shown.
    personal: bool = False
    purpose: str = ""
    # Where the government already holds this value, e.g. "profile.full_name".
    prefill: str | None = None

    @model_validator(mode="after")
    def _check(self) -> FieldSpec:
        if self.type in ("choice", "multi_choice") and not self.options:
            raise ValueError(f"field {self.name!r}: a {self.type} field needs options")
        if self.personal and not self.purpose.strip():
            raise ValueError(f"field {self.name!r}: personal data must state the purpose it is collected for")
        return self


class Rule(SpecModel):
    """An eligibility rule: an expression over the form data and the applicant's profile."""

    id: Identifier
    expression: str
    message: str


class Stage(SpecModel):
    """One stage of a route: department reviews that run in parallel."""

    id: Identifier
    kind: Literal["review"] = "review"
    title: str
    departments: list[Identifier] = Field(min_length=1)
    # "all": every department must approve; "any": the first approval carries the stage.
    mode: Literal["all", "any"] = "all"
    time_limit_days: int = Field(ge=1, le=365)


class Outcome(SpecModel):
    on_approval: list[Literal["decision"]] = ["decision"]
    on_rejection: list[Literal["decision"]] = ["decision"]


class ServiceSpec(SpecModel):
    """A service a citizen or enterprise can request, as the government publishes it."""

    id: Identifier
    version: int = Field(ge=1)
    title: str
    summary: str
    audience: list[Audience] = Field(min_length=1)
    topics: list[str] = []
    owner: Identifier
    legal_basis: str
    time_limit_days: int = Field(ge=1, le=365)
    fee: str = "Free of charge"
    materials: list[str] = []
    fields: list[FieldSpec] = Field(min_length=1)
    rules: list[Rule] = []
    route: list[Stage] = Field(min_length=1)
    outcome: Outcome = Outcome()

    @model_validator(mode="after")
    def _check(self) -> ServiceSpec:
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"duplicate field names: {', '.join(sorted(duplicates))}")
        for f in self.fields:
            if f.visible_when and f.visible_when.field not in names:
                raise ValueError(f"field {f.name!r} is shown when unknown field {f.visible_when.field!r} is set")
        stage_ids = [s.id for s in self.route]
        if len(set(stage_ids)) != len(stage_ids):
            raise ValueError("route stage ids must be unique")
        return self

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def departments(self) -> list[str]:
        """Every department that takes part, owner first, without repeats."""
        seen = [self.owner]
        for stage in self.route:
            seen += [d for d in stage.departments if d not in seen]
        return seen
