"""A service form as HTML: what each input shows (hints, prefilled values, errors) and how the
posted form becomes answers for the same validation the JSON API uses."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from forms.spec import COMMITMENT_ANSWER, FieldSpec, ServiceSpec
from forms.validation import UPLOAD_REF, FieldError, is_visible, whole_number
from hub.i18n import N_, format_date, format_money, gettext
from hub.privacy import mask
from hub.web.problems import field_message

# What the government holds about a person is shown masked on a form, even to its owner: their
# identity number and bank account. An enterprise's unified social credit code is not: it is
# printed on its business licence and published in the enterprise credit register.
MASKED = ("resident_id", "bank_account")

# Client-side hints; the server checks everything again.
# Thousands separators people type in amounts (ASCII and full-width commas, spaces).
NUMBER_SEPARATORS = re.compile(r"[,，\s]")

INPUT_TYPES = {
    "email": ("email", "email", None),
    "phone": ("tel", "tel", r"[0-9+\- ]{7,20}"),
    "number": ("text", "decimal", r"-?[0-9][0-9, ]*(\.[0-9]+)?"),
    "money": ("text", "decimal", r"[0-9][0-9, ]*(\.[0-9]{1,2})?"),
    "date": ("date", None, None),
    "resident_id": ("text", "text", r"[0-9]{17}[0-9Xx]"),
    "uscc": ("text", "text", r"[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}"),
    "bank_account": ("text", "numeric", r"[0-9]{8,32}"),
}
# What the browser may fill in from the person's own details (autocomplete tokens of the HTML standard):
# by field type, then by field name; never inside a group, whose items are about other people.
AUTOCOMPLETE_TYPES = {"phone": "tel", "email": "email", "address": "street-address"}
AUTOCOMPLETE_NAMES = {
    "full_name": "name",
    "contact_name": "name",
    "company_name": "organization",
}
MAX_LENGTHS = {"text": 200, "address": 200, "textarea": 2000, "email": 254, "phone": 20, "bank_account": 32}
FILE_SUFFIX = "__file"
YES, NO = N_("Yes"), N_("No")
FILE_UPLOADED = N_("File uploaded")
# A proof the government issued, which the applicant holds as a credential: nothing to upload.
WE_HAVE_IT = N_("We already have this: {title}, issued by {issuer} on {date}.")
# A registry's record without its date of issue: the date known is the hub's signature.
WE_HAVE_IT_SIGNED = N_("We already have this: {title}, from {issuer}, signed by the hub on {date}.")
CREDENTIAL_GIVEN = N_("A credential you hold, checked when you file")
COMMITMENT_LABEL = N_("Commitment in place of proofs")
# An optional answer of a group's item left empty: the label is still read, with nothing after it.
NOT_GIVEN = "—"


@dataclass
class Option:
    value: str
    label: str
    checked: bool


@dataclass
class Input:
    """One input as the template draws it."""

    name: str  # the form key: "phone", or "children.0.name" inside a group
    id: str
    type: str
    label: str
    help: str = ""
    purpose: str = ""
    required: bool = False
    value: Any = None
    error: str = ""
    prefilled: bool = False
    input_type: str = "text"
    inputmode: str | None = None
    autocomplete: str | None = None
    pattern: str | None = None
    maxlength: int | None = None
    accept: str = ""
    options: list[Option] = field(default_factory=list)
    shown_when: tuple[str, str] | None = None  # (field name, space-separated values)
    shown_when_label: str = ""
    items: list[list[Input]] = field(default_factory=list)
    min_items: int = 0
    max_items: int = 0
    # A valid credential of the applicant that stands in for this proof: what the form says instead
    # of asking for the upload.
    held: str = ""


def we_have_it(held: dict[str, str], locale: str) -> str:
    """ "We already have this: <title>, issued by <issuer> on <date>." for a held credential (signed
    on <date>, for a registry's record that does not say when it was issued)."""
    if not held.get("date") and held.get("signed"):
        return gettext(locale, WE_HAVE_IT_SIGNED, title=held["title"], issuer=held["issuer"], date=held["signed"])
    return gettext(locale, WE_HAVE_IT, title=held["title"], issuer=held["issuer"], date=held["date"])


def _not_credential(value: Any) -> Any:
    """An answer as an input holds it: a credential reference is no upload (the form says "we
    already have this" for a held one, and asks for the upload again when it no longer holds)."""
    return None if isinstance(value, dict) else value


def html_id(name: str) -> str:
    return "f-" + name.replace(".", "-")


def build_inputs(
    spec: ServiceSpec,
    answers: dict[str, Any],
    errors: list[FieldError],
    locale: str,
    known: dict[str, Any],
    only: list[str] | None = None,
    held: dict[str, dict[str, str]] | None = None,
) -> list[Input]:
    """Inputs for the spec's fields (or ``only`` these), filled with ``answers``; ``known`` holds the
    values the government already has for prefilled fields, ``held`` the credentials (by field
    name) that stand in for proofs, shown instead of the upload."""
    messages = {e.field: field_message(locale, e) for e in errors}
    inputs = []
    for f in spec.fields:
        if only is not None and f.name not in only:
            continue
        if f.type == "group":
            items = answers.get(f.name) if isinstance(answers.get(f.name), list) else []
            count = max(len(items), f.min_items, 1 if f.required else 0)
            group = _input(f, f.name, None, messages.get(f.name, ""), locale)
            group.min_items, group.max_items = f.min_items, f.max_items
            group.items = [
                [
                    _input(
                        s,
                        f"{f.name}.{i}.{s.name}",
                        _not_credential(
                            (items[i] if i < len(items) and isinstance(items[i], dict) else {}).get(s.name)
                        ),
                        messages.get(f"{f.name}.{i}.{s.name}", ""),
                        locale,
                    )
                    for s in f.fields
                ]
                for i in range(count)
            ]
            inputs.append(group)
            continue
        if f.prefill and only is None:
            value = known.get(f.name)
            if value not in (None, ""):
                shown = mask(value, f.type) if f.type in MASKED else value
                inputs.append(_input(f, f.name, shown, messages.get(f.name, ""), locale, prefilled=True))
                continue
        shown = _input(f, f.name, _not_credential(answers.get(f.name)), messages.get(f.name, ""), locale)
        if held and f.name in held and not is_upload(answers.get(f.name)):
            shown.held = we_have_it(held[f.name], locale)
        inputs.append(shown)
    if spec.commitment is not None and only is None:
        # The proofs a commitment replaces are shown only while it is not ticked (app.js; without
        # it they stay shown and optional once it is).
        for i in inputs:
            if i.name in spec.commitment.replaces:
                i.shown_when = (COMMITMENT_ANSWER, "")
    return inputs


@dataclass
class CommitmentChoice:
    """The commitment a form offers in place of proofs, as the template draws it."""

    statement: str
    proofs: str
    before: str  # the first replaced field: the choice is drawn just before it
    checked: bool
    error: str = ""


def commitment_choice(
    spec: ServiceSpec, answers: dict[str, Any], errors: list[FieldError], locale: str
) -> CommitmentChoice | None:
    """The commitment choice of a service that offers one (None otherwise)."""
    if spec.commitment is None:
        return None
    error = next((field_message(locale, e) for e in errors if e.field == COMMITMENT_ANSWER), "")
    return CommitmentChoice(
        statement=gettext(locale, spec.commitment.statement),
        proofs=("、" if locale == "zh_CN" else ", ").join(
            gettext(locale, spec.field(n).label) for n in spec.commitment.replaces
        ),
        before=spec.commitment.replaces[0],
        checked=answers.get(COMMITMENT_ANSWER) is True,
        error=error,
    )


def _input(f: FieldSpec, name: str, value: Any, error: str, locale: str, prefilled: bool = False) -> Input:
    input_type, inputmode, pattern = INPUT_TYPES.get(f.type, ("text", None, None))
    maxlength = f.max_length or MAX_LENGTHS.get(f.type)
    selected = (
        [str(v) for v in value]
        if isinstance(value, list)
        else [str(value).lower() if isinstance(value, bool) else str(value)]
    )
    options = [Option(o.value, gettext(locale, o.label), o.value in selected) for o in f.options]
    if f.type == "boolean":
        options = [
            Option("true", gettext(locale, YES), value is True or value == "true"),
            Option("false", gettext(locale, NO), value is False or value == "false"),
        ]
    shown_when = None
    shown_when_label = ""
    if f.visible_when is not None:
        values = [str(v).lower() if isinstance(v, bool) else str(v) for v in f.visible_when.equals]
        shown_when = (f.visible_when.field, " ".join(values))
    return Input(
        name=name,
        id=html_id(name),
        type=f.type,
        label=gettext(locale, f.label),
        help=gettext(locale, f.help) if f.help else "",
        purpose=gettext(locale, f.purpose) if f.purpose else "",
        # Conditional fields are required only when shown: the server decides, the browser can't.
        required=f.required and f.visible_when is None and f.type != "group",
        value=value,
        error=error,
        prefilled=prefilled,
        input_type=input_type,
        inputmode=inputmode,
        autocomplete=None if "." in name else AUTOCOMPLETE_TYPES.get(f.type) or AUTOCOMPLETE_NAMES.get(f.name),
        pattern=pattern,
        maxlength=maxlength if f.type not in ("number", "money", "date", "boolean", "choice") else None,
        accept=",".join(f.accept),
        options=options,
        shown_when=shown_when,
        shown_when_label=shown_when_label,
    )


def _value(f: FieldSpec, form: Any, key: str) -> Any:
    if f.type == "multi_choice":
        return [v for v in form.getall(key, []) if isinstance(v, str) and v] or None
    raw = form.get(key)
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if raw == "":
        return None
    if f.type == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if f.type in ("number", "money"):
        # As people write amounts: "10,000,000", "１２０００" or "12 000" mean 12000.
        return NUMBER_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    return raw


def answers_from_form(spec: ServiceSpec, form: Any, only: list[str] | None = None) -> dict[str, Any]:
    """The answers a posted form carries (prefilled fields are left to the server; fields that do
    not apply given the other answers are dropped, so hidden leftovers never count)."""
    answers: dict[str, Any] = {}
    for f in spec.fields:
        if (only is not None and f.name not in only) or (f.prefill and only is None):
            continue
        if f.type == "group":
            count = min(whole_number(form.get(f"{f.name}.count", "0"), digits=4) or 0, f.max_items)
            items = []
            for i in range(count):
                item = {s.name: _value(s, form, f"{f.name}.{i}.{s.name}") for s in f.fields}
                items.append({k: v for k, v in item.items() if v is not None})
            answers[f.name] = items
            continue
        value = _value(f, form, f.name)
        if value is not None:
            answers[f.name] = value
    answers = {k: v for k, v in answers.items() if is_visible(spec.field(k), answers)}
    if spec.commitment is not None and only is None and form.get(COMMITMENT_ANSWER) == "true":
        answers[COMMITMENT_ANSWER] = True
    return answers


def file_keys(spec: ServiceSpec, answers: dict[str, Any], form: Any) -> list[tuple[str, FieldSpec]]:
    """(form key, field) of every file input in the posted form, inside groups too."""
    keys = [(f.name, f) for f in spec.fields if f.type == "file"]
    for f in spec.fields:
        if f.type == "group":
            for i, _ in enumerate(answers.get(f.name) or []):
                keys += [(f"{f.name}.{i}.{s.name}", s) for s in f.fields if s.type == "file"]
    return keys


def set_answer(answers: dict[str, Any], key: str, value: Any) -> None:
    """Put a value at a form key ("phone" or "children.0.photo")."""
    parts = key.split(".")
    if len(parts) == 3:
        answers[parts[0]][int(parts[1])][parts[2]] = value
    else:
        answers[key] = value


def is_upload(value: Any) -> bool:
    return isinstance(value, str) and bool(UPLOAD_REF.match(value))


def display(
    f: FieldSpec, value: Any, locale: str, filenames: dict[str, str], held: dict[str, str] | None = None
) -> str:
    """An answer as words, for the check-your-answers page (``held``: what each credential the
    answers refer to says, by id)."""
    if value is None or value == "" or value == []:
        return ""
    if f.type == "boolean":
        return gettext(locale, YES if value in (True, "true") else NO)
    if f.type in ("choice", "multi_choice"):
        labels = {o.value: gettext(locale, o.label) for o in f.options}
        values = value if isinstance(value, list) else [value]
        return (
            "、".join(labels.get(str(v), str(v)) for v in values)
            if locale == "zh_CN"
            else ", ".join(labels.get(str(v), str(v)) for v in values)
        )
    if f.type == "file" and isinstance(value, dict):
        return (held or {}).get(str(value.get("credential")), gettext(locale, CREDENTIAL_GIVEN))
    if f.type == "file":
        return filenames.get(value, gettext(locale, FILE_UPLOADED))
    if f.type == "date":
        # Stored as ISO (2026-12-01); read as the reader's language writes a date.
        try:
            return format_date(dt.date.fromisoformat(str(value)), locale)
        except ValueError:
            return str(value)
    if f.type == "money":
        # Stored as the applicant typed it ("20000000"); read as money in the reader's language.
        try:
            return format_money(Decimal(str(value)), locale)
        except (InvalidOperation, ValueError):
            return str(value)
    return str(value)


def group_items(
    f: FieldSpec, value: Any, locale: str, filenames: dict[str, str], held: dict[str, str] | None = None
) -> list[list[tuple[str, str]]]:
    """A group's items as (label, answer in words) pairs, the same for the applicant's check page
    and the clerk's task: an optional answer left empty reads as a dash, never "None"."""
    return [
        [
            (gettext(locale, s.label), display(s, item.get(s.name), locale, filenames, held) or NOT_GIVEN)
            for s in f.fields
        ]
        for item in (value if isinstance(value, list) else [])
        if isinstance(item, dict)
    ]
