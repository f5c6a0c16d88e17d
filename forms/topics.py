"""Ways to browse the catalog: citizens by life event, enterprises by stage of their life.

Each service lists the ones it belongs to (``life_events``/``enterprise_stages`` in its spec);
the labels are translated where they are shown.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction (translated where it is shown)."""
    return message


LIFE_EVENTS: dict[str, str] = {
    "having-a-baby": N_("Having a baby"),
    "moving-to-the-city": N_("Moving to the city"),
    "starting-a-business": N_("Starting a business"),
    "hard-times": N_("Hard times and disability"),
    "growing-old": N_("Growing old"),
}
ENTERPRISE_STAGES: dict[str, str] = {
    "starting-up": N_("Starting up"),
    "hiring": N_("Hiring and keeping staff"),
    "innovating": N_("Research and innovation"),
    "attracting-talent": N_("Attracting talent"),
}
