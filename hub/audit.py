"""The audit trail: who saw or changed what, when, and from where.

Append-only and hash-chained: every event stores the hash of the event before it and its own hash
over its content and that link; ``AuditHead`` holds the last one. ``verify_chain`` walks the chain
and names every event that was edited, deleted or slipped in. Appends are serialised (a write
transaction that takes SQLite's write lock up front, or on PostgreSQL a row lock on the head), so
concurrent writers in several processes still form one chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from hub.accounts import Principal
from hub.clock import now
from hub.db.records import load_json, opened_text, sealed_text
from hub.db.tables import AuditEvent, AuditHead
from hub.db.transactions import writing

GENESIS = "0" * 64
# Why someone looked at personal data or opened a workflow's payloads, in their own words: they may
# name anyone, so they are sealed like the other free texts (hub/db/records.py) and opened where
# the log is read. The chain's hashes cover the sealed form. Events written before stay as they are.
AUDIT_TEXT_KEYS = ("reason",)
AUDIT_TEXT_FIELD = "audit.detail"


def _utc(value: dt.datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """The hash of one event: its content in a canonical form, chained to the previous hash."""
    content = {
        "at": _utc(event["at"]),
        "actor": event["actor"],
        "action": event["action"],
        "object_type": event["object_type"],
        "object_id": event["object_id"],
        "request_ref": event["request_ref"],
        "remote_addr": event["remote_addr"],
        "detail": load_json(event["detail"] or "{}"),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


async def _head() -> tuple[int | None, int, str, int]:
    """(head row id, last event id, last hash, count), locking the head on PostgreSQL."""
    if isinstance(AuditHead._meta.db, PostgresEngine):
        rows = await AuditHead.raw(
            "SELECT id, last_id, last_hash, count FROM audit_head ORDER BY id LIMIT 1 FOR UPDATE"
        )
    else:
        rows = await AuditHead.select(AuditHead.id, AuditHead.last_id, AuditHead.last_hash, AuditHead.count).limit(1)
    if not rows:
        return None, 0, GENESIS, 0
    row = rows[0]
    return row["id"], row["last_id"], row["last_hash"] or GENESIS, row["count"]


async def _append(values: dict[str, Any]) -> None:
    async with writing():
        head_id, _, prev, count = await _head()
        digest = event_hash(prev, values)
        inserted = await AuditEvent.insert(AuditEvent(**values, prev_hash=prev, hash=digest)).returning(AuditEvent.id)
        new_id = inserted[0]["id"]
        if head_id is None:
            await AuditHead.insert(AuditHead(last_id=new_id, last_hash=digest, count=count + 1))
        else:
            await AuditHead.update(
                {AuditHead.last_id: new_id, AuditHead.last_hash: digest, AuditHead.count: count + 1}
            ).where(AuditHead.id == head_id)


async def record(
    origin: Any, actor: Principal | None, action: str, object_type: str, object_id: Any, /, **detail: Any
) -> None:
    """Append one audit event. ``request=<ref>`` ties it to a request's trail. Details must never
    carry personal data in clear. Called inside the ``writing()`` that makes a change, the event is
    part of that transaction: the change and its event are stored together, or neither."""
    request_ref = object_id if object_type == "request" else detail.pop("request", None)
    for key in AUDIT_TEXT_KEYS:
        if isinstance(detail.get(key), str):
            detail[key] = sealed_text(detail[key], AUDIT_TEXT_FIELD)
    await _append(
        {
            # Microseconds are what both engines keep, so the hash is recomputed exactly.
            "at": now(),
            "actor": actor.id if actor else None,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id)[:64],
            "request_ref": str(request_ref) if request_ref else None,
            "remote_addr": address_of(origin),
            "detail": json.dumps(detail, ensure_ascii=False, default=str),
        }
    )


def address_of(origin: Any) -> str:
    """Where an act came from: an ``Actor``'s address, or an HTTP request's client ("" if unknown)."""
    if origin is None:
        return ""
    if hasattr(origin, "address"):
        return origin.address or ""
    client = getattr(origin, "client", None)
    return client.host if client else ""


def opened_detail(stored: Any) -> dict[str, Any]:
    """An event's detail as an auditor reads it: its sealed words opened."""
    detail = load_json(stored or "{}")
    for key in AUDIT_TEXT_KEYS:
        if isinstance(detail.get(key), str):
            detail[key] = opened_text(detail[key], AUDIT_TEXT_FIELD)
    return detail


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


async def chain_unchained() -> int:
    """Make the chain's head, and chain events written before the chain existed (no hash yet), in
    id order; returns how many. Run by ``qinqing migrate``, before any process appends."""
    if not await AuditHead.exists():
        await AuditHead.insert(AuditHead(last_id=0, last_hash=GENESIS, count=0))
    loose = await AuditEvent.select().where(AuditEvent.hash == "").order_by(AuditEvent.id)
    if not loose:
        return 0
    async with writing():
        head_id, _, prev, count = await _head()
        for event in loose:
            digest = event_hash(prev, event)
            await AuditEvent.update({AuditEvent.prev_hash: prev, AuditEvent.hash: digest}).where(
                AuditEvent.id == event["id"]
            )
            prev, count = digest, count + 1
        last_id = loose[-1]["id"]
        if head_id is None:
            await AuditHead.insert(AuditHead(last_id=last_id, last_hash=prev, count=count))
        else:
            await AuditHead.update(
                {AuditHead.last_id: last_id, AuditHead.last_hash: prev, AuditHead.count: count}
            ).where(AuditHead.id == head_id)
    return len(loose)


async def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole chain; every broken link or edited event is reported by its id."""
    report = ChainReport()
    prev, last_id = GENESIS, None
    while True:
        query = AuditEvent.select().order_by(AuditEvent.id).limit(batch)
        if last_id is not None:  # no lower bound at first: an event slipped in at id 0 or below is read too
            query = query.where(AuditEvent.id > last_id)
        events = await query
        for event in events:
            if event["prev_hash"] != prev:
                report.problems.append(
                    f"event {event['id']}: does not follow the event before it (an event was deleted or inserted)"
                )
            if event_hash(event["prev_hash"], event) != event["hash"]:
                report.problems.append(f"event {event['id']}: its content was changed after it was written")
            prev, last_id = event["hash"], event["id"]
            report.checked += 1
        if len(events) < batch:
            break
    heads = await AuditHead.select()
    if heads:
        head = heads[0]
        if head["last_id"] != (last_id or 0) or head["last_hash"] != prev or head["count"] != report.checked:
            report.problems.append(
                f"the chain ends at event {last_id} ({report.checked} events) but was last written at event "
                f"{head['last_id']} ({head['count']} events): events were deleted or added at the end"
            )
    elif report.checked:
        report.problems.append("the chain's head record is missing")
    return report
