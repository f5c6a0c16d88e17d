"""The enterprise's own figures under a program's criteria (hub.subsidies.figures): each value a
criterion reads from the enterprise's registry record, labelled and written for people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from forms.programs import load_programs
from forms.rules import fields_read
from hub.registry.ports import ELIGIBILITY_FIELDS
from hub.subsidies.figures import FIELD_LABELS, criterion_figures, figure_value
from hub.subsidies.presenter import FigureRead

PROFILE = {
    "id": 7,
    "uscc": "91330106MA7E2R9P3T",
    "name": "杭州启航新材料有限公司",
    "industry": "manufacturing",
    "district": "xihu",
    "founded_on": dt.date(2025, 9, 1),
    "registered_capital": 1_000_000,
    "status": "abnormal",
    "labels": ["start-up", "small-micro"],
    "tax_credit_rating": "C",
    "tax_bracket": "small-scale",
    "employees": 3,
    "insured_employees": 3,
}


def test_an_unmet_headcount_shows_the_enterprise_s_own_count():
    figures = criterion_figures("enterprise.insured_employees >= 5", PROFILE, "en")
    assert figures == [FigureRead(name="insured_employees", label="Insured employees", value="3")]


def test_a_rating_and_a_status_are_shown_as_people_read_them():
    [rating] = criterion_figures("enterprise.tax_credit_rating not in ('C', 'D')", PROFILE, "en")
    assert (rating.label, rating.value) == ("Tax credit rating", "C")
    [status] = criterion_figures("enterprise.status == 'active'", PROFILE, "en")
    assert (status.name, status.label, status.value) == ("status", "Status", "On the list of abnormal operations")
    assert criterion_figures("enterprise.status == 'active'", PROFILE, "zh_CN")[0].label == "状态"


def test_values_are_written_for_people():
    assert figure_value("registered_capital", 1_000_000, "en") == "CN¥1,000,000.00"
    assert figure_value("registered_capital", 1_000_000, "zh_CN") == "¥1,000,000.00"
    assert figure_value("employees", 12345, "en") == "12,345"
    assert figure_value("founded_on", dt.date(2025, 9, 1), "en") == "September 1, 2025"
    assert figure_value("founded_on", "2025-09-01", "zh_CN") == "2025年9月1日"
    assert figure_value("labels", ["start-up", "small-micro"], "en") == "Start-up and Small or micro enterprise"
    assert figure_value("labels", [], "zh_CN") == "无"
    assert figure_value("employees", Decimal("2.5"), "en") == "2.5"
    assert figure_value("anything", True, "zh_CN") == "是"
    assert figure_value("status", "suspended", "en") == "suspended"  # a code without a name: as given
    assert figure_value("insured_employees", None, "en") == "Not on record"


def test_several_fields_in_the_order_read_and_an_unknown_one_left_out():
    figures = criterion_figures(
        "enterprise.founded_on and enterprise.secret_score > 1 and enterprise.registered_capital >= 500000",
        PROFILE,
        "en",
    )
    assert [(f.name, f.label, f.value) for f in figures] == [
        ("founded_on", "Date of establishment", "September 1, 2025"),
        ("registered_capital", "Registered capital", "CN¥1,000,000.00"),
    ]
    # A field the record lacks is not on record (which is why the criterion failed).
    [missing] = criterion_figures("enterprise.employees > 0", {}, "en")
    assert missing.value == "Not on record"


def test_every_registry_field_and_every_field_the_programs_read_has_a_label():
    assert set(ELIGIBILITY_FIELDS) <= set(FIELD_LABELS)
    read = {f for p in load_programs() for c in p.criteria for f in fields_read(c.expression)}
    assert read <= set(FIELD_LABELS)
