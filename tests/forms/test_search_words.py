"""Search words (``search_words`` of a service or life event): the everyday names people search
with, per language, checked as the file loads and by the catalog check; presentation, never
translated nor part of a version's filing rules."""

from __future__ import annotations

import tomllib

import pytest

from forms.catalog import CATALOG_DIR, load_catalog
from forms.i18n import catalog_strings
from tests.forms.test_catalog import catalog_dir, problems, service

WORDS = 'search_words.zh_CN = ["低保", "低保金"]\nsearch_words.en = ["dibao", "welfare"]\n'


def with_words(words: str, version: int = 1) -> str:
    return service(version=version).replace("time_limit_days = 10\n", f"time_limit_days = 10\n{words}", 1)


def test_search_words_load_per_language(tmp_path):
    spec = load_catalog(catalog_dir(tmp_path, one=with_words(WORDS))).latest("test-service")
    assert spec.search_words.zh_CN == ["低保", "低保金"]
    assert spec.search_words.listed() == ["低保", "低保金", "dibao", "welfare"]


def test_a_service_without_search_words_has_none(tmp_path):
    assert load_catalog(catalog_dir(tmp_path, one=service())).latest("test-service").search_words.listed() == []


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ('search_words.zh_CN = ["dibao"]\n', "search_words.zh_CN: dibao has no Chinese character"),
        ('search_words.en = ["低保"]\n', "search_words.en: 低保 is Chinese"),
        ('search_words.en = ["Baby", "baby"]\n', "search_words.en: baby listed twice"),
        ('search_words.en = [" baby"]\n', "search_words.en.0: String should match pattern"),
        ('search_words.en = [""]\n', "search_words.en.0: String should have at least 1 character"),
        ('search_words.zh = ["低保"]\n', "search_words.zh: Extra inputs are not permitted"),
    ],
)
def test_mistaken_search_words_are_refused(tmp_path, words, says):
    [problem] = problems(catalog_dir(tmp_path, one=with_words(words)))
    assert problem.startswith("services/one.toml: ")
    assert says in problem


def test_search_words_on_an_older_version_alone_are_refused(tmp_path):
    # The search reads the newest version: words left on an older one would never be searched.
    directory = catalog_dir(tmp_path, one=with_words(WORDS), two=service(version=2))
    assert problems(directory) == [
        "services/test-service version 1: its search words are never searched; "
        "the search reads the newest version (2), which has none"
    ]
    (tmp_path / "both").mkdir()
    both = catalog_dir(tmp_path / "both", one=with_words(WORDS), two=with_words(WORDS, version=2))
    assert load_catalog(both).latest("test-service").search_words.en == ["dibao", "welfare"]


def test_search_words_are_not_display_strings_to_translate():
    path = CATALOG_DIR / "services" / "minimum-living-allowance.v2.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["search_words"]["zh_CN"][0] == "低保"
    strings = catalog_strings(data)
    assert "Minimum living allowance" in strings
    assert not {"低保", "dibao"} & set(strings)


def test_the_shipped_catalog_names_services_and_life_events_as_people_say_them():
    catalog = load_catalog()
    assert "低保" in catalog.latest("minimum-living-allowance").search_words.zh_CN
    assert "生孩子" in catalog.latest("maternity-allowance").search_words.zh_CN
    assert "生孩子" in catalog.life_events["newborn"].search_words.zh_CN
    assert "having a baby" in catalog.life_events["newborn"].search_words.en
