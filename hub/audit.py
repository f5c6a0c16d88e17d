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
    """Append one audit event. ``request=<ref>`` ties it to a request's trail. Details must never
    carry personal data in clear."""
    request_ref = object_id if object_type == "request" else detail.pop("request", None)
    await AuditEvent.insert(
        AuditEvent(
            at=now(),
            actor=actor.id if actor else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            request_ref=str(request_ref) if request_ref else None,
            remote_addr=http.client.host if http is not None and http.client else "",
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
