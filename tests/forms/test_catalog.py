"""Loading and checking the catalog (forms.catalog) and the ``qinqing catalog check`` command."""

from __future__ import annotations

import re
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


def test_sensitive_field_that_is_not_personal(tmp_path):
    text = (
        service()
        .replace('purpose = "To name the applicant"\n', "")
        .replace("personal = true\n", "sensitive = true\n", 1)
    )
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert "field 'full_name': sensitive data is personal data" in problem


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


def test_instant_approval_without_a_check_stage_is_refused(tmp_path):
    text = service().replace("time_limit_days = 10\n", "time_limit_days = 10\ninstant = true\n", 1)
    assert problems(catalog_dir(tmp_path, bad=text)) == [
        "services/bad.toml: instant = true needs a check stage in the route: approval by rule rests on "
        "automatic checks, and this route has none"
    ]


def test_instant_approval_with_a_check_stage_loads(tmp_path):
    text = service().replace("time_limit_days = 10\n", "time_limit_days = 10\ninstant = true\n", 1)
    text = text.replace(
        "[[route]]\n",
        '[[route]]\nid = "check"\ntitle = "Check"\nkind = "check"\n'
        'checks = [{ id = "named", expression = "len(full_name) > 1", message = "Name too short." }]\n\n[[route]]\n',
        1,
    )
    assert load_catalog(catalog_dir(tmp_path, good=text)).latest("test-service").instant


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


# --- working-day calendars (calendar/<year>.toml) ---------------------------------------------------

# A valid calendar (invented days: a test, not a schedule); tests break one thing at a time.
CALENDAR = """\
year = {year}
notice = "a test calendar"

[[holidays]]
name = {{ zh_CN = "元旦", en = "New Year's Day" }}
days_off = [{year}-01-01, {year}-01-02, {year}-01-03]
working_days = [{year}-01-10]

[[holidays]]
name = {{ zh_CN = "春节", en = "Spring Festival" }}
days_off = [{year}-02-06, {year}-02-07, {year}-02-08]
working_days = [{year}-02-20]
"""


def calendar_dir(tmp_path: Path, **files: str) -> Path:
    """A catalog directory with one valid service and the given calendar files (stem -> TOML)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    directory = catalog_dir(tmp_path, ok=service())
    (directory / "calendar").mkdir()
    for stem, text in files.items():
        (directory / "calendar" / f"{stem}.toml").write_text(text, encoding="utf-8")
    return directory


def calendar(year: int = 2027) -> str:
    return CALENDAR.format(year=year)


def test_shipped_calendar_of_2026_loads_and_no_2027_is_invented():
    catalog = load_catalog()
    assert 2026 in catalog.calendars
    assert {h.name.zh_CN for h in catalog.calendars[2026].holidays} >= {"元旦", "春节", "国庆节"}
    assert 2027 not in catalog.calendars


def test_valid_calendar_loads(tmp_path):
    catalog = load_catalog(calendar_dir(tmp_path, **{"2027": calendar()}))
    assert [h.name.en for h in catalog.calendars[2027].holidays] == ["New Year's Day", "Spring Festival"]


def test_calendar_date_outside_its_year(tmp_path):
    text = calendar().replace("2027-01-10]", "2028-01-10]")
    assert problems(calendar_dir(tmp_path, **{"2027": text})) == [
        "calendar/2027.toml: holidays.0.working_days.0: 2028-01-10 is not in 2027"
    ]


def test_calendar_day_both_off_and_working(tmp_path):
    text = calendar().replace("working_days = [2027-02-20]", "working_days = [2027-02-07]")
    assert problems(calendar_dir(tmp_path, **{"2027": text})) == [
        "calendar/2027.toml: holidays.1.working_days.0: 2027-02-07 is listed both as a day off and as a working day"
    ]


def test_calendar_day_listed_twice(tmp_path):
    text = calendar().replace("2027-02-06, 2027-02-07", "2027-02-06, 2027-01-02")
    assert problems(calendar_dir(tmp_path, **{"2027": text})) == [
        "calendar/2027.toml: holidays.1.days_off.1: 2027-01-02 is listed twice"
    ]


def test_calendar_names_in_both_languages(tmp_path):
    missing_en = calendar().replace(', en = "Spring Festival"', "")
    [missing] = problems(calendar_dir(tmp_path / "a", **{"2027": missing_en}))
    assert missing.startswith("calendar/2027.toml: holidays.1.name.en: Field required")
    empty_zh = calendar().replace('zh_CN = "元旦"', 'zh_CN = "  "')
    [empty] = problems(calendar_dir(tmp_path / "b", **{"2027": empty_zh}))
    assert empty.startswith("calendar/2027.toml: holidays.0.name.zh_CN: String should have at least 1 character")


def test_calendar_year_must_match_its_file_name(tmp_path):
    assert problems(calendar_dir(tmp_path, **{"2028": calendar()})) == [
        "calendar/2028.toml: year: the calendar is for 2027, but it is given as the calendar of 2028"
    ]


def test_calendar_file_named_after_something_else(tmp_path):
    assert problems(calendar_dir(tmp_path, **{"next-year": calendar()})) == [
        "calendar/next-year.toml: a calendar file is named after its year, such as 2027.toml"
    ]


def test_calendar_without_holidays_or_without_days_off(tmp_path):
    assert problems(calendar_dir(tmp_path / "a", **{"2027": "year = 2027\n"})) == [
        "calendar/2027.toml: holidays: list the year's public holidays"
    ]
    text = calendar().replace("days_off = [2027-02-06, 2027-02-07, 2027-02-08]\n", "")
    assert problems(calendar_dir(tmp_path / "b", **{"2027": text})) == [
        "calendar/2027.toml: holidays.1.days_off: a holiday needs its days off"
    ]


def test_calendar_unknown_key_and_invalid_toml(tmp_path):
    text = calendar().replace('notice = "a test calendar"', 'notice = "x"\nsource = "y"')
    [unknown] = problems(calendar_dir(tmp_path / "a", **{"2027": text}))
    assert unknown.startswith("calendar/2027.toml: source: Extra inputs are not permitted")
    [broken] = problems(calendar_dir(tmp_path / "b", **{"2027": "year = [2027"}))
    assert broken.startswith("calendar/2027.toml: not valid TOML")


def test_every_calendar_problem_is_listed_with_the_services(tmp_path):
    text = calendar().replace("2027-01-10]", "2026-12-31]")
    text = text.replace("working_days = [2027-02-20]", "working_days = [2027-02-08]")
    directory = calendar_dir(tmp_path, **{"2027": text})
    (directory / "services" / "bad.toml").write_text(
        service("bad").replace('owner = "civil-affairs"', 'owner = "nobody"'), encoding="utf-8"
    )
    found = problems(directory)
    assert "services/bad.toml: unknown department 'nobody'" in found
    assert "calendar/2027.toml: holidays.0.working_days.0: 2026-12-31 is not in 2027" in found
    assert any(p.startswith("calendar/2027.toml: holidays.1.working_days.0: 2027-02-08 is listed both") for p in found)


def test_catalog_check_command_reports_calendar_problems(tmp_path):
    text = calendar().replace("working_days = [2027-02-20]", "working_days = [2027-02-07]")
    result = run_check(str(calendar_dir(tmp_path, **{"2027": text})))
    assert result.returncode == 1, result.stderr
    assert "calendar/2027.toml: holidays.1.working_days.0: 2027-02-07 is listed both" in result.stderr
    ok = run_check(str(calendar_dir(tmp_path / "ok", **{"2027": calendar()})))
    assert ok.returncode == 0, ok.stderr
    assert "working-day calendars: 2027." in ok.stdout


def test_shipped_texts_write_amounts_as_money_placeholders():
    """An amount in a program's or service's text is ``{money:300}``, shown as the reader's locale
    writes money; "300 CNY" or "300元" written out would read differently from every other amount.
    (An ``example`` is what an applicant might type, and stays as typed.)"""
    written = re.compile(r"[0-9][0-9,.]*\s*(万?元|CNY|yuan|RMB)")
    root = Path(__file__).resolve().parent.parent.parent / "forms"
    for path in [*root.glob("programs/*.toml"), *root.glob("services/*.toml")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith(("#", "example")):
                assert not written.search(line), f"{path.name}:{number}: {line.strip()}"


# --- benefits ----------------------------------------------------------------------------------------


PAYS = 'pays.zh_CN = "每月{money:100}"\npays.en = "{money:100} a month"'


def benefit(amount: str = "100 if person.age < 90 else 300", pays: str = PAYS, **extra: str) -> str:
    """The test service as a monthly benefit with ``amount`` (and what it pays in words)."""
    lines = [f"{k} = {v}" for k, v in extra.items()] + ([pays] if pays else [])
    return service().replace("time_limit_days = 10\n", 'time_limit_days = 10\nonce_per = "person"\n', 1) + (
        f'\n[benefit]\nkind = "monthly"\namount = "{amount}"\nmaximum = "1000"\n' + "\n".join(lines) + "\n"
    )


def test_a_benefit_with_a_band_by_age_loads(tmp_path):
    catalog = load_catalog(catalog_dir(tmp_path, good=benefit(band="\"'80-89' if person.age < 90 else '90+'\"")))
    spec = catalog.latest("test-service")
    assert spec.benefit.kind == "monthly" and spec.once_per == "person"


def test_a_benefit_formula_reading_a_fact_the_registry_does_not_hold(tmp_path):
    [problem] = problems(catalog_dir(tmp_path, bad=benefit("100 if person.income < 90 else 300")))
    assert problem.startswith("services/bad.toml: benefit amount: the registry holds no person.income")


def test_a_benefit_formula_that_pays_nothing_or_too_much_is_refused(tmp_path):
    [negative] = problems(catalog_dir(tmp_path, bad=benefit("100 - person.age * 10")))
    assert "benefit amount: 0.00 for the example answers at age 60 is not a payment" in negative
    [absurd] = problems(
        catalog_dir(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path, bad=benefit("person.age * 100"))
    )
    assert "at most the maximum 1000" in absurd


def test_a_benefit_needs_the_once_per_rule_and_its_account_field(tmp_path):
    text = benefit(account_field='"bank"').replace('once_per = "person"\n', "")
    [problem] = problems(catalog_dir(tmp_path, bad=text))
    assert "a benefit is granted once per person (or per period): set once_per" in problem
    [missing] = problems(
        catalog_dir(
            tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path, bad=benefit(account_field='"bank"')
        )
    )
    assert missing == "services/bad.toml: benefit account field 'bank' is not a field of the form"


def test_a_benefit_paid_by_a_formula_says_what_it_pays(tmp_path):
    spec = load_catalog(catalog_dir(tmp_path, good=benefit())).latest("test-service")
    assert spec.benefit.pays.en == "{money:100} a month" and spec.benefit.fixed_amount is None
    (tmp_path / "bare").mkdir()
    [problem] = problems(catalog_dir(tmp_path / "bare", bad=benefit(pays="")))
    assert problem.endswith("its benefit's amount is a formula; say what it pays in benefit.pays (zh_CN and en)")


def test_a_benefit_of_one_amount_needs_no_words(tmp_path):
    spec = load_catalog(catalog_dir(tmp_path, good=benefit("100", pays=""))).latest("test-service")
    assert spec.benefit.fixed_amount == 100 and spec.benefit.pays is None


@pytest.mark.parametrize(
    ("pays", "says"),
    [
        ('pays.zh_CN = "100 a month"\npays.en = "100 a month"', "benefit.pays.zh_CN has no Chinese character"),
        ('pays.zh_CN = "每月100元"\npays.en = "每月100元"', "benefit.pays.en is Chinese"),
        ('pays.en = "100 a month"', "benefit.pays.zh_CN: Field required"),
    ],
)
def test_what_a_benefit_pays_is_written_in_both_languages(tmp_path, pays, says):
    assert any(says in p for p in problems(catalog_dir(tmp_path, bad=benefit(pays=pays))))


def test_words_on_an_older_version_only_are_refused(tmp_path):
    newer = benefit("100", pays="").replace("version = 1", "version = 2", 1)
    found = problems(catalog_dir(tmp_path, old=benefit(), new=newer))
    assert any("version 1: its benefit.pays is never shown" in p for p in found)


def test_every_shipped_benefit_says_what_it_pays():
    for spec in load_catalog().current():
        if spec.benefit is not None:
            assert spec.benefit.pays is not None or spec.benefit.fixed_amount is not None, spec.id
