"""Subsidy programs (policies) as data: who qualifies, how much, from which budget, and how the
enterprise gets the money.

A program is published at run time (``POST /api/programs``) or seeded from ``forms/programs/``.
Its texts carry both languages inline, since a program published by a department is not in the
translation catalogs. Rules use the catalog's expression language over the enterprise's registry
record (``enterprise``) and ``today``.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from .rules import FUNCTIONS, compute_amount, evaluator, free_names, holds, parse_error
from .spec import Identifier, SpecModel

PROGRAMS_DIR = Path(__file__).parent / "programs"
# What a program's expressions may read: the registry record and the date.
PROGRAM_NAMES = {"enterprise", "today", "True", "False", "None"}

ProgramMode = Literal["apply", "instant", "apply_free"]


class Text(SpecModel):
    """A text in both languages of the hub."""

    zh_CN: str = Field(min_length=1, max_length=2000)
    en: str = Field(min_length=1, max_length=2000)

    def in_locale(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh_CN


class Criterion(SpecModel):
    """One eligibility criterion and the reason shown when it is not met."""

    id: Identifier
    expression: str = Field(max_length=500)
    reason: Text


class ProgramSpec(SpecModel):
    """A subsidy program as the department publishes it."""

    code: Identifier
    title: Text
    summary: Text
    legal_basis: Text
    # The catalog service the program belongs to: its owner issues the notices; in ``apply`` mode
    # its form and review route are used.
    service_id: Identifier
    # apply: a form and a review route; instant: automatic checks only, approved without a human;
    # apply_free: eligible enterprises are offered the money (paid on a one-click confirmation, or
    # without one when ``automatic``).
    mode: ProgramMode
    automatic: bool = False
    # One claim per enterprise per period, e.g. "2026".
    period: str = Field(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z_-]+$")
    opens_on: dt.date
    closes_on: dt.date
    criteria: list[Criterion] = Field(min_length=1, max_length=30)
    # The amount for an enterprise, in CNY, e.g. "enterprise.insured_employees * 1000".
    amount: str = Field(max_length=500)
    cap_per_enterprise: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    budget: Decimal = Field(gt=0, max_digits=14, decimal_places=2)

    @model_validator(mode="after")
    def _check(self) -> ProgramSpec:
        if self.closes_on < self.opens_on:
            raise ValueError("closes_on is before opens_on")
        if self.automatic and self.mode != "apply_free":
            raise ValueError("only an apply_free program can pay automatically")
        if self.cap_per_enterprise > self.budget:
            raise ValueError("cap_per_enterprise is larger than the budget")
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError("criterion ids must be unique")
        for where, expression in [(f"criterion {c.id}", c.expression) for c in self.criteria] + [
            ("amount", self.amount)
        ]:
            problem = expression_problem(expression)
            if problem:
                raise ValueError(f"{where}: {problem}")
        return self

    def open_on(self, day: dt.date) -> bool:
        return self.opens_on <= day <= self.closes_on


def expression_problem(expression: str) -> str | None:
    """Why an expression cannot be a program's rule or formula, or None."""
    problem = parse_error(expression)
    if problem:
        return f"does not parse ({problem})"
    unknown = free_names(expression) - PROGRAM_NAMES - FUNCTIONS
    if unknown:
        return f"reads unknown names: {', '.join(sorted(unknown))}"
    return None


def load_programs(directory: Path = PROGRAMS_DIR) -> list[ProgramSpec]:
    """The programs kept as files (the demo's); raises ValueError naming the file on a mistake."""
    programs = []
    for path in sorted(directory.glob("*.toml")):
        try:
            programs.append(ProgramSpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8"))))
        except (ValidationError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path.name}: {exc}") from None
    return programs


class CriterionResult(SpecModel):
    criterion: str
    passed: bool
    reason: Text


class Assessment(SpecModel):
    """What a program says about one enterprise: whether it qualifies, why (not), and how much."""

    eligible: bool
    # Fails exactly one criterion: worth telling the enterprise what is missing.
    near: bool
    results: list[CriterionResult]
    amount: Decimal


def assess(program: ProgramSpec, enterprise: dict, today: dt.date) -> Assessment:
    """Evaluate every criterion (so all reasons show at once) and the capped amount."""
    names = {"enterprise": enterprise, "today": today}
    using = evaluator(names)
    results = [
        CriterionResult(criterion=c.id, passed=holds(c.expression, names, using), reason=c.reason)
        for c in program.criteria
    ]
    failed = sum(not r.passed for r in results)
    amount = Decimal("0.00")
    if failed == 0:
        try:
            amount = min(compute_amount(program.amount, names, using), program.cap_per_enterprise)
        except Exception:  # noqa: BLE001 - a formula that cannot be computed grants nothing
            amount = Decimal("0.00")
    return Assessment(eligible=failed == 0 and amount > 0, near=failed == 1, results=results, amount=amount)
