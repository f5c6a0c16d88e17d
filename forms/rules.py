"""Rules, conditions and amount formulas, evaluated by a safe expression evaluator (no ``eval``).

An expression sees the form answers by field name (money and numbers as exact decimals, dates as
dates), ``profile`` (the applicant), ``enterprise`` (the applicant's registry record, for
enterprises), ``today``, and the functions in ``FUNCTIONS``. Each rule yields pass or fail with its
message, so applicants and clerks see why.
"""

from __future__ import annotations

import ast
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from simpleeval import DEFAULT_OPERATORS, EvalWithCompoundTypes, InvalidExpression

from .clock import beijing_today
from .spec import Rule, ServiceSpec

MAX_EXPRESSION = 500
# Names every expression may use besides the form's fields.
CONTEXT_NAMES = {"profile", "enterprise", "today", "True", "False", "None"}
CENT = Decimal("0.01")


class RuleResult(BaseModel):
    rule: str
    passed: bool
    message: str


def birth_date(resident_id: str) -> dt.date:
    """The birth date encoded in an 18-digit resident identity number."""
    s = str(resident_id)
    return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.date.fromisoformat(text) if "-" in text else birth_date(text)


def years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


# Bounds on arithmetic, so an expression cannot keep a worker busy (9**4000000 * 9**4000000 ...).
MAX_MAGNITUDE = 10**30
MAX_EXPONENT = 64


def _magnitude(number: int | float | Decimal) -> float | Decimal:
    """abs() of a rule's number, typed per kind (abs() of a union types as object, comparable with nothing)."""
    if isinstance(number, Decimal):
        return abs(number)
    return abs(number)


def _bounded(value: Any) -> Any:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and _magnitude(value) > MAX_MAGNITUDE:
        raise ValueError("number too large")
    return value


def _mult(a: Any, b: Any) -> Any:
    # simpleeval's own multiplication bounds sequence repetition ('a' * 10**10); numbers are bounded here.
    _bounded(a), _bounded(b)
    return _bounded(DEFAULT_OPERATORS[ast.Mult](a, b))


def _pow(a: Any, b: Any) -> Any:
    if isinstance(b, (int, float, Decimal)) and _magnitude(b) > MAX_EXPONENT:
        raise ValueError("exponent too large")
    return _bounded(DEFAULT_OPERATORS[ast.Pow](_bounded(a), b))


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > MAX_EXPONENT:
        raise ValueError("shift too large")
    return _bounded(DEFAULT_OPERATORS[ast.LShift](a, b))


OPERATORS = {**DEFAULT_OPERATORS, ast.Mult: _mult, ast.Pow: _pow, ast.LShift: _lshift}


def _functions(today: dt.date) -> dict[str, Any]:
    return {
        # age(resident id or date): completed years today.
        "age": lambda value: years_between(_as_date(value), today),
        # years_since(date): completed years since a date (e.g. founding).
        "years_since": lambda value: years_between(_as_date(value), today),
        "days_since": lambda value: (today - _as_date(value)).days,
        # sex(resident id): "male" or "female", from the 17th digit.
        "sex": lambda value: "female" if int(str(value)[16]) % 2 == 0 else "male",
        "decimal": lambda value: Decimal(str(value)),
        "len": len,
        "min": min,
        "max": max,
        "sum": sum,
        "round": round,
    }


FUNCTIONS = set(_functions(beijing_today()))


def typed_answers(spec: ServiceSpec, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as expressions should see them: money and numbers exact, dates as dates."""

    def convert(field_type: str, value: Any) -> Any:
        if value is None:
            return None
        if field_type in ("money", "number"):
            return Decimal(str(value))
        if field_type == "date":
            return dt.date.fromisoformat(str(value))
        return value

    typed: dict[str, Any] = {}
    for f in spec.fields:
        value = answers.get(f.name)
        if f.type == "group":
            typed[f.name] = [{s.name: convert(s.type, item.get(s.name)) for s in f.fields} for item in value or []]
        else:
            typed[f.name] = convert(f.type, value)
    return typed


def context(
    spec: ServiceSpec,
    answers: dict[str, Any],
    profile: dict[str, Any] | None = None,
    enterprise: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The names an expression of this service sees."""
    return {
        **typed_answers(spec, answers),
        "profile": profile or {},
        "enterprise": enterprise or {},
        "today": today or beijing_today(),
    }


@lru_cache(maxsize=4096)
def _parsed(expression: str) -> ast.AST:
    # Parsing costs as much as evaluating: a program matched against a whole registry parses once.
    return EvalWithCompoundTypes.parse(expression)


def evaluator(names: dict[str, Any]) -> EvalWithCompoundTypes:
    """An evaluator over ``names``, to evaluate several expressions against the same data."""
    today = names.get("today") or beijing_today()
    return EvalWithCompoundTypes(names=names, functions=_functions(today), operators=OPERATORS)


def evaluate_expression(expression: str, names: dict[str, Any], using: EvalWithCompoundTypes | None = None) -> Any:
    """The value of an expression; raises on any error (callers decide what a failure means)."""
    if len(expression) > MAX_EXPRESSION:
        raise ValueError("expression too long")
    return (using or evaluator(names)).eval(expression, previously_parsed=_parsed(expression))


def holds(expression: str, names: dict[str, Any], using: EvalWithCompoundTypes | None = None) -> bool:
    """Whether a condition holds; one that cannot be evaluated (missing data, bad value) does not."""
    try:
        return bool(evaluate_expression(expression, names, using))
    except Exception:  # noqa: BLE001 - any failure to evaluate means "not met"
        return False


def evaluate(rules: list[Rule], names: dict[str, Any]) -> list[RuleResult]:
    """Evaluate every rule, so the applicant sees all reasons at once."""
    return [RuleResult(rule=r.id, passed=holds(r.expression, names), message=r.message) for r in rules]


def compute_amount(formula: str, names: dict[str, Any], using: EvalWithCompoundTypes | None = None) -> Decimal:
    """A money amount from a formula, rounded to the cent; never negative."""
    value = evaluate_expression(formula, names, using)
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"the formula gave {value!r}, not an amount") from None
    return max(amount, Decimal("0.00"))


def parse_error(expression: str) -> str | None:
    """Why an expression does not parse, or None when it does."""
    if len(expression) > MAX_EXPRESSION:
        return f"longer than {MAX_EXPRESSION} characters"
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        return exc.msg
    return None


def _bound_names(tree: ast.AST) -> set[str]:
    """The names an expression binds itself: its comprehensions' variables."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.comprehension)
        for target in ast.walk(node.target)
        if isinstance(target, ast.Name)
    }


def free_names(expression: str) -> set[str]:
    """Names an expression reads that it does not bind itself (comprehension variables are bound)."""
    tree = ast.parse(expression, mode="eval")
    bound = _bound_names(tree)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names - bound - (called & FUNCTIONS)


def _is_record(node: ast.AST, record: str) -> bool:
    return isinstance(node, ast.Name) and node.id == record


def _key(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def fields_read(expression: str, record: str = "enterprise") -> list[str]:
    """The fields of the record an expression sees as ``record`` that it reads, in the order it
    reads them, each once: ``enterprise.x``, ``enterprise['x']`` and ``enterprise.get('x')``.

    Read from the tree the evaluator parses, so it finds what evaluation reads (a name inside a
    string is not read). An expression that does not parse, or that binds ``record`` itself (a
    comprehension's variable), reads none that can be told."""
    try:
        tree = _parsed(expression)
    except (SyntaxError, ValueError, InvalidExpression):
        return []
    if record in _bound_names(tree):
        return []
    nodes = list(ast.walk(tree))
    # The ``enterprise.get`` of ``enterprise.get('x')`` is the method that reads ``x``, not a field.
    getters = {
        id(n.func)
        for n in nodes
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "get"
        and _is_record(n.func.value, record)
    }
    found: list[tuple[tuple[int, int], str]] = []
    for node in nodes:
        if not isinstance(node, ast.expr):
            continue
        name: str | None = None
        if isinstance(node, ast.Call) and id(node.func) in getters:
            name = _key(node.args[0]) if node.args else None
        elif isinstance(node, ast.Subscript) and _is_record(node.value, record):
            name = _key(node.slice)
        elif isinstance(node, ast.Attribute) and _is_record(node.value, record) and id(node) not in getters:
            name = node.attr
        if name is not None:
            found.append(((node.lineno, node.col_offset), name))
    return list(dict.fromkeys(name for _, name in sorted(found)))
