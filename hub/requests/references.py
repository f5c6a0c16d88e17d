"""The one generator of requests' public references."""

from __future__ import annotations

import datetime as dt
import secrets

from hub.clock import beijing_date

# Unambiguous characters for public references (no 0/O, 1/I/L).
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_ref(at: dt.datetime) -> str:
    """A request's reference: its day of filing (Beijing time, as the documents date it) and 8 random characters."""
    return f"QQ{beijing_date(at):%y%m%d}" + "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
