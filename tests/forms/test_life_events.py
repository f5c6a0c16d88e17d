"""Life events in the catalog: the shipped one loads; a broken one is refused with one precise
problem per mistake (an unknown service or field, a cycle, shared answers of different types, a
handed-on value from a part that is not waited for or may be left out)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from forms.catalog import CATALOG_DIR, CatalogError, load_catalog

EVENT = (CATALOG_DIR / "life_events" / "hard-times.toml").read_text(encoding="utf-8")


def catalog_with(tmp_path: Path, event: str) -> Path:
    shutil.copy(CATALOG_DIR / "departments.toml", tmp_path / "departments.toml")
    shutil.copytree(CATALOG_DIR / "services", tmp_path / "services")
    (tmp_path / "life_events").mkdir()
    (tmp_path / "life_events" / "event.toml").write_text(event, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, event: str) -> list[str]:
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_with(tmp_path, event))
    return info.value.problems


def test_the_shipped_life_event_loads_in_order():
    event = load_catalog().life_events["hard-times"]
    assert [p.id for p in event.order()] == ["allowance", "disability"]
    assert event.filled_fields("disability") >= {
        "phone",
        "allowance_certificate_number",
        "receives_minimum_living_allowance",
    }


def test_an_unknown_service_version(tmp_path):
    bad = re.sub(r'(service = "disability-living-subsidy"\nversion = )\d+', r"\g<1>7", EVENT)
    assert bad != EVENT
    assert problems(tmp_path, bad) == [
        "life_events/event.toml: part 'disability': no service 'disability-living-subsidy' version 7"
    ]


def test_a_shared_answer_into_a_field_the_service_has_not(tmp_path):
    bad = EVENT.replace('"disability.phone"', '"disability.telephone"')
    assert problems(tmp_path, bad) == [
        "life_events/event.toml: shared answer 'phone': disability-living-subsidy has no field 'telephone'"
    ]


def test_shared_answers_whose_types_disagree(tmp_path):
    bad = EVENT.replace(
        'into = ["allowance.phone", "disability.phone"]', 'into = ["allowance.phone", "disability.hukou_local"]'
    )
    assert problems(tmp_path, bad) == [
        "life_events/event.toml: shared answer 'phone': the fields it fills disagree on their type or options"
    ]


def test_parts_waiting_for_each_other(tmp_path):
    bad = EVENT.replace(
        'title = "Minimum living allowance for the household"',
        'title = "Minimum living allowance for the household"\nafter = ["disability"]',
    )
    assert problems(tmp_path, bad) == [
        "life_events/event.toml: the parts wait for each other in a cycle: allowance, disability"
    ]


def test_a_value_handed_on_by_a_part_not_waited_for_or_left_out(tmp_path):
    not_waited = EVENT.replace('after = ["allowance"]\n', "")
    assert problems(tmp_path, not_waited) == [
        "life_events/event.toml: part 'disability': 'allowance_certificate_number' comes from 'allowance', which it does not wait for"
    ]
    optional_source = EVENT.replace("optional = true\n", "").replace(
        'title = "Minimum living allowance for the household"',
        'title = "Minimum living allowance for the household"\noptional = true',
    )
    [problem] = problems(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path, optional_source)
    assert "comes from the optional part 'allowance', so it may never be filled" in problem


NEWBORN = (CATALOG_DIR / "life_events" / "newborn.toml").read_text(encoding="utf-8")


def test_a_later_part_takes_the_certificate_an_earlier_part_issues():
    event = load_catalog().life_events["newborn"]
    # Waited for through the enrolment, not directly: what it issued is there when the allowance is filed.
    assert "birth" not in event.part("allowance").after and "birth" in event.waits_for("allowance")
    assert event.part("allowance").from_parts == {"birth_certificate": "birth.credential"}
    assert "birth_certificate" in event.filled_fields("allowance")


def test_a_credential_handed_on_by_a_part_that_does_not_issue_it_or_into_no_proof(tmp_path):
    def newborn_problems(where: Path, event: str) -> list[str]:
        where.mkdir()
        catalog_with(where, event)
        shutil.copy(CATALOG_DIR / "credentials.toml", where / "credentials.toml")
        with pytest.raises(CatalogError) as info:
            load_catalog(where)
        return info.value.problems

    wrong_issuer = NEWBORN.replace('"birth.credential"', '"hukou.credential"')
    assert newborn_problems(tmp_path / "a", wrong_issuer) == [
        "life_events/event.toml: part 'allowance': 'birth_certificate' takes a birth-medical-certificate, which 'hukou' does not issue"
    ]
    no_proof = NEWBORN.replace("birth_certificate = ", "employer_name = ")
    assert newborn_problems(tmp_path / "b", no_proof) == [
        "life_events/event.toml: part 'allowance': 'employer_name' takes a credential, but names no credential type"
    ]
