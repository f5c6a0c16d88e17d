"""The message templates as data (``notifications.toml``): one per event, checked with the catalog.

The check refuses a placeholder the event does not provide, an event without a template, and an SMS
whose Chinese text (with each placeholder at its widest) would not fit in one segment.
"""

from __future__ import annotations

import gettext
import string
import tomllib
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ValidationError

# Every event a message is sent for (the workflows announce them); each has a template.
EventKind = Literal[
    "request_filed",
    "information_requested",
    "request_decided",
    "payment_made",
    "payment_stopped",
    "policy_matched",
    "task_assigned",
    "task_due_soon",
    "task_overdue",
    "rating_invited",
    "case_overdue",
    "case_answered",
    "benefit_suspended",
    "benefit_ended",
    "benefit_resumed",
    "commitment_revoked",
    "commitment_revoked_repay",
    "document_corrected",
    "document_revoked",
    "subsidy_paid",
    "claim_refused",
    "claim_prepared",
    "claim_declined",
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

NOTIFICATIONS_FILE = Path(__file__).resolve().parent / "notifications.toml"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# One SMS segment holds 70 characters in UCS-2, which Chinese text is sent in.
SMS_SEGMENT = 70


class MessageTemplate(BaseModel):
    """One event's message: subject (``title``), body (``message``) and SMS text (``summary``)."""

    audience: Literal["applicant", "enterprise", "staff"]
    mandatory: bool = False
    urgent: bool = False
    placeholders: list[str]
    title: str
    message: str
    summary: str


class MessageTemplates(BaseModel):
    widths: dict[str, int]
    event: dict[str, MessageTemplate]


def placeholders_in(text: str) -> set[str]:
    """The names in braces in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_templates(path: Path = NOTIFICATIONS_FILE) -> MessageTemplates:
    """The templates in ``path`` (raises ValueError when the file cannot be read as templates)."""
    try:
        return MessageTemplates.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def sms_length(templates: MessageTemplates, text: str) -> int:
    """The characters of an SMS text with each placeholder at its widest."""
    literal = sum(len(lit) for lit, _, _, _ in string.Formatter().parse(text))
    return literal + sum(templates.widths.get(name, 0) for name in _names(text))


def _names(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def sms_lengths(templates: MessageTemplates, locale: str = "zh_CN") -> dict[str, int]:
    """Each event's SMS length in ``locale``'s translation (events not yet translated are left out)."""
    try:
        catalog = gettext.translation("messages", localedir=str(LOCALES_DIR), languages=[locale])
    except OSError:
        return {}
    lengths = {}
    for kind, template in templates.event.items():
        translated = catalog.gettext(template.summary)
        if translated != template.summary:
            lengths[kind] = sms_length(templates, translated)
    return lengths


def check_templates(templates: MessageTemplates, kinds: tuple[str, ...] = EVENT_KINDS) -> list[str]:
    """Mistakes in the templates: a missing event, an unknown placeholder, an SMS too long."""
    problems = [
        f"notifications.toml: no template for the event {kind!r}" for kind in kinds if kind not in templates.event
    ]
    for kind, template in templates.event.items():
        if kind not in kinds:
            problems.append(f"notifications.toml: {kind!r} is not an event the hub sends")
        for part in ("title", "message", "summary"):
            unknown = placeholders_in(getattr(template, part)) - set(template.placeholders)
            if unknown:
                problems.append(f"notifications.toml: {kind}.{part} uses {sorted(unknown)}, not among its placeholders")
        unmeasured = placeholders_in(template.summary) - set(templates.widths)
        if unmeasured:
            problems.append(f"notifications.toml: {kind}.summary (SMS) uses {sorted(unmeasured)}, which have no width")
    for kind, length in sms_lengths(templates).items():
        if length > SMS_SEGMENT:
            problems.append(
                f"notifications.toml: the SMS of {kind!r} takes {length} characters in Chinese, "
                f"more than one segment ({SMS_SEGMENT})"
            )
    return problems
