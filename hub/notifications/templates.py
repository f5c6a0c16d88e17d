"""Rendering a message from its template (forms/notifications.toml) in the recipient's language."""

from __future__ import annotations

from functools import cache

from forms.notifications import MessageTemplate, MessageTemplates, load_templates
from hub.i18n import translations


@cache
def message_templates() -> MessageTemplates:
    """The shipped templates, read once."""
    return load_templates()


def template_for(kind: str) -> MessageTemplate:
    return message_templates().event[kind]


def render(kind: str, locale: str, values: dict[str, str]) -> tuple[str, str, str]:
    """(subject, body, SMS text) of ``kind`` in ``locale``, its placeholders filled with ``values``."""
    template = template_for(kind)
    catalog = translations(locale)
    filled = {name: values.get(name, "") for name in template.placeholders}
    return tuple(
        catalog.gettext(text).format(**filled) for text in (template.title, template.message, template.summary)
    )  # type: ignore[return-value]
