"""Translations and locale formatting (Babel). Catalogs live in ``locales/``, compiled by setup."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.core import UnknownLocaleError
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("zh_CN", "en")
DEFAULT = "zh_CN"
TIMEZONE = "Asia/Shanghai"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for a supported locale (English is the source language)."""
    catalog = Translations.load(dirname=str(LOCALES_DIR), locales=[locale], domain="messages")
    if locale != "en" and not isinstance(catalog, Translations):
        raise RuntimeError(f"no compiled catalog for {locale} under {LOCALES_DIR}: run scripts/setup")
    return catalog


@cache
def templates(directory: str, locale: str) -> Environment:
    """Jinja templates from ``directory`` with ``{% trans %}`` and ``_()`` in ``locale`` (HTML autoescaped).

    One environment per directory and locale, kept: it holds the compiled templates, and compiling
    them again for each page or document cost more than rendering them. Templates ship with the
    hub and change only with it, so they are not checked for changes on every use (a restart loads
    new ones)."""
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.install_gettext_translations(translations(supported(locale)), newstyle=True)  # type: ignore[attr-defined]
    return env


def gettext(locale: str, message: str, **params: object) -> str:
    """Translate ``message`` into ``locale``, write its amounts (``{money:300}``) as money and fill its
    ``{placeholders}``."""
    text = translations(supported(locale)).gettext(message) if message else message
    if "{money:" in text:
        text = with_amounts(text, locale)
    return text.format(**params) if params else text


def supported(locale: str | None) -> str:
    return locale if locale in SUPPORTED else DEFAULT


# Browsers send a handful of different headers: each is parsed once.
@lru_cache(maxsize=1024)
def negotiate(accept_language: str | None, default: str = DEFAULT) -> str:
    """Pick a supported locale from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        try:
            parsed = Locale.parse(tag.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
        if parsed.language == "zh":
            return "zh_CN"
        if parsed.language == "en":
            return "en"
    return default


def format_datetime(value: dt.datetime, locale: str) -> str:
    return dates.format_datetime(value, "medium", tzinfo=dates.get_timezone(TIMEZONE), locale=supported(locale))


def format_date(value: dt.date | dt.datetime, locale: str) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dates.get_timezone(TIMEZONE)).date()
    return dates.format_date(value, "long", locale=supported(locale))


def format_money(amount: Decimal, locale: str) -> str:
    return numbers.format_currency(amount, "CNY", locale=supported(locale))


# An amount inside a spec's text (a service's or program's summary): ``{money:300}`` is 300 yuan,
# shown as the locale writes money (¥300.00, CN¥300.00), never as "300 CNY" or "300元" written out.
AMOUNT_IN_TEXT = re.compile(r"\{money:([0-9]+(?:\.[0-9]{1,2})?)\}")


def with_amounts(text: str, locale: str) -> str:
    """``text`` with each ``{money:…}`` written as money in ``locale``."""
    if "{money:" not in text:
        return text
    return AMOUNT_IN_TEXT.sub(lambda m: format_money(Decimal(m[1]), locale), text)
