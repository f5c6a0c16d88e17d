"""The audit trail: who saw or changed what, when, and from where."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request

from hub.accounts import Principal, now
from hub.db.tables import AuditEvent


async def record(
    http: Request | None, actor: Principal | None, action: str, object_type: str, object_id: Any, /, **detail: Any
) -> None:
    """Append one audit event. Details must never carry personal data in clear."""
    client = http.client.host if http is not None and http.client else ""
    await AuditEvent.insert(
        AuditEvent(
            at=now(),
            actor=actor.id if actor else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            remote_addr=client,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
