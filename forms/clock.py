"""The date services are judged on: today in Beijing, whatever the server's time zone. An age, a
birth date or a program's last day turns at midnight in Beijing, not at 08:00 there (UTC)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_today(now: dt.datetime | None = None) -> dt.date:
    """The date in Beijing now (or at the aware datetime ``now``)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING).date()
