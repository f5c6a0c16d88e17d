"""Telling people: messages for the events of their requests, benefits and tasks, in the hub, by
email and by SMS, each with its delivery state. No HTTP types here."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from hub.clock import now
from hub.db.tables import Account, MessagePreference
from hub.i18n import supported
from workflows.names import REQUESTS_QUEUE
from workflows.notifications.deliver import DeliverMessagesWorkflow
from workflows.notifications.types import DeliverDue, NotifyEvent

__all__ = [
    "STATE_AFTER",
    "TOLD_CHANGES",
    "announce",
    "announce_entitlement_change",
    "claim_declined_event",
    "claim_prepared_event",
    "document_revoked_event",
    "entitlement_change_event",
    "language_of",
    "message_language",
    "written_in",
]

log = logging.getLogger("qinqing.notifications")
START_TIMEOUT_S = 5


def language_of(account_locale: str | None, chosen: str | None) -> str:
    """The language a person's messages are written and read in: the one they chose for messages,
    else their account's (which follows the language they last chose for the hub's pages)."""
    return supported(chosen or account_locale)


async def message_language(account_id: int) -> str:
    """``language_of`` the account, read now."""
    row = (
        await Account.select(Account.locale, Account.id.join_on(MessagePreference.account).locale.as_alias("chosen"))
        .where(Account.id == account_id)
        .first()
    ) or {}
    return language_of(row.get("locale"), row.get("chosen"))


def written_in(locale: str, renderings: Any, subject: str, body: str) -> tuple[str, str]:
    """A message in the hub as its reader reads it: (subject, body) in ``locale`` when the message
    was kept in it (its ``renderings``), else as it was first written (a message stored before)."""
    kept = msgspec.json.decode(renderings) if isinstance(renderings, str | bytes) else renderings
    words = (kept or {}).get(locale)
    return (words[0], words[1]) if words else (subject, body)


def entitlement_change_event(
    change_id: int, kind: str, account_id: int | None, request_id: int | None, service_id: str
) -> NotifyEvent:
    """The event of a clerk's change to an entitlement (``benefit_suspended``, ``benefit_ended``,
    ``benefit_resumed``), keyed by the change."""
    return NotifyEvent(
        key=f"entitlement-change-{change_id}",
        kind=kind,  # type: ignore[arg-type]
        at=now(),
        request_id=request_id,
        account_id=account_id,
        detail={"change": str(change_id), "service_id": service_id},
    )


# The kind of a clerk's change to an entitlement -> the event its beneficiary is told of.
TOLD_CHANGES = {"suspended": "benefit_suspended", "ended": "benefit_ended", "resumed": "benefit_resumed"}
# The kind of a change -> the entitlement's state while that change is in force.
STATE_AFTER = {"suspended": "suspended", "ended": "ended", "resumed": "active"}


def document_revoked_event(document_id: int, document_key: str, request_id: int) -> NotifyEvent:
    """The event of a department revoking a document it issued, keyed by the document (it is
    revoked once)."""
    return NotifyEvent(
        key=f"document-{document_id}:revoked",
        kind="document_revoked",
        at=now(),
        request_id=request_id,
        detail={"document_key": document_key},
    )


def claim_prepared_event(workflow_id: str, ref: str, request_id: int | None) -> NotifyEvent:
    """The event of a preparer preparing a claim, told to the enterprise's approvers (who submit
    it), keyed by the claim (it is prepared once)."""
    return NotifyEvent(
        key=f"{workflow_id}:claim_prepared",
        kind="claim_prepared",
        at=now(),
        request_id=request_id,
        detail={"claim": ref},
    )


def claim_declined_event(workflow_id: str, ref: str, request_id: int | None, declined_by: int) -> NotifyEvent:
    """The event of an approver declining a claim its preparer prepared, told to the preparer,
    keyed by the claim (it is declined once)."""
    return NotifyEvent(
        key=f"{workflow_id}:claim_declined",
        kind="claim_declined",
        at=now(),
        request_id=request_id,
        account_id=declined_by,
        detail={"claim": ref},
    )


async def announce_entitlement_change(
    client: Client | None,
    change_id: int,
    account_id: int | None,
    request_id: int | None,
    service_id: str,
    kind: str = "suspended",
) -> None:
    """Have the worker tell the beneficiary of a suspension, an ending or a resumption (``kind``,
    the change's) now, in the hub and on their channels. When Temporal cannot be reached, the held-messages
    schedule finds the change untold and tells it then (``HubNotifier.deliver``): late, never lost."""
    if account_id is None or kind not in TOLD_CHANGES:
        return
    await announce(client, entitlement_change_event(change_id, TOLD_CHANGES[kind], account_id, request_id, service_id))


async def announce(client: Client | None, event: NotifyEvent) -> None:
    """Have the worker tell an event no workflow of its own announces (a clerk's change to a benefit,
    a department revoking a document), once the change is stored: ``DeliverMessagesWorkflow`` under
    the event's key, so announcing it twice tells it once. When Temporal cannot be reached, the
    held-messages schedule finds the change untold and tells it then (``HubNotifier.deliver``)."""
    if client is None:
        return
    try:
        await asyncio.wait_for(
            client.start_workflow(
                DeliverMessagesWorkflow.run,
                DeliverDue(event=event),
                id=f"notify-{event.key}",
                task_queue=REQUESTS_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            ),
            START_TIMEOUT_S,
        )
    except (RPCError, RuntimeError, TimeoutError, OSError) as exc:
        # (A client that cannot connect raises RuntimeError.) The change stands either way.
        log.warning("%s will be told by the held-messages schedule: %s", event.key, exc)
