"""Quiet hours: no SMS at night, Beijing time, except urgent ones; held ones go at the end."""

from __future__ import annotations

import datetime as dt

from hub.clock import BEIJING


def parse_quiet_hours(text: str) -> tuple[dt.time, dt.time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); empty -> None (no quiet hours)."""
    if not text.strip():
        return None
    start, _, end = text.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def held_until(quiet: tuple[dt.time, dt.time] | None, now: dt.datetime) -> dt.datetime | None:
    """When an SMS written at ``now`` may go: None at once, else the end of the quiet hours."""
    if quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(BEIJING)
    clock = local.time()
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += dt.timedelta(days=1)
    return until.astimezone(dt.UTC)
