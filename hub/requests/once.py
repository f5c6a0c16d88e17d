"""One application per holder for a service granted once (``once_per`` in its spec): while a request
of the holder for the service is open, or an entitlement it granted is in force, another is refused
with the reference of what exists. The holder's open application is a row with a unique scope,
written in the transaction that stores the request, so two parallel filings make one request."""

from __future__ import annotations

from typing import Any

from forms.spec import ServiceSpec
from hub.accounts import Principal
from hub.clock import today
from hub.db.records import first
from hub.db.tables import Entitlement, OpenApplication, ServiceRequest
from hub.errors import HubError
from hub.i18n import N_
from hub.registry.population import resident_key

# A request in one of these states is still open: the holder waits for its outcome.
OPEN_STATES = ("prepared", "submitted", "in_review", "waiting_applicant")
IN_FORCE = ("active", "suspended")


def holder_of(spec: ServiceSpec, user: Principal, answers: dict[str, Any]) -> str | None:
    """Who the service is granted to once (None: the service may be applied for freely)."""
    if spec.once_per is None:
        return None
    if spec.once_per == "enterprise" or (spec.once_per == "period" and user.enterprise):
        holder = f"enterprise:{user.enterprise}"
    else:
        resident_id = str(answers.get("resident_id") or user.resident_id or "")
        holder = resident_key(resident_id) if resident_id else f"account:{user.id}"
    if spec.once_per == "period":
        holder += f":{today().year}"
    return holder


def already_applied(ref: str) -> HubError:
    return HubError(
        "conflict",
        "already-applied",
        N_("You have already applied"),
        N_(
            "Your application {ref} for this service is still open, or the benefit it granted is being paid. Follow it instead of applying again."
        ),
        params={"ref": ref},
        existing=ref,
    )


async def _blocking(spec: ServiceSpec, holder: str, request_id: int | None) -> str | None:
    """The reference of what blocks a new application: the named request while it is open or an
    entitlement of the holder is in force; None when the way is free."""
    in_force = await first(
        Entitlement,
        "SELECT e.id, r.ref FROM entitlement e LEFT JOIN service_request r ON r.id = e.request "
        "WHERE e.service_id = {} AND e.holder_key = {} AND e.state IN ('active', 'suspended') LIMIT 1",
        spec.id,
        # Per period: an entitlement in force blocks whatever the year.
        holder.rsplit(":", 1)[0] if spec.once_per == "period" else holder,
    )
    if in_force is not None:
        return in_force["ref"] or f"E{in_force['id']}"
    if request_id is None:
        return None
    row = await first(ServiceRequest, "SELECT ref, state FROM service_request WHERE id = {}", request_id)
    if row is not None and row["state"] in OPEN_STATES:
        return row["ref"]
    return None


async def check_free(spec: ServiceSpec, holder: str | None) -> None:
    """Refuse early (before anything is stored) when the holder has applied already."""
    if holder is None:
        return
    scope = f"{spec.id}:{holder}"
    held = await first(OpenApplication, "SELECT request FROM open_application WHERE scope = {}", scope)
    blocking = await _blocking(spec, holder, held["request"] if held else None)
    if blocking is not None:
        raise already_applied(blocking)


async def hold(spec: ServiceSpec, holder: str | None, request_id: int, at: Any) -> None:
    """Inside the transaction storing request ``request_id``: make it the holder's open application,
    or raise (rolling the request back) when another one holds the place."""
    if holder is None:
        return
    scope = f"{spec.id}:{holder}"
    inserted = await OpenApplication.raw(
        "INSERT INTO open_application (scope, request, created_at) VALUES ({}, {}, {}) "
        "ON CONFLICT (scope) DO NOTHING RETURNING id",
        scope,
        request_id,
        at,
    )
    if inserted:
        return
    held = await first(OpenApplication, "SELECT request FROM open_application WHERE scope = {}", scope)
    assert held is not None
    blocking = await _blocking(spec, holder, held["request"])
    if blocking is not None:
        raise already_applied(blocking)
    # The earlier application is closed and grants nothing in force: this one takes its place,
    # unless a parallel filing took it first (then the update finds the row changed, and refuses).
    taken = await OpenApplication.raw(
        "UPDATE open_application SET request = {}, created_at = {} WHERE scope = {} AND request = {} RETURNING id",
        request_id,
        at,
        scope,
        held["request"],
    )
    if not taken:
        winner = await first(
            OpenApplication,
            "SELECT r.ref FROM open_application o JOIN service_request r ON r.id = o.request WHERE o.scope = {}",
            scope,
        )
        raise already_applied(winner["ref"] if winner else "")
