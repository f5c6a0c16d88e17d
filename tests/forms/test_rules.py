"""Eligibility rules (forms.rules): the shipped rules, missing data, hostile and random expressions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.catalog import load_catalog
from forms.clock import beijing_today
from forms.rules import MAX_EXPRESSION, RuleResult, context, evaluate, parse_error
from forms.spec import Rule

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=200, deadline=None, database=None)
TODAY = dt.date(2025, 6, 1)

ELDERLY = load_catalog().latest("elderly-care-allowance")
assert ELDERLY is not None
BORN_1940 = "330106194001011237"
BORN_1992 = "330106199205170014"
ANSWERS = {
    "full_name": "王秀英",
    "resident_id": BORN_1940,
    "phone": "13800138000",
    "address": "杭州市西湖区文三路 100 号",
    "hukou_local": True,
    "living_arrangement": "alone",
    "payment_method": "social_security_card",
}


def names(**changes) -> dict:
    return context(ELDERLY, {**ANSWERS, **changes}, profile={"full_name": "王秀英"}, today=TODAY)


def outcome(expression: str, scope: dict | None = None) -> RuleResult:
    [result] = evaluate([Rule(id="r", expression=expression, message="m")], names() if scope is None else scope)
    return result


def by_rule(results: list[RuleResult]) -> dict[str, bool]:
    return {r.rule: r.passed for r in results}


# --- the shipped rules -----------------------------------------------------------------------------


def test_elderly_rules_pass_for_someone_born_1940():
    results = evaluate(ELDERLY.rules, names())
    assert by_rule(results) == {"aged-80": True, "local-hukou": True}


def test_elderly_age_rule_fails_for_someone_born_1992_with_its_message():
    results = evaluate(ELDERLY.rules, names(resident_id=BORN_1992))
    assert by_rule(results) == {"aged-80": False, "local-hukou": True}
    [aged] = [r for r in results if r.rule == "aged-80"]
    assert aged.message == "The applicant must be aged 80 or over."


def test_age_rule_turns_on_the_80th_birthday():
    # Born 1945-06-01: 79 the day before, 80 on the day.
    number = "330106194506011230"
    on_the_day = context(ELDERLY, {**ANSWERS, "resident_id": number}, today=dt.date(2025, 6, 1))
    day_before = context(ELDERLY, {**ANSWERS, "resident_id": number}, today=dt.date(2025, 5, 31))
    assert by_rule(evaluate(ELDERLY.rules, on_the_day))["aged-80"] is True
    assert by_rule(evaluate(ELDERLY.rules, day_before))["aged-80"] is False


def test_hukou_rule_fails_without_local_hukou():
    assert by_rule(evaluate(ELDERLY.rules, names(hukou_local=False)))["local-hukou"] is False


def test_every_rule_is_evaluated_even_when_one_fails():
    results = evaluate(ELDERLY.rules, names(resident_id=BORN_1992, hukou_local=False))
    assert by_rule(results) == {"aged-80": False, "local-hukou": False}


def test_rule_referring_to_a_missing_field_fails_without_raising():
    scope = {k: v for k, v in names().items() if k != "resident_id"}
    assert by_rule(evaluate(ELDERLY.rules, scope))["aged-80"] is False
    assert outcome("no_such_field > 3").passed is False
    # Absent from the answers (None in the context) is also "not met".
    assert by_rule(evaluate(ELDERLY.rules, names(resident_id=None)))["aged-80"] is False


def test_rule_on_a_malformed_value_fails_without_raising():
    assert by_rule(evaluate(ELDERLY.rules, names(resident_id="not a number")))["aged-80"] is False


@pytest.mark.parametrize(
    ("expression", "passed"),
    [
        ("profile['full_name'] == full_name", True),
        ("living_arrangement in ['alone', 'with_family']", True),
        ("len(full_name) == 3 and max(1, 2) == 2", True),
        ("today.year == 2025", True),
        ("decimal('0.1') + decimal('0.2') == decimal('0.3')", True),
        ("age(resident_id) < 80", False),
    ],
)
def test_ordinary_expressions(expression, passed):
    assert outcome(expression).passed is passed


# --- hostile expressions ---------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w').write('x')",
    "().__class__.__bases__[0].__subclasses__()",
    "today.__class__.__init__.__globals__",
    "profile.__class__.__subclasses__()",
    "'{{0.__class__}}'.format(1)",
    "9**9**9**9",
    "'a'*10**10",
    "[1]*10**9",
    "[x for x in [1]*9999 for y in [1]*9999]",
    "(lambda: 1)()",
    "(lambda f: f(f))(lambda f: f(f))",
    "eval('1')",
    "exec('import os')",
    "getattr(profile, '__class__')",
    "globals()",
    "__builtins__",
    "today.replace.__self__",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_expressions_fail_safely_and_quickly(template, tmp_path):
    marker = tmp_path / "hacked"
    expression = template.format(marker=marker)
    started = time.perf_counter()
    result = outcome(expression)
    assert time.perf_counter() - started < 1.0
    assert result.passed is False
    assert not marker.exists()


@pytest.mark.parametrize("expression", ["-" * 498 + "1", "(" * 199 + "1" + ")" * 199, "not " * 124 + "0"])
def test_deeply_nested_expressions_do_not_raise(expression):
    started = time.perf_counter()
    assert outcome(expression).passed in (True, False)
    assert time.perf_counter() - started < 1.0


def test_expression_longer_than_the_limit_is_not_evaluated():
    # Neither evaluated whole nor cut short: "True" followed by padding would pass if truncated.
    assert outcome("True" + " " * MAX_EXPRESSION).passed is False
    assert outcome("True" + " " * MAX_EXPRESSION + "and False").passed is False
    assert outcome("1 + " * 200 + "1 > 0").passed is False
    assert outcome("True" + " " * (MAX_EXPRESSION - 4)).passed is True  # exactly at the limit


def test_huge_integer_arithmetic_finishes_quickly():
    expression = "*".join(["9**4000000"] * 3) + " > 0"
    program = (
        "import datetime as dt\n"
        "from forms.rules import evaluate\n"
        "from forms.spec import Rule\n"
        f"evaluate([Rule(id='r', expression={expression!r}, message='m')], {{'today': dt.date(2025, 6, 1)}})\n"
    )
    try:
        subprocess.run([sys.executable, "-c", program], cwd=ROOT, timeout=3, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"evaluate({expression!r}) did not finish within 3 seconds")


# --- fuzzing ---------------------------------------------------------------------------------------

TOKENS = [
    "1", "2", "10", "0.5", "'a'", "[1]", "(", ")", "[", "]", ",", ".", "+", "-", "*", "**", "/", "//", "%",
    "==", "<", ">=", "and", "or", "not", "in", "if", "else", "for", "x", "lambda", ":", "resident_id",
    "profile", "today", "age", "len", "min", "max", "decimal", "sex", "__class__", "__import__", "'os'",
]  # fmt: skip


@FAST
@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(expression):
    result = outcome(expression)
    assert isinstance(result, RuleResult)
    assert result.passed in (True, False)


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=20).map(" ".join))
def test_token_soup_never_raises(expression):
    result = outcome(expression)
    assert result.passed in (True, False)


@FAST
@given(st.text(max_size=MAX_EXPRESSION + 20))
def test_parse_error_never_raises(expression):
    error = parse_error(expression)
    assert error is None or (isinstance(error, str) and error)


# --- parse_error -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    ["age(resident_id) >= 80", "hukou_local == True", "a and (b or not c)", "[x for x in items if x > 1]"],
)
def test_parse_error_is_none_for_valid_expressions(expression):
    assert parse_error(expression) is None


@pytest.mark.parametrize(
    "expression",
    ["age(resident_id) >=", "1 +", "(", "a b", "x = 1", "import os", "", "\x00", "[" * 250 + "]" * 250],
)
def test_parse_error_explains_unparsable_expressions(expression):
    error = parse_error(expression)
    assert isinstance(error, str) and error


def test_parse_error_rejects_overlong_expressions():
    assert parse_error("1" * MAX_EXPRESSION) is None
    assert parse_error("1" * (MAX_EXPRESSION + 1)) == f"longer than {MAX_EXPRESSION} characters"


def test_today_is_the_date_in_beijing():
    # 00:30 on New Year's Day in Beijing is still 31 December in UTC.
    assert beijing_today(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)) == dt.date(2027, 1, 1)
    assert beijing_today(dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)) == dt.date(2026, 12, 31)
