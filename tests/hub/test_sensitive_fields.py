"""Health, hardship and disability are sensitive personal data: the fields that hold them are
personal (masked for staff until revealed with a reason, sealed at rest) and say why they are
collected; masked, nothing of them shows (a grade's first character would be the grade)."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from hub.privacy import mask, masked_answers

SENSITIVE = {
    "minimum-living-allowance": ("hardship", "supporting_documents"),
    "disability-living-subsidy": ("disability_grade",),
    "newborn-household-registration": ("ethnic_group",),
}


@pytest.mark.parametrize("service_id", SENSITIVE)
def test_sensitive_fields_are_personal_in_every_version(service_id):
    catalog = load_catalog()
    versions = [spec for (sid, _), spec in catalog.services.items() if sid == service_id]
    assert len(versions) >= 2  # the versions requests were filed under, too
    for spec in versions:
        for name in SENSITIVE[service_id]:
            field = next(f for f in spec.fields if f.name == name)
            assert field.personal and field.sensitive and field.purpose, (spec.id, spec.version, name)
            assert name in spec.personal_fields and name in spec.sensitive_fields


def test_masked_they_show_nothing_of_themselves():
    catalog = load_catalog()
    allowance = masked_answers(
        catalog.latest("minimum-living-allowance"),
        {"full_name": "张三", "hardship": "家庭成员长期患病，无稳定收入。", "supporting_documents": "upload:42"},
    )
    assert allowance == {"full_name": "张**", "hardship": "***", "supporting_documents": "***"}
    assert masked_answers(catalog.latest("disability-living-subsidy"), {"disability_grade": "1"}) == {
        "disability_grade": "***"
    }
    assert mask("2025-03-01", "date") == "***" and mask("浙江省杭州市西湖区", "address") == "浙江省杭州市…"
    # A sensitive text field shows nothing, where a name shows its first character.
    newborn = catalog.latest("newborn-household-registration")
    assert masked_answers(newborn, {"ethnic_group": "汉族", "baby_name": "王小明"}) == {
        "ethnic_group": "***",
        "baby_name": "王**",
    }
