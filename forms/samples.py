"""Example answers for a service's form, from each field's ``example`` or a typical value of its type.

Used to show API users what a submission looks like, and by the tests that file every service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .spec import FieldSpec, ServiceSpec
from .validation import is_visible

TYPICAL: dict[str, Any] = {
    "text": "示例",
    "textarea": "示例说明",
    "address": "杭州市西湖区文三路100号",
    "email": "applicant@example.cn",
    "phone": "13800138000",
    "bank_account": "6222020200112233445",
    "resident_id": "330106199205200024",
    "uscc": "91330106MA2H3K1X75",
    "date": "2026-01-15",
    "boolean": True,
}


def example_value(field: FieldSpec, upload: Callable[[FieldSpec], str] | None = None) -> Any:
    if field.example is not None:
        return field.example
    if field.type == "file":
        return upload(field) if upload else None
    if field.type == "group":
        count = max(field.min_items, 1)
        return [{f.name: example_value(f, upload) for f in field.fields if f.required} for _ in range(count)]
    if field.type in ("choice", "multi_choice"):
        first = field.options[0].value
        return first if field.type == "choice" else [first]
    if field.type in ("number", "money"):
        value = field.minimum if field.minimum is not None else 1
        return str(value) if field.type == "money" else int(value)
    return TYPICAL.get(field.type, "示例")


def example_answers(spec: ServiceSpec, upload: Callable[[FieldSpec], str] | None = None) -> dict[str, Any]:
    """Answers that fill every required, visible field (prefilled fields are left to the hub)."""
    answers: dict[str, Any] = {}
    for f in spec.fields:
        if f.prefill:
            continue
        value = example_value(f, upload)
        if value is not None and (f.required or f.example is not None):
            answers[f.name] = value
    # Drop conditional fields whose condition the examples do not meet.
    return {k: v for k, v in answers.items() if is_visible(spec.field(k), answers)}
