"""Materials as credentials in service specs: what the catalog check refuses, the answer that refers
to a credential, and the catalog's zero-materials figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms.catalog import CATALOG_DIR, CatalogError, load_catalog
from forms.samples import example_answers
from forms.validation import FormInvalid, validate_form
from hub.catalog.materials import GOAL, materials_figure

CATALOG = load_catalog()
UPLOAD = "upl_" + "0" * 32


def with_service_edit(tmp_path: Path, service: str, old: str, new: str) -> list[str]:
    """The catalog's problems once one text of one service file is changed."""
    shutil.copytree(CATALOG_DIR, tmp_path / "catalog", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = tmp_path / "catalog" / "services" / service
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path / "catalog")
    return caught.value.problems


def test_the_catalog_check_refuses_an_unknown_credential_type(tmp_path):
    problems = with_service_edit(
        tmp_path, "maternity-allowance.v3.toml", 'credential = "birth-medical-certificate"', 'credential = "birth-cert"'
    )
    assert problems == [
        "services/maternity-allowance version 3: field 'birth_certificate' names an unknown credential 'birth-cert'"
    ]


def test_a_material_names_a_known_credential_and_a_field_of_the_form(tmp_path):
    problems = with_service_edit(tmp_path, "residence-permit.v2.toml", 'field = "photo"', 'field = "portrait"')
    assert problems == [
        "services/residence-permit version 2: material 'A recent colour photo with a white background "
        "(uploaded with the form)' names 'portrait', not a field of the form"
    ]


def test_only_a_file_field_names_a_credential_and_or_upload_needs_one(tmp_path):
    problems = with_service_edit(
        tmp_path, "maternity-allowance.v3.toml", 'credential = "birth-medical-certificate"\n', "or_upload = false\n"
    )
    assert any("or_upload = false needs the credential" in p for p in problems)


def test_the_answer_refers_to_a_credential_in_place_of_the_upload():
    spec = CATALOG.latest("maternity-allowance")
    answers = {**example_answers(spec, lambda f: UPLOAD), "full_name": "李四", "resident_id": "330106199205200024"}
    assert validate_form(spec, answers)["birth_certificate"] == UPLOAD
    # Only the id is kept: what the hub verified about it is added when the request is filed.
    given = {**answers, "birth_certificate": {"credential": "7f0c", "status": "valid"}}
    assert validate_form(spec, given)["birth_certificate"] == {"credential": "7f0c"}
    for wrong in ({"credential": 7}, {"id": "7f0c"}, ["7f0c"], "not-an-upload"):
        with pytest.raises(FormInvalid) as caught:
            validate_form(spec, {**answers, "birth_certificate": wrong})
        assert [e.field for e in caught.value.errors] == ["birth_certificate"]


def test_at_least_80_percent_of_the_catalog_s_materials_need_no_upload():
    figure = materials_figure(CATALOG, "en")
    assert figure.asked == sum(s.asked for s in figure.services) >= 60
    assert figure.share_without_upload >= GOAL == 0.8
    by_id = {s.id: s for s in figure.services}
    # The maternity allowance's birth certificate is a credential the health commission issues.
    maternity = {m.title: m for m in by_id["maternity-allowance"].materials}
    birth = maternity[
        "Medical certificate of birth of the baby: nothing to upload when the hub issued it; otherwise a scan or photo "
        "uploaded with the form, or a signed commitment in its place"
    ]
    assert (birth.way, birth.credential) == ("credential", "birth-medical-certificate")
    # A proof only the applicant has is still uploaded.
    assert by_id["rnd-expense-subsidy"].uploaded == 1
    # Every service is counted, each at its newest version.
    assert {(s.id, s.version) for s in figure.services} == {(s.id, s.version) for s in CATALOG.current()}
