"""A department suspends, resumes or ends an entitlement, with a reason (maker-checker: above
``CONFIRM_ABOVE_CENTS`` a month, a second member of staff of the department confirms the change
before it takes effect). Every change is recorded with who made it and why."""

from __future__ import annotations

import msgspec
from temporalio.client import Client

from forms.catalog import Catalog
from hub.accounts import STAFF_ROLES
from hub.actor import Actor
from hub.audit import record
from hub.clock import beijing_date, now
from hub.db.records import CHANGE_REASON_FIELD, first, sealed_text
from hub.db.tables import Entitlement, EntitlementChange
from hub.db.transactions import writing
from hub.errors import HubError, forbidden, invalid_field, not_found
from hub.i18n import N_
from hub.notifications import announce_entitlement_change
from workflows.benefits.types import period_of

# A change to an entitlement of more than this a month waits for a second member of staff.
CONFIRM_ABOVE_CENTS = 50_000
MAX_REASON = 1000
# move -> (the states it is made from, the state it leads to, the change's kind)
MOVES = {
    "suspend": (("active",), "suspended", "suspended"),
    "resume": (("suspended",), "active", "resumed"),
    # The beneficiary no longer qualifies: nothing more is paid, and its credential no longer holds.
    "end": (("active", "suspended"), "ended", "ended"),
}
# Setting the state; an ended entitlement also says on which (Beijing) day it ended.
MOVE_STATE = (
    "UPDATE entitlement SET state = {}, reason = 'clerk', updated_at = {}, "
    "ended_on = CASE WHEN {} = 'ended' THEN {} ELSE ended_on END WHERE id = {} AND state = {} RETURNING id"
)
# The same, made by one member of staff alone: only while the amount is still within the limit (a
# cycle may have raised it since the change was asked for).
MOVE_STATE_ALONE = MOVE_STATE.removesuffix(" RETURNING id") + " AND amount_cents <= {} RETURNING id"


class ChangeMade(msgspec.Struct):
    entitlement_id: int
    state: str
    # True when the change waits for a second member of staff to confirm it.
    pending: bool
    change_id: int


async def _staff_row(actor: Actor, catalog: Catalog, entitlement_id: int) -> dict:
    user = actor.user
    if user is None or user.role not in STAFF_ROLES:
        raise forbidden(N_("Only the department that pays this benefit can change an entitlement."))
    row = await first(
        Entitlement,
        "SELECT id, service_id, state, amount_cents, account, request FROM entitlement WHERE id = {}",
        entitlement_id,
    )
    spec = catalog.latest(row["service_id"]) if row else None
    if row is None or spec is None or user.department != spec.owner:
        raise not_found()
    return row


async def change_entitlement(
    actor: Actor, catalog: Catalog, entitlement_id: int, move: str, reason: str, client: Client | None = None
) -> ChangeMade:
    """Suspend, resume or end an entitlement; the reason is required and told to the beneficiary (a
    change in force is also announced to them: in the hub, and a suspension or an ending on one
    more channel whatever they chose, a resumption on the channels they chose)."""
    if move not in MOVES:
        raise invalid_field("move", "invalid_choice")
    reason = (reason or "").strip()
    if not reason:
        raise invalid_field("reason", "required")
    if len(reason) > MAX_REASON:
        raise invalid_field("reason", "too_long", max_length=MAX_REASON)
    row = await _staff_row(actor, catalog, entitlement_id)
    from_states, to_state, kind = MOVES[move]
    from_state = row["state"]
    if from_state not in from_states:
        raise HubError(
            "conflict",
            "entitlement-state",
            N_("Not possible now"),
            N_("The entitlement is {state}."),
            params={"state": row["state"]},
        )
    pending = int(row["amount_cents"]) > CONFIRM_ABOVE_CENTS
    stamp = now()
    async with writing():
        if not pending:
            moved = await Entitlement.raw(
                MOVE_STATE_ALONE,
                to_state,
                stamp,
                to_state,
                beijing_date(stamp),
                entitlement_id,
                from_state,
                CONFIRM_ABOVE_CENTS,
            )
            if not moved:
                raise HubError(
                    "conflict", "entitlement-state", N_("Not possible now"), N_("The entitlement changed meanwhile.")
                )
        inserted = await EntitlementChange.raw(
            "INSERT INTO entitlement_change (key, entitlement, kind, at, period, from_state, to_state, from_band, to_band, "
            "reason_code, reason, made_by, confirmed_by) VALUES ({}, {}, {}, {}, {}, {}, {}, '', '', 'clerk', {}, {}, NULL) "
            "RETURNING id",
            f"{entitlement_id}:{kind}:{stamp.isoformat()}",
            entitlement_id,
            f"{kind}_proposed" if pending else kind,
            stamp,
            period_of(stamp.date()),
            from_state,
            to_state,
            sealed_text(reason, CHANGE_REASON_FIELD),
            actor.id,
        )
        await record(actor, actor.user, f"entitlement.{kind}", "entitlement", entitlement_id, pending=pending)
    if not pending:
        # The beneficiary is told of the change.
        await announce_entitlement_change(
            client, inserted[0]["id"], row["account"], row["request"], row["service_id"], kind
        )
    return ChangeMade(
        entitlement_id=entitlement_id,
        state=from_state if pending else to_state,
        pending=pending,
        change_id=inserted[0]["id"],
    )


async def confirm_change(actor: Actor, catalog: Catalog, change_id: int, client: Client | None = None) -> ChangeMade:
    """A second member of the department confirms a proposed change (announced to the beneficiary
    once confirmed)."""
    change = await first(
        EntitlementChange,
        "SELECT id, entitlement, kind, from_state, to_state, made_by, confirmed_by FROM entitlement_change WHERE id = {}",
        change_id,
    )
    if change is None or not change["kind"].endswith("_proposed"):
        raise not_found()
    entitlement = await _staff_row(actor, catalog, change["entitlement"])
    if change["made_by"] == actor.id:
        raise forbidden(N_("A change you proposed is confirmed by someone else."), code="same-clerk")
    stamp = now()
    async with writing():
        confirmed = await EntitlementChange.raw(
            "UPDATE entitlement_change SET kind = {}, confirmed_by = {} WHERE id = {} AND confirmed_by IS NULL RETURNING id",
            change["kind"].removesuffix("_proposed"),
            actor.id,
            change_id,
        )
        moved = await Entitlement.raw(
            MOVE_STATE,
            change["to_state"],
            stamp,
            change["to_state"],
            beijing_date(stamp),
            change["entitlement"],
            change["from_state"],
        )
        if not confirmed or not moved:
            raise HubError(
                "conflict", "entitlement-state", N_("Not possible now"), N_("The entitlement changed meanwhile.")
            )
        await record(
            actor, actor.user, "entitlement.change_confirmed", "entitlement", change["entitlement"], change=change_id
        )
    await announce_entitlement_change(
        client,
        change_id,
        entitlement["account"],
        entitlement["request"],
        entitlement["service_id"],
        change["kind"].removesuffix("_proposed"),
    )
    return ChangeMade(
        entitlement_id=change["entitlement"], state=change["to_state"], pending=False, change_id=change_id
    )
