"""What a request was checked against, in the reader's language: its service's rules and its stages'
automatic checks, and for a subsidy claim's request its program's conditions. The results are
stored as they were met, in the words of the day (a program's condition in the language the claim
was made in); a reader is given each in their own language from the service or program that has it."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from forms.programs import ProgramSpec
from forms.spec import Rule, ServiceSpec
from hub.i18n import gettext


class ConditionRead(msgspec.Struct):
    """One condition the request was checked against, in the reader's language: a condition of the
    subsidy program it claims (``program``), or a rule of the service, checked at filing or by a
    stage's automatic check (``service``, with ``stage_id``)."""

    source: Literal["program", "service"]
    rule: str
    passed: bool
    message: str
    stage_id: str = ""


def _expression(text: str) -> str:
    return " ".join(text.split())


def conditions_read(
    spec: ServiceSpec | None,
    program: ProgramSpec | None,
    rule_results: list[dict[str, Any]],
    check_results: list[dict[str, Any]],
    locale: str,
    every: bool = False,
) -> list[ConditionRead]:
    """The stored results of a request's rules and checks, each message in ``locale`` from the spec
    or program that has it (the stored text, written in the applicant's language, for a rule no
    longer there). The program's conditions come first; a rule of the service that checks the same
    expression with the same result says nothing more and is left out (``every``: each result kept,
    in its stored order)."""
    criteria = {c.id: c for c in program.criteria} if program else {}
    rules: dict[str, Rule] = {r.id: r for r in spec.rules} if spec else {}
    checks: dict[tuple[str, str], Rule] = {(s.id, c.id): c for s in spec.route for c in s.checks} if spec else {}
    shown: list[tuple[ConditionRead, str]] = []
    for result in [*rule_results, *check_results]:
        rule_id, stored, stage = str(result.get("rule", "")), str(result.get("message", "")), result.get("stage")
        criterion = criteria.get(rule_id)
        check = checks.get((str(stage), rule_id)) if stage else None
        # A claim's stored results are its program's conditions (in the language it was filed in)
        # once assessed, its service's rules before: the stored text tells which one a shared id is.
        if (
            check is None
            and criterion is not None
            and (stored in (criterion.reason.en, criterion.reason.zh_CN) or rule_id not in rules)
        ):
            item = ConditionRead("program", rule_id, bool(result["passed"]), criterion.reason.in_locale(locale))
            expression = criterion.expression
        elif stage:
            message = gettext(locale, check.message if check else stored)
            item = ConditionRead("service", rule_id, bool(result["passed"]), message, str(stage))
            expression = check.expression if check else ""
        else:
            rule = rules.get(rule_id)
            item = ConditionRead(
                "service", rule_id, bool(result["passed"]), gettext(locale, rule.message if rule else stored)
            )
            expression = rule.expression if rule else ""
        shown.append((item, _expression(expression)))
    if every:
        return [item for item, _ in shown]
    shown.sort(key=lambda pair: pair[0].source != "program")  # stable: each kind keeps its order
    seen: set[tuple] = set()
    read = []
    for item, expression in shown:
        key = (expression, item.passed) if expression else (item.source, item.rule, item.message, item.passed)
        if key not in seen:
            seen.add(key)
            read.append(item)
    return read


def names_no_service_rule(spec: ServiceSpec | None, results: list[dict[str, Any]]) -> bool:
    """Whether some result outside a stage is not one of the service's rules in its own words: then
    it is a program's condition (a claim's), and the program is needed to say it."""
    rules = {r.id: r.message for r in spec.rules} if spec else {}
    return any(not r.get("stage") and rules.get(str(r.get("rule", ""))) != r.get("message") for r in results)
