"""Translations: completeness of the Chinese catalog, catalog strings extracted, locale negotiation."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.catalog import CATALOG_DIR
from forms.i18n import catalog_strings
from hub.i18n import SUPPORTED, gettext, negotiate
from hub.web.problems import FALLBACK_FIELD_MESSAGE, FIELD_MESSAGES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
RUN_TRANSLATIONS = "run `make translations` (and translate the new messages in locales/zh_CN)"


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def texts(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


TEMPLATE = read_catalog(LOCALES / "messages.pot")
CHINESE = read_catalog(LOCALES / "zh_CN" / "LC_MESSAGES" / "messages.po")
TEMPLATE_IDS = {m.id for m in TEMPLATE if m.id}
TEMPLATE_SINGULARS = {texts(i)[0] for i in TEMPLATE_IDS}
CATALOG_FILES = [
    CATALOG_DIR / "departments.toml",
    *sorted((CATALOG_DIR / "services").glob("*.toml")),
    *sorted((CATALOG_DIR / "life_events").glob("*.toml")),
]


# --- the Chinese catalog is complete ---------------------------------------------------------------


def test_template_is_not_empty():
    assert len(TEMPLATE_IDS) > 50


def test_every_message_has_a_chinese_translation():
    untranslated = []
    for message in TEMPLATE:
        if not message.id:
            continue
        translated = CHINESE.get(message.id, context=message.context)
        if translated is None or translated.fuzzy or not all(s.strip() for s in texts(translated.string)):
            untranslated.append(texts(message.id)[0])
    assert not untranslated, f"untranslated or fuzzy in zh_CN ({RUN_TRANSLATIONS}): {untranslated}"


def test_translations_keep_the_placeholders():
    wrong = []
    for message in CHINESE:
        if not message.id or not message.string:
            continue
        expected = sorted(PLACEHOLDER.findall(texts(message.id)[0]))
        for string in texts(message.string):
            if string and sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append((texts(message.id)[0], string))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_no_obsolete_chinese_messages_shadow_the_template():
    extra = {texts(m.id)[0] for m in CHINESE if m.id} - TEMPLATE_SINGULARS
    assert not extra, f"messages in zh_CN that are not in messages.pot ({RUN_TRANSLATIONS}): {sorted(extra)}"


# --- strings from the catalog and the code are extracted -------------------------------------------


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.name)
def test_catalog_display_strings_are_in_the_template(path):
    strings = catalog_strings(tomllib.loads(path.read_text(encoding="utf-8")))
    assert strings, f"{path.name} has no display strings"
    missing = [s for s in strings if s not in TEMPLATE_SINGULARS]
    assert not missing, f"{path.name}: strings missing from locales/messages.pot, {RUN_TRANSLATIONS}: {missing}"


def test_catalog_strings_include_labels_and_exclude_identifiers():
    spec = tomllib.loads((CATALOG_DIR / "services" / "elderly-care-allowance.toml").read_text(encoding="utf-8"))
    strings = catalog_strings(spec)
    assert "Lives in a care home" in strings  # an option label
    assert "The applicant must be aged 80 or over." in strings  # a rule message
    assert "care_home_name" not in strings  # a field's name is an identifier
    assert "age(resident_id) >= 80" not in strings  # an expression
    departments = catalog_strings(tomllib.loads((CATALOG_DIR / "departments.toml").read_text(encoding="utf-8")))
    assert "District Civil Affairs Bureau" in departments  # a department's name is shown
    assert "civil-affairs" not in departments


def test_field_messages_are_in_the_template():
    messages = [*FIELD_MESSAGES.values(), FALLBACK_FIELD_MESSAGE]
    missing = sorted({m for m in messages if m not in TEMPLATE_SINGULARS})
    assert not missing, f"field messages missing from locales/messages.pot, {RUN_TRANSLATIONS}: {missing}"


# --- negotiation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("en-US,en;q=0.9", "en"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("zh-CN", "zh_CN"),
        ("zh-TW", "zh_CN"),
        ("zh-Hant-HK", "zh_CN"),
        ("zh", "zh_CN"),
        ("fr", "zh_CN"),
        ("fr-FR, de;q=0.8", "zh_CN"),
        ("fr, en;q=0.5", "en"),
        ("zh;q=0.1, en;q=0.9", "en"),
        ("en;q=0.1, zh-CN;q=0.9", "zh_CN"),
        ("en;q=0, fr", "zh_CN"),  # q=0 means "not acceptable"
        ("en;q=0.5, zh;q=0.5", "en"),  # a tie goes to the first listed
        (";;;,q=abc", "zh_CN"),
        ("en;q=abc", "zh_CN"),
        (",,,", "zh_CN"),
        ("", "zh_CN"),
        (None, "zh_CN"),
    ],
)
def test_negotiate(header, locale):
    assert negotiate(header) == locale


def test_negotiate_default_can_be_chosen():
    assert negotiate("fr", default="en") == "en"
    assert negotiate(None, default="en") == "en"


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=60))
def test_negotiate_never_raises(header):
    assert negotiate(header) in SUPPORTED


# --- translating -----------------------------------------------------------------------------------


def test_gettext_chinese_and_english():
    chinese = gettext("zh_CN", "Decision notice")
    assert CJK.search(chinese), chinese
    assert gettext("en", "Decision notice") == "Decision notice"


def test_gettext_unsupported_locale_falls_back_to_chinese():
    assert gettext("fr", "Decision notice") == gettext("zh_CN", "Decision notice")


def test_gettext_fills_placeholders_in_both_languages():
    message = FIELD_MESSAGES["string_too_long"]
    assert gettext("en", message, max_length=50) == "Use at most 50 characters."
    chinese = gettext("zh_CN", message, max_length=50)
    assert "50" in chinese and CJK.search(chinese) and "{" not in chinese


def test_catalog_strings_are_translated_at_runtime():
    assert CJK.search(gettext("zh_CN", "District Civil Affairs Bureau"))
    assert CJK.search(gettext("zh_CN", "The applicant must be aged 80 or over."))
