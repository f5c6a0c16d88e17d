"""Loading and checking the catalog (forms.catalog) and the ``qinqing catalog check`` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from forms.catalog import CATALOG_DIR, CatalogError, load_catalog

ROOT = Path(__file__).resolve().parents[2]

# A small, valid service; tests break one thing at a time.
SERVICE = """\
id = "{id}"
version = {version}
title = "Test service"
summary = "A service for catalog tests."
audience = ["citizen"]
owner = "civil-affairs"
legal_basis = "None"
time_limit_days = 10

[[fields]]
name = "full_name"
type = "text"
label = "Full name"
personal = true
purpose = "To name the applicant"

[[fields]]
name = "living_arrangement"
type = "choice"
label = "Living arrangement"
options = [
    {{ value = "alone", label = "Lives alone" }},
    {{ value = "care_home", label = "Lives in a care home" }},
]

[[fields]]
name = "care_home_name"
type = "text"
label = "Name of the care home"
visible_when = {{ field = "living_arrangement", equals = ["care_home"] }}

[[rules]]
id = "has-name"
expression = "len(full_name) > 0"
message = "Give your name."

[[route]]
id = "review"
title = "Review"
departments = ["street-office"]
time_limit_days = 5
"""


def service(id: str = "test-service", version: int = 1) -> str:
    return SERVICE.format(id=id, version=version)


def catalog_dir(tmp_path: Path, **files: str) -> Path:
    """A catalog directory with the shipped departments and the given services (file stem -> TOML)."""
    shutil.copy(CATALOG_DIR / "departments.toml", tmp_path / "departments.toml")
    (tmp_path / "services").mkdir()
    for stem, text in files.items():
        (tmp_path / "services" / f"{stem}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogError) as info:
        load_catalog(directory)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "catalog", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- the shipped catalog ---------------------------------------------------------------------------


def test_shipped_catalog_loads():
    catalog = load_catalog()
    assert catalog.departments
    assert catalog.services
    assert "elderly-care-allowance" in {s.id for s in catalog.current()}


def test_every_service_uses_known_departments_and_has_a_route():
    catalog = load_catalog()
    for spec in catalog.services.values():
        assert spec.owner in catalog.departments, spec.id
        assert spec.route, spec.id
        for stage in spec.route:
            if stage.kind == "review":
                assert stage.departments, f"{spec.id}: stage {stage.id} has no department"
            for code in stage.departments:
                assert code in catalog.departments, f"{spec.id}: unknown department {code}"


def test_elderly_allowance_route():
    spec = load_catalog().latest("elderly-care-allowance")
    assert [s.departments for s in spec.route] == [["street-office"], ["civil-affairs"]]
    assert spec.departments == ["civil-affairs", "street-office"]


def test_valid_test_service_loads(tmp_path):
    catalog = load_catalog(catalog_dir(tmp_path, one=service(version=1), two=service(version=2)))
    assert catalog.latest("test-service").version == 2
    assert catalog.version("test-service", 1).version == 1
    assert catalog.version("test-service", 3) is None


# --- broken catalogs: one precise problem each -----------------------------------------------------


def test_unknown_department_in_a_route(tmp_path):
    text = service().replace('departments = ["street-office"]', 'departments = ["street-office", "ministry-of-magic"]')
    assert problems(catalog_dir(tmp_path, bad=text)) == ["services/bad.toml: unknown department 'ministry-of-magic'"]


def test_unknown_owner(tmp_path):
    text = service().replace('owner = "civil-affairs"', 'owner = "ministry-of-magic"')
    assert problems(catalog_dir(tmp_path, bad=text)) == ["services/bad.toml: unknown department 'ministry-of-magic'"]


def test_personal_field_without_purpose(tmp_path):
    text = service().replace('purpose = "To name the applicant"\n', "")
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert problem.startswith("services/bad.toml: fields.0")
    assert "field 'full_name': personal data must state the purpose it is collected for" in problem


def test_rule_expression_that_does_not_parse(tmp_path):
    text = service().replace('expression = "len(full_name) > 0"', 'expression = "len(full_name) >"')
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert problem.startswith("services/bad.toml: rule 'has-name': expression does not parse: ")
    assert problem.removeprefix("services/bad.toml: rule 'has-name': expression does not parse: ")


def test_visible_when_referring_to_an_unknown_field(tmp_path):
    text = service().replace('field = "living_arrangement"', 'field = "living_situation"')
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert problem.startswith("services/bad.toml: ")
    assert "'care_home_name'" in problem
    assert "unknown field 'living_situation'" in problem


def test_duplicate_field_names(tmp_path):
    text = service().replace('name = "care_home_name"', 'name = "full_name"')
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert problem.startswith("services/bad.toml: ")
    assert problem.endswith("duplicate field names: full_name")


def test_invalid_toml(tmp_path):
    text = service().replace('title = "Test service"', 'title = "Test service')
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert problem.startswith("services/bad.toml: not valid TOML: ")


def test_same_id_and_version_defined_twice(tmp_path):
    directory = catalog_dir(tmp_path, a_first=service(), b_second=service())
    assert problems(directory) == ["services/b_second.toml: test-service version 1 is defined twice"]


def test_every_problem_of_every_file_is_listed(tmp_path):
    broken_toml = "id = "
    unknown_department = service("other").replace('"street-office"', '"ministry-of-magic"')
    found = problems(catalog_dir(tmp_path, a=broken_toml, b=unknown_department, c=service()))
    assert len(found) == 2
    assert found[0].startswith("services/a.toml: not valid TOML")
    assert found[1] == "services/b.toml: unknown department 'ministry-of-magic'"


def test_missing_departments_file(tmp_path):
    directory = catalog_dir(tmp_path, ok=service())
    (directory / "departments.toml").unlink()
    found = problems(directory)
    assert found[0].startswith("departments.toml: ")
    assert "services/ok.toml: unknown department 'civil-affairs'" in found


# --- the command -----------------------------------------------------------------------------------


def test_catalog_check_command_reports_problems(tmp_path):
    text = service().replace('departments = ["street-office"]', 'departments = ["ministry-of-magic"]')
    result = run_check(str(catalog_dir(tmp_path, bad=text)))
    assert result.returncode == 1, result.stderr
    assert "1 problem(s)" in result.stderr
    assert "services/bad.toml: unknown department 'ministry-of-magic'" in result.stderr
    assert "Catalog OK" not in result.stdout


def test_catalog_check_command_passes_on_the_shipped_catalog():
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Catalog OK: ")


def test_group_fields_named_like_dict_methods_are_refused(tmp_path):
    service = """
id = "reserved-names"
version = 1
title = "T"
summary = "S"
audience = ["citizen"]
owner = "civil-affairs"
legal_basis = "L"
time_limit_days = 5

[[fields]]
name = "people"
type = "group"
label = "People"
fields = [{ name = "items", type = "number", label = "Items" }]

[[route]]
id = "review"
title = "Review"
departments = ["civil-affairs"]
"""
    (tmp_path / "services").mkdir()
    shutil.copy(CATALOG_DIR / "departments.toml", tmp_path / "departments.toml")
    (tmp_path / "services" / "reserved-names.toml").write_text(service)
    with pytest.raises(CatalogError) as exc:
        load_catalog(tmp_path)
    assert any("'items' in group 'people' has a reserved name" in p for p in exc.value.problems)
