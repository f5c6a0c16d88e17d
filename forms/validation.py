"""Server-side validation of form data, built from a service spec with pydantic.

Errors carry stable ``type`` codes (``resident_id_invalid``, ``missing`` ...) and context values;
the web layer turns them into messages in the caller's language.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .clock import beijing_today
from .spec import COMMITMENT_ANSWER, FieldSpec, ServiceSpec

MAX_TEXT = 200
MAX_TEXTAREA = 2000
# Mainland mobile numbers, or a landline with area code.
PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", re.ASCII)
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
BANK_ACCOUNT = re.compile(r"^\d{8,32}$", re.ASCII)


def _halfwidth(value: str) -> str:
    """Full-width letters and digits (as Chinese input methods type them) as their ASCII forms."""
    return unicodedata.normalize("NFKC", value)


def _resident_id(value: str) -> str:
    """An 18-character resident identity number: format, check digit, birth date and region code.

    Unlike ``ric.validate`` this does not require the region code to have existed in the birth
    year: numbers were assigned from 1984, so older residents carry codes newer than their birth.
    """
    number = ric.compact(_halfwidth(value)).upper()
    if (
        len(number) != 18
        or not number.isascii()
        or not number[:-1].isdigit()
        or not (number[-1].isdigit() or number[-1] == "X")
    ):
        raise PydanticCustomError("resident_id_format", "must be 17 digits followed by a digit or X")
    if number[-1] != ric.calc_check_digit(number):
        raise PydanticCustomError("resident_id_checksum", "the check digit does not match")
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        raise PydanticCustomError("resident_id_birth_date", "the birth date in the number is not a date") from None
    if born > beijing_today():
        raise PydanticCustomError("resident_id_birth_date", "the birth date in the number is in the future")
    if not any(props for _, props in numdb.get("cn/loc").info(number[:6])):
        raise PydanticCustomError("resident_id_region", "the region code is unknown")
    return number


def _uscc(value: str) -> str:
    value = _halfwidth(value).strip().upper()
    try:
        return uscc.validate(value)
    except StdnumError:
        raise PydanticCustomError("uscc_invalid", "not a valid unified social credit code") from None


def _pattern(kind: str, pattern: re.Pattern[str]):
    def check(value: str) -> str:
        value = _halfwidth(value)
        value = value.strip().replace(" ", "") if kind != "email" else value.strip()
        if not pattern.match(value):
            raise PydanticCustomError(f"{kind}_invalid", f"not a valid {kind}")
        return value

    return check


# Characters no one means to type into an answer, and which show a clerk something other than what
# was stored: C0 and C1 control characters (NUL, BEL, ESC that starts terminal colour codes...), DEL,
# and the bidirectional controls that reorder text as it is shown ("Home\u202egnp.exe" reads as
# "Homeexe.png"). A multi-line answer keeps its line breaks and tabs; a one-line answer has neither,
# nor a Unicode line or paragraph separator.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
CONTROL_CHARACTERS = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI_CONTROLS}]")
CONTROL_CHARACTERS_IN_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")


def plain_text(value: str) -> str:
    """Free text people type outside forms (a comment, a reason), with control and text-direction
    characters removed (line breaks and tabs kept) and the ends trimmed: shown to others as typed,
    never as an invisible instruction to their screen."""
    return CONTROL_CHARACTERS_IN_LINES.sub("", value).strip()


def whole_number(value: object, digits: int = 10) -> int | None:
    """A whole number as a person or a link gives it: ASCII digits only, at most ``digits`` of them;
    None for anything else. ``str.isdigit`` alone lets through "²" (which ``int`` refuses) and
    thousands of digits (which ``int`` refuses beyond 4,300, and no database column holds)."""
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def no_such_date(text: str) -> bool:
    """Whether ``text`` is written as a date (YYYY-MM-DD) that does not exist (2026-13-01, 2027-02-30):
    a person then reads "no such date", not "write it as YYYY-MM-DD", which they did."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return True
    return False


def no_control_characters(multiline: bool):
    """A validator refusing control and text-direction characters (line breaks and tabs too,
    unless ``multiline``), naming the first one found."""
    pattern = CONTROL_CHARACTERS_IN_LINES if multiline else CONTROL_CHARACTERS

    def check(value: str) -> str:
        found = pattern.search(value)
        if found:
            raise PydanticCustomError(
                "control_characters",
                "contains the control character {character}",
                {"character": f"U+{ord(found.group()):04X}"},
            )
        return value

    return check


def _money(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise PydanticCustomError("money_precision", "at most two decimal places")
    return value


# An uploaded file is referred to by the id the upload endpoint returned.
UPLOAD_REF = re.compile(r"^upl_[0-9a-f]{32}$")


def file_answers(spec: ServiceSpec, answers: dict[str, Any]) -> list[tuple[str, FieldSpec, str]]:
    """(path, field, upload id) of every file answer, inside repeating groups too
    (``group.<i>.field``); answers that are not upload ids are left out."""
    found: list[tuple[str, FieldSpec, Any]] = []
    for f in spec.fields:
        if f.type == "file":
            found.append((f.name, f, answers.get(f.name)))
        for sub in f.fields if f.type == "group" else []:
            items = answers.get(f.name)
            for i, item in enumerate(items if isinstance(items, list) else []):
                if sub.type == "file" and isinstance(item, dict):
                    found.append((f"{f.name}.{i}.{sub.name}", sub, item.get(sub.name)))
    return [(p, f, t) for p, f, t in found if isinstance(t, str) and UPLOAD_REF.match(t)]


def _file_reference(value: str) -> str:
    if not UPLOAD_REF.match(value):
        raise PydanticCustomError("file_reference", "not a reference to an uploaded file")
    return value


# The answer for a proof the government already holds: ``{"credential": "<id>"}``, the id of a
# credential of the applicant, in place of an upload id (a file field that names a credential type).
CREDENTIAL_KEY = "credential"
CREDENTIAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$", re.ASCII)
CREDENTIAL_SCHEMA = {
    "anyOf": [
        {"type": "string", "description": "the id returned by POST /api/uploads"},
        {
            "type": "object",
            "properties": {CREDENTIAL_KEY: {"type": "string", "description": "the id of a credential you hold"}},
            "required": [CREDENTIAL_KEY],
        },
    ]
}


def credential_id(value: Any) -> str | None:
    """The credential an answer refers to (``{"credential": "<id>"}``), or None for anything else."""
    if isinstance(value, dict) and isinstance(value.get(CREDENTIAL_KEY), str):
        return value[CREDENTIAL_KEY]
    return None


def _proof(value: Any) -> Any:
    """A proof: an upload id, or a reference to a credential (only the id is kept: what the hub
    verified about it is added when the request is filed)."""
    if isinstance(value, str):
        return _file_reference(value.strip())
    ref = credential_id(value)
    if ref is None or not CREDENTIAL_ID.match(ref):
        raise PydanticCustomError("credential_reference", "not an upload id nor a reference to a credential")
    return {CREDENTIAL_KEY: ref}


def credential_answers(spec: ServiceSpec, answers: dict[str, Any]) -> list[tuple[str, FieldSpec, Any]]:
    """(path, field, answer) of every field that names a credential type, inside repeating groups
    too (``group.<i>.field``), whatever it holds (an upload id, a credential reference, or nothing)."""
    found: list[tuple[str, FieldSpec, Any]] = []
    for f in spec.fields:
        if f.credential is not None:
            found.append((f.name, f, answers.get(f.name)))
        for sub in f.fields if f.type == "group" else []:
            items = answers.get(f.name)
            for i, item in enumerate(items if isinstance(items, list) else []):
                if sub.credential is not None and isinstance(item, dict):
                    found.append((f"{f.name}.{i}.{sub.name}", sub, item.get(sub.name)))
    return found


_CHECKS = {
    "resident_id": _resident_id,
    "uscc": _uscc,
    "phone": _pattern("phone", PHONE),
    "email": _pattern("email", EMAIL),
    "bank_account": _pattern("bank_account", BANK_ACCOUNT),
    "money": _money,
    "file": _file_reference,
}


TEXT_TYPES = ("text", "address", "textarea", "email", "phone", "resident_id", "uscc", "bank_account", "file")


def _annotation(spec: FieldSpec) -> tuple[Any, dict[str, Any]]:
    """The Python type and pydantic constraints for one field."""
    constraints: dict[str, Any] = {}
    if spec.type == "file" and spec.credential is not None:
        return Any, {"json_schema_extra": CREDENTIAL_SCHEMA}
    if spec.type in TEXT_TYPES:
        limit = MAX_TEXTAREA if spec.type == "textarea" else MAX_TEXT
        constraints["max_length"] = min(spec.max_length or limit, limit)
        constraints["min_length"] = spec.min_length or (1 if spec.required else 0)
        # Every text answer, inside groups too, is plain text (see CONTROL_CHARACTERS), once its
        # length is known to be right.
        plain = AfterValidator(no_control_characters(multiline=spec.type == "textarea"))
        return Annotated[str, Field(**constraints), plain], {}
    if spec.type in ("number", "money"):
        if spec.minimum is not None:
            constraints["ge"] = spec.minimum
        elif spec.type == "money":
            constraints["ge"] = Decimal(0)
        if spec.maximum is not None:
            constraints["le"] = spec.maximum
        constraints["max_digits"] = 18
        return Decimal, constraints
    if spec.type == "date":
        return dt.date, constraints
    if spec.type == "boolean":
        return bool, {"strict": True}
    if spec.type == "group":
        item = _build_model(f"{spec.name}_item", spec.fields, nested=True)
        return list[item], {"min_length": spec.min_items, "max_length": spec.max_items}  # type: ignore[valid-type]
    values = tuple(o.value for o in spec.options)
    if spec.type == "choice":
        return Literal[values], constraints
    # multi_choice
    return list[Literal[values]], {"max_length": len(values), "min_length": 1 if spec.required else 0}  # type: ignore[valid-type]


class FormData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(BaseModel):
    """One problem with one field: a stable code and the values a message needs."""

    field: str
    code: str
    context: dict[str, Any] = {}


class FormInvalid(Exception):
    """A submission did not validate; ``errors`` lists every problem, field by field."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(f"{len(errors)} invalid field(s): " + ", ".join(e.field for e in errors))
        self.errors = errors


def _skip_none(check):
    def run(cls, value):  # noqa: ARG001
        return None if value is None else check(value)

    return run


_MODELS: dict[tuple[str, int], type[FormData]] = {}


def form_model(spec: ServiceSpec) -> type[FormData]:
    """A pydantic model that checks each answer of this service's form on its own (built once per version)."""
    key = (spec.id, spec.version)
    if key not in _MODELS:
        _MODELS[key] = _build_model(f"Form_{spec.id}_v{spec.version}", spec.fields)
    return _MODELS[key]


def _build_model(name: str, fields: list[FieldSpec], nested: bool = False) -> type[FormData]:
    definitions: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for f in fields:
        annotation, constraints = _annotation(f)
        if nested and f.required:
            # Inside a group every item is checked on its own: required means present.
            definitions[f.name] = (annotation, Field(**constraints))
        else:
            # Top-level presence depends on conditional visibility, so validate_form checks it.
            definitions[f.name] = (annotation | None, Field(default=None, **constraints))
        check = _proof if f.credential is not None else _CHECKS.get(f.type)
        if check is not None:
            validators[f"check_{f.name}"] = field_validator(f.name)(_skip_none(check))
    return create_model(name.replace("-", "_"), __base__=FormData, __validators__=validators, **definitions)


def is_visible(field: FieldSpec, data: dict[str, Any]) -> bool:
    """Whether a conditional field applies, given the other answers."""
    if field.visible_when is None:
        return True
    return data.get(field.visible_when.field) in field.visible_when.equals


def _context(error: ErrorDetails) -> dict[str, Any]:
    return {
        k: (str(v) if not isinstance(v, (int, float, str, bool)) else v) for k, v in (error.get("ctx") or {}).items()
    }


def committed(spec: ServiceSpec, data: dict[str, Any]) -> bool:
    """Whether the answers choose the service's commitment in place of its proofs."""
    return spec.commitment is not None and data.get(COMMITMENT_ANSWER) is True


def validate_form(spec: ServiceSpec, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a submission; returns the clean answers as JSON-ready values or raises FormInvalid.

    A service with a commitment takes the reserved answer ``commitment`` (true or false): when
    true, the proofs it replaces are not required (the answers keep ``commitment: true``)."""
    errors: list[FieldError] = []
    replaced: set[str] = set()
    if spec.commitment is not None and COMMITMENT_ANSWER in data:
        data = dict(data)
        choice = data.pop(COMMITMENT_ANSWER)
        if not isinstance(choice, bool):
            errors.append(FieldError(field=COMMITMENT_ANSWER, code="bool_type"))
        elif choice:
            replaced = set(spec.commitment.replaces)
    try:
        clean = form_model(spec).model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"]) or "__root__"
            code = e["type"]
            top = str(e["loc"][0]) if e["loc"] else ""
            if code in ("too_short", "too_long") and len(e["loc"]) == 1 and top in spec.field_names:
                if spec.field(top).type == "group":
                    code = f"group_{code}"
            errors.append(FieldError(field=field, code=code, context=_context(e)))
        clean = {k: v for k, v in data.items() if k in spec.field_names}
        broken = {e.field for e in errors}
        clean = {k: (None if k in broken else v) for k, v in clean.items()}
    for path, f, value in credential_answers(spec, clean):
        if not f.or_upload and isinstance(value, str) and path not in {e.field for e in errors}:
            errors.append(FieldError(field=path, code="credential_required"))
    reported = {e.field for e in errors}
    for f in spec.fields:
        if f.name in reported:
            continue
        value = clean.get(f.name)
        shown = is_visible(f, clean)
        if not shown and value is not None:
            errors.append(FieldError(field=f.name, code="not_applicable"))
        elif shown and f.required and f.name not in replaced and value in (None, "", []):
            errors.append(FieldError(field=f.name, code="missing"))
    if errors:
        raise FormInvalid(errors)
    answers = {k: v for k, v in clean.items() if v is not None}
    if replaced:
        answers[COMMITMENT_ANSWER] = True
    return answers
