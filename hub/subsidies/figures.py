"""An enterprise's own figures behind a program's criteria: the registry values each criterion
reads (``enterprise.insured_employees >= 5`` reads its insured employees), labelled and written for
people, so that an enterprise sees how far it is from qualifying. They are the enterprise's own
data: shown to that enterprise alone (its *Policies for you*), never to staff or the public."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import lists, numbers

from forms.rules import fields_read
from hub.i18n import N_, format_date, format_money, gettext, supported
from hub.subsidies.presenter import FigureRead

# What each item of an enterprise's registry record is called (hub/registry/ports.py ``SOURCES``).
# A criterion reading anything else shows no figure for it: better none than a raw name.
FIELD_LABELS: dict[str, str] = {
    "uscc": N_("Unified social credit code"),
    "name": N_("Enterprise name"),
    "industry": N_("Industry"),
    "district": N_("District"),
    "founded_on": N_("Date of establishment"),
    "registered_capital": N_("Registered capital"),
    "status": N_("Status"),
    "labels": N_("Recognised as"),
    "tax_credit_rating": N_("Tax credit rating"),
    "tax_bracket": N_("Taxpayer type"),
    "employees": N_("Employees"),
    "insured_employees": N_("Insured employees"),
}
# Amounts in CNY, and dates (a registry may send a date as ISO text).
MONEY_FIELDS = {"registered_capital"}
DATE_FIELDS = {"founded_on"}
# The registries' codes, as people read them; a code not listed is shown as the registry gives it.
CODE_LABELS: dict[str, dict[str, str]] = {
    "status": {
        "active": N_("Active"),
        "abnormal": N_("On the list of abnormal operations"),
        "deregistered": N_("Deregistered"),
    },
    "labels": {
        "small-micro": N_("Small or micro enterprise"),
        "high-tech": N_("High-tech enterprise"),
        "start-up": N_("Start-up"),
        "individual-business": N_("Individual business"),
    },
    "tax_bracket": {
        "general": N_("General taxpayer"),
        "small-scale": N_("Small-scale taxpayer"),
    },
}
NOT_ON_RECORD = N_("Not on record")
NONE = N_("None")


def _code(field: str, value: Any, locale: str) -> str:
    label = CODE_LABELS.get(field, {}).get(str(value))
    return gettext(locale, label) if label else str(value)


def figure_value(field: str, value: Any, locale: str) -> str:
    """A registry value as people read it in ``locale``: money as money, dates as dates, numbers
    with the locale's separators, yes or no, codes by their names."""
    if value is None or value == "":
        return gettext(locale, NOT_ON_RECORD)
    if isinstance(value, bool):
        return gettext(locale, N_("Yes") if value else N_("No"))
    if field in MONEY_FIELDS:
        try:
            return format_money(Decimal(str(value)), locale)
        except InvalidOperation:
            return str(value)
    if field in DATE_FIELDS and isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return format_date(value, locale)
    if isinstance(value, (int, float, Decimal)):
        return numbers.format_decimal(value, locale=supported(locale))
    if isinstance(value, (list, tuple, set)):
        names = [_code(field, v, locale) for v in value]
        return lists.format_list(names, locale=supported(locale)) if names else gettext(locale, NONE)
    return _code(field, value, locale)


def criterion_figures(expression: str, record: Mapping[str, Any], locale: str) -> list[FigureRead]:
    """The enterprise's own values that a criterion's ``expression`` reads from ``record`` (its
    registry profile), in the order it reads them, labelled in ``locale``; a field without a
    label is left out. A field the record lacks is said to be not on record."""
    return [
        FigureRead(
            name=field, label=gettext(locale, FIELD_LABELS[field]), value=figure_value(field, record.get(field), locale)
        )
        for field in fields_read(expression, "enterprise")
        if field in FIELD_LABELS
    ]
