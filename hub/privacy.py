"""Masking personal data for display: enough to recognise, not enough to misuse."""

from __future__ import annotations

from typing import Any

from forms.spec import ServiceSpec


def mask(value: Any, kind: str = "text") -> str:
    """Mask a personal value; identity numbers keep their first 4 and last 4 characters."""
    s = str(value)
    if kind in ("resident_id", "bank_account", "uscc") and len(s) > 8:
        return s[:4] + "*" * (len(s) - 8) + s[-4:]
    if kind == "phone" and len(s) >= 7:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    if kind == "email" and "@" in s:
        user, _, domain = s.partition("@")
        return user[:1] + "***@" + domain
    if kind == "address":
        return s[:6] + "…" if len(s) > 6 else "***"
    if kind == "text":
        # Names: first character, the rest hidden (张** / J***).
        return s[:1] + "*" * max(2, len(s) - 1) if s else s
    # Someone's circumstances in their words, a grade, a date, a file: nothing of it shows.
    return "***"


def masked_answers(spec: ServiceSpec | None, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with every personal field masked, inside repeating groups too."""
    if spec is None:
        return {k: "***" for k in answers}
    personal, sensitive = spec.personal_fields, spec.sensitive_fields

    def masked(path: str, value: Any) -> Any:
        if path not in personal or value is None:
            return value
        return mask(value, "sensitive" if path in sensitive else personal[path])

    shown: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            shown[key] = [{k: masked(f"{key}.{k}", v) for k, v in item.items()} for item in value]
        else:
            shown[key] = masked(key, value)
    return shown
