"""Whole numbers as people and links give them: ASCII digits, not too many; a group's count sent as
a file reads as none."""

from __future__ import annotations

from litestar.datastructures import FormMultiDict, UploadFile

from forms.catalog import load_catalog
from forms.validation import whole_number
from hub.settings import load_settings
from hub.web.pages.forms import answers_from_form


def test_whole_numbers():
    assert whole_number("42") == 42 and whole_number(" 7 ") == 7
    for odd in ("²", "٤٢", "-1", "1.5", "", "9" * 11, None, 3):
        assert whole_number(odd) is None, odd
    assert whole_number("9" * 30, digits=30) == int("9" * 30)


def test_a_group_count_sent_as_a_file_counts_no_item():
    catalog = load_catalog(load_settings({}).catalog_path)
    spec = next(s for s in catalog.services.values() if any(f.type == "group" for f in s.fields))
    group = next(f for f in spec.fields if f.type == "group")
    upload = UploadFile(content_type="text/plain", filename="count.txt", file_data=b"3")
    form = FormMultiDict({f"{group.name}.count": upload})
    answers = answers_from_form(spec, form)
    assert answers.get(group.name, []) == []


def test_an_amount_typed_with_thousands_separators_is_read_as_the_number():
    """On a page, "10,000,000" (or full-width "１０，０００") is the number a person means; the form's
    own checks then judge it like any other."""
    catalog = load_catalog(load_settings({}).catalog_path)
    spec = catalog.latest("rnd-expense-subsidy")
    money = next(f for f in spec.fields if f.type in ("money", "number"))
    for typed, read in (
        ("10,000,000", "10000000"),
        ("１０，０００.５", "10000.5"),
        (" 12 000 ", "12000"),
        ("abc", "abc"),
    ):
        assert answers_from_form(spec, FormMultiDict({money.name: typed}))[money.name] == read, typed
