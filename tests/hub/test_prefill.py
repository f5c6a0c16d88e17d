"""Prefill is one mechanism: what the form shows as held by the government is what filing fills in
and enforces."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from forms.validation import FormInvalid
from hub.requests.prefill import known_values, prefill, sources_of

CATALOG = load_catalog()


def test_the_values_shown_are_the_values_filed():
    spec = CATALOG.latest("graduate-rent-subsidy")
    sources = sources_of({}, {"name": "青禾科技有限公司", "uscc": "91310000MA1FL8TQ3X"})
    known = known_values(spec, sources)
    filled = prefill(spec, {}, sources)
    for name, value in known.items():
        assert value is None or filled[name] == value


def test_nothing_held_leaves_the_answer_to_the_applicant():
    spec = CATALOG.latest("elderly-care-allowance")
    known = known_values(spec, sources_of({}, None))
    assert known == {"full_name": None, "resident_id": None}
    assert prefill(spec, {"full_name": "张三"}, sources_of({}, None))["full_name"] == "张三"


def test_an_answer_other_than_what_is_held_is_refused():
    spec = CATALOG.latest("elderly-care-allowance")
    with pytest.raises(FormInvalid) as refused:
        prefill(spec, {"full_name": "李四"}, sources_of({"full_name": "张三"}, None))
    assert [e.code for e in refused.value.errors] == ["prefilled_mismatch"]
