"""Eligibility rules, evaluated by a safe expression evaluator (no ``eval``).

A rule sees the form answers by field name, the applicant's profile as ``profile``, and a few
functions. Each rule yields pass or fail with its message, so applicants and clerks see why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from simpleeval import EvalWithCompoundTypes, InvalidExpression

from .spec import Rule

MAX_EXPRESSION = 500


class RuleResult(BaseModel):
    rule: str
    passed: bool
    message: str


def birth_date(resident_id: str) -> dt.date:
    """The birth date encoded in an 18-digit resident identity number."""
    s = str(resident_id)
    return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def age_on(resident_id_or_date: Any, today: dt.date) -> int:
    born = resident_id_or_date if isinstance(resident_id_or_date, dt.date) else None
    if born is None:
        text = str(resident_id_or_date)
        born = dt.date.fromisoformat(text) if "-" in text else birth_date(text)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _evaluator(names: dict[str, Any], today: dt.date) -> EvalWithCompoundTypes:
    functions = {
        "age": lambda value: age_on(value, today),
        "decimal": lambda value: Decimal(str(value)),
        "len": len,
        "min": min,
        "max": max,
    }
    return EvalWithCompoundTypes(names=names, functions=functions)


def evaluate(rules: list[Rule], answers: dict[str, Any], profile: dict[str, Any], today: dt.date) -> list[RuleResult]:
    """Evaluate every rule; a rule that cannot be evaluated (missing data, bad value) fails."""
    names = {**answers, "profile": profile, "today": today}
    results = []
    for rule in rules:
        try:
            passed = bool(_evaluator(names, today).eval(rule.expression[:MAX_EXPRESSION]))
        except Exception:  # noqa: BLE001 - any failure to evaluate means the rule is not met
            passed = False
        results.append(RuleResult(rule=rule.id, passed=passed, message=rule.message))
    return results


def parse_error(expression: str) -> str | None:
    """Why an expression does not parse, or None when it does."""
    import ast

    if len(expression) > MAX_EXPRESSION:
        return f"longer than {MAX_EXPRESSION} characters"
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        return exc.msg
    return None


__all__ = [
    "RuleResult",
    "evaluate",
    "parse_error",
    "birth_date",
    "age_on",
    "InvalidExpression",
]
