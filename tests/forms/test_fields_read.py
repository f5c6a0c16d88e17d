"""Which fields of the enterprise's record an expression reads (forms.rules.fields_read): found in
the tree the evaluator parses, so a program's criterion can show the enterprise its own figures."""

from __future__ import annotations

import pytest

from forms.programs import load_programs
from forms.rules import fields_read


@pytest.mark.parametrize(
    ("expression", "fields"),
    [
        ("enterprise.insured_employees >= 5", ["insured_employees"]),
        ("enterprise.tax_credit_rating not in ('C', 'D')", ["tax_credit_rating"]),
        ("enterprise.status == 'active'", ["status"]),
        ("'small-micro' in enterprise.labels", ["labels"]),
        ("years_since(enterprise.founded_on) < 3", ["founded_on"]),
        # In the order read, each once; a subscript and .get() read a field as well.
        (
            "enterprise['employees'] > 3 and enterprise.get('founded_on') and enterprise.employees < 50",
            ["employees", "founded_on"],
        ),
        ("min(enterprise.employees * 2000, 200000)", ["employees"]),
    ],
)
def test_the_fields_an_expression_reads(expression, fields):
    assert fields_read(expression) == fields


@pytest.mark.parametrize(
    "expression",
    [
        "'enterprise.status' == 'active'",  # text, not a read
        "today.year > 2000",
        "profile.full_name != ''",
        "[enterprise for enterprise in [1, 2]] != []",  # a name bound by the expression itself
        "enterprise[0]",  # not a field by name
        "",
        "enterprise.status ==",  # does not parse
    ],
)
def test_an_expression_that_reads_no_field_by_name(expression):
    assert fields_read(expression) == []


def test_another_record_by_its_name():
    assert fields_read("profile.full_name != '' and enterprise.status == 'active'", "profile") == ["full_name"]


def test_every_shipped_program_criterion_reads_the_enterprise_record():
    for program in load_programs():
        for criterion in program.criteria:
            assert fields_read(criterion.expression), (program.code, criterion.id)
