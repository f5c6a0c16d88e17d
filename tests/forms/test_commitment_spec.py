"""A commitment in a service spec: what the catalog check refuses, and how it makes proofs optional."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from forms.catalog import check_service, load_catalog
from forms.samples import example_answers
from forms.spec import ServiceSpec
from forms.validation import FormInvalid, validate_form

CATALOG = load_catalog()
SPEC = CATALOG.latest("maternity-allowance")
UPLOAD = "upl_" + "0" * 32


def with_commitment(**changes) -> ServiceSpec:
    data = SPEC.model_dump()
    data["commitment"] = {**data["commitment"], **changes}
    return ServiceSpec.model_validate(data)


def test_the_maternity_allowance_takes_a_commitment_for_the_birth_certificate():
    assert SPEC.version >= 2 and SPEC.commitment is not None
    assert SPEC.commitment.replaces == ["birth_certificate"] and SPEC.commitment.barred_years == 2
    assert CATALOG.version("maternity-allowance", 1).commitment is None  # requests filed before keep theirs


@pytest.mark.parametrize(
    ("replaces", "problem"),
    [
        (["phone"], "only a proof (a file field) can be replaced"),
        (["no_such_field"], "not a field of the form"),
    ],
)
def test_the_check_refuses_a_commitment_that_replaces_no_proof(replaces, problem):
    problems = check_service(with_commitment(replaces=replaces), CATALOG.departments)
    assert any(problem in p for p in problems), problems


def test_a_field_named_commitment_is_refused():
    data = SPEC.model_dump()
    data["fields"] = [*data["fields"], {"name": "commitment", "type": "boolean", "label": "x"}]
    with pytest.raises(ValidationError, match="reserved"):
        ServiceSpec.model_validate(data)


def test_committing_makes_the_replaced_proof_optional_and_nothing_else():
    # The prefilled name and identity number, as the hub fills them in.
    answers = {**example_answers(SPEC, lambda f: UPLOAD), "full_name": "李四", "resident_id": "330106199205200024"}
    answers.pop("birth_certificate")
    with pytest.raises(FormInvalid) as refused:
        validate_form(SPEC, answers)
    assert [(e.field, e.code) for e in refused.value.errors] == [("birth_certificate", "missing")]
    clean = validate_form(SPEC, {**answers, "commitment": True})
    assert clean["commitment"] is True and "birth_certificate" not in clean
    with pytest.raises(FormInvalid) as still:
        validate_form(SPEC, {**answers, "commitment": True, "phone": None})
    assert [e.field for e in still.value.errors] == ["phone"]
    with pytest.raises(FormInvalid) as wrong:
        validate_form(SPEC, {**answers, "commitment": "yes"})
    assert ("commitment", "bool_type") in [(e.field, e.code) for e in wrong.value.errors]
    assert "commitment" not in validate_form(SPEC, {**answers, "birth_certificate": UPLOAD, "commitment": False})
