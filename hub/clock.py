"""The hub's clock: the one place the hub reads the time.

Instants are aware datetimes in UTC; the dates people and statutes count in (an age, a deadline, a
reference's day, a program's last day) are dates in Beijing, whatever the server's time zone. The
catalog keeps its own ``forms/clock.py``, since forms imports nothing of the hub; this module builds
on it, so the hub and the catalog always name the same day.
"""

from __future__ import annotations

import datetime as dt

from forms.clock import BEIJING, beijing_today

__all__ = ["BEIJING", "beijing_date", "now", "set_offset", "today"]

# How far the hub's clock runs ahead (``clock_offset_days``, training and tests only); zero otherwise.
_offset = dt.timedelta(0)


def set_offset(offset: dt.timedelta) -> None:
    """Run the hub's clock ``offset`` ahead of the machine's (set once, by the process that starts)."""
    global _offset
    _offset = offset


def now() -> dt.datetime:
    """This instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    """The date in Beijing today."""
    return beijing_today(now())


def beijing_date(moment: dt.datetime) -> dt.date:
    """The date in Beijing at the aware datetime ``moment``."""
    # A naive datetime would be read in the server's zone: refuse it rather than guess.
    if moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {moment.isoformat()}")
    return moment.astimezone(BEIJING).date()
