"""Maker-checker: when an approval must be confirmed by a second clerk. Decided here, on the amount
the approval would grant, never by the caller."""

from __future__ import annotations

import logging
from decimal import Decimal

from forms.spec import ServiceSpec
from hub.db.evaluation import amount_to_grant
from hub.db.tables import ServiceRequest

log = logging.getLogger("qinqing.tasks")


async def needs_confirmation(spec: ServiceSpec | None, row: ServiceRequest, threshold: int) -> bool:
    """Whether approving this request needs a second clerk: it grants ``threshold`` or more, or its
    amount cannot be computed now. The amount is computed from the answers as they stand (a
    supplement may have changed them since filing), not the one expected at filing."""
    if spec is None or not spec.granted_amount:
        return False
    try:
        granted = await amount_to_grant(spec, row)
    except Exception:  # noqa: BLE001 - settling will fail the same way; a second look costs little
        log.warning("the amount of %s cannot be computed for maker-checker", row.ref, exc_info=True)
        return True
    return granted is not None and Decimal(granted) >= threshold
