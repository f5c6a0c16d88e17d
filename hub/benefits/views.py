"""Entitlements and cycles as people read them: a beneficiary their own, a department its benefit's
register and cycles. Names and accounts are masked unless the reader is the beneficiary; every read
of someone else's entitlement is audited."""

from __future__ import annotations

import datetime as dt

import msgspec

from forms.catalog import Catalog
from forms.spec import ServiceSpec
from hub.accounts import OVERSIGHT_ROLES, STAFF_ROLES, Principal
from hub.actor import Actor
from hub.audit import record
from hub.clock import today
from hub.db.records import CHANGE_REASON_FIELD, COMMITMENT_REASON_FIELD, first, opened_text
from hub.db.tables import BenefitPayment, Entitlement, EntitlementChange, PaymentCycle
from hub.errors import forbidden, not_found
from hub.i18n import N_
from hub.privacy import mask
from hub.sealing import unseal
from workflows.benefits.types import next_period, period_of, period_start

# Words for the reasons an entitlement changes or a payment is not made (translated where shown).
REASONS = {
    "death": N_("The beneficiary died (population registry)"),
    "moved-out": N_("The beneficiary no longer lives in the city (population registry)"),
    "age-band": N_("The beneficiary's age band changed (population registry)"),
    "amount": N_("The amount was recalculated"),
    "paid-in-full": N_("Paid in full"),
    "no-registry-record": N_("The population registry has no readable record of the beneficiary"),
    "absurd-amount": N_("The formula gave an amount outside the benefit's limits"),
    "formula-failed": N_("The amount could not be calculated"),
    "bank": N_("Refused by the bank"),
    "clerk": N_("Decided by the department"),
}
# How an entitlement is paid (the register's ``payment_method``), in words: a benefit whose form
# does not ask is paid to a bank account; one whose form asks uses its option's words (below).
PAYMENT_METHODS = {"bank": N_("To a bank account"), "social_security_card": N_("To the social security card")}
# Where a decision on an entitlement can be challenged, and within how long (as a decision notice says).
RIGHTS = N_(
    "If you disagree, you may apply for administrative reconsideration within 60 days of receiving "
    "this notice, or bring an administrative lawsuit within 6 months."
)


def payment_method_words(spec: ServiceSpec | None, method: str) -> str:
    """How an entitlement is paid, as a message to translate where it is shown: the words of the
    option the applicant chose on the service's form, else the register's words for the method."""
    benefit = spec.benefit if spec is not None else None
    field = benefit.payment_method_field if benefit is not None else None
    if spec is not None and field and field in spec.field_names:
        for option in spec.field(field).options:
            if option.value == method:
                return option.label
    return PAYMENT_METHODS.get(method, method)


class PaymentRead(msgspec.Struct):
    period: str
    amount: str
    state: str
    payment_ref: str
    paid_at: dt.datetime | None
    reason: str
    overpaid: bool


class ChangeRead(msgspec.Struct):
    kind: str
    at: dt.datetime
    period: str
    from_state: str
    to_state: str
    from_amount: str | None
    to_amount: str | None
    from_band: str
    to_band: str
    reason_code: str
    reason: str
    by_clerk: bool


class EntitlementRead(msgspec.Struct):
    id: int
    service_id: str
    request_ref: str | None
    beneficiary: str
    kind: str
    state: str
    amount: str
    band: str
    payment_method: str
    payee_account: str
    start_period: str
    next_payment: dt.date | None
    reason: str
    ended_on: dt.date | None
    payments: list[PaymentRead] = []
    changes: list[ChangeRead] = []


class RegisterRow(msgspec.Struct):
    id: int
    beneficiary: str
    state: str
    amount: str
    band: str
    start_period: str
    reason: str


class RegisterPage(msgspec.Struct):
    service_id: str
    counts: dict[str, int]
    rows: list[RegisterRow]
    next_after: int | None


class CycleRead(msgspec.Struct):
    id: int
    service_id: str
    period: str
    state: str
    runs: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    paid: int
    paid_amount: str
    refused: int
    set_aside: int
    ended: int
    changed: int
    overpaid: int
    overpaid_amount: str


def money(cents: int | None) -> str:
    return f"{(cents or 0) / 100:.2f}"


def benefit_services(catalog: Catalog) -> list[ServiceSpec]:
    return [s for s in catalog.current() if s.benefit is not None]


def benefit_service(catalog: Catalog, service_id: str) -> ServiceSpec:
    spec = catalog.latest(service_id)
    if spec is None or spec.benefit is None:
        raise not_found()
    return spec


def may_keep_register(user: Principal | None, spec: ServiceSpec) -> bool:
    """Administrators and auditors, and the staff of the department that owns the benefit."""
    if user is None:
        return False
    return user.role in OVERSIGHT_ROLES or (user.role in STAFF_ROLES and user.department == spec.owner)


def require_register(actor: Actor, spec: ServiceSpec) -> Principal:
    if actor.user is None or not may_keep_register(actor.user, spec):
        raise forbidden(
            N_("Only the department that pays this benefit, administrators and auditors can see its register.")
        )
    return actor.user


def next_payment(row: dict, on: dt.date) -> dt.date | None:
    """The day the entitlement is next paid: this month's payment day if it is still ahead and the
    month is not paid, else next month's (None when it is not active)."""
    if row["state"] != "active":
        return None
    period = max(period_of(on), row["start_period"])
    day = period_start(period).replace(day=row["payment_day"])
    if day < on or row.get("paid_this_period"):
        day = period_start(next_period(period)).replace(day=row["payment_day"])
    return day


ENTITLEMENT_COLUMNS = (
    "e.id, e.service_id, e.full_name, e.kind, e.state, e.amount_cents, e.band, e.payment_method, e.payee_account, "
    "e.start_period, e.reason, e.ended_on, e.payment_day, e.account, r.ref AS request_ref"
)


async def _read(row: dict, own: bool, with_history: bool) -> EntitlementRead:
    name = unseal(row["full_name"], "entitlement.full_name") or ""
    account = unseal(row["payee_account"], "entitlement.payee_account") if row["payee_account"] else ""
    on = today()
    payments: list[PaymentRead] = []
    changes: list[ChangeRead] = []
    if with_history:
        for p in await BenefitPayment.raw(
            "SELECT period, amount_cents, state, payment_ref, paid_at, reason, overpaid FROM benefit_payment "
            "WHERE entitlement = {} ORDER BY period DESC",
            row["id"],
        ):
            payments.append(
                PaymentRead(
                    period=p["period"],
                    amount=money(p["amount_cents"]),
                    state=p["state"],
                    payment_ref=p["payment_ref"],
                    paid_at=p["paid_at"],
                    reason=p["reason"],
                    overpaid=bool(p["overpaid"]),
                )
            )
        for c in await EntitlementChange.raw(
            "SELECT key, kind, at, period, from_state, to_state, from_cents, to_cents, from_band, to_band, reason_code, "
            "reason, made_by FROM entitlement_change WHERE entitlement = {} ORDER BY at DESC, id DESC",
            row["id"],
        ):
            if own and c["kind"].endswith("_proposed"):
                # A proposal is the department's business until a second member of staff confirms
                # it; the beneficiary hears of the change then, with its reason.
                continue
            changes.append(
                ChangeRead(
                    kind=c["kind"],
                    at=c["at"],
                    period=c["period"],
                    from_state=c["from_state"],
                    to_state=c["to_state"],
                    from_amount=money(c["from_cents"]) if c["from_cents"] is not None else None,
                    to_amount=money(c["to_cents"]) if c["to_cents"] is not None else None,
                    from_band=c["from_band"],
                    to_band=c["to_band"],
                    reason_code=c["reason_code"],
                    reason=change_reason(c),
                    by_clerk=c["made_by"] is not None,
                )
            )
    paid_now = any(p.period == period_of(on) and p.state == "paid" for p in payments)
    return EntitlementRead(
        id=row["id"],
        service_id=row["service_id"],
        request_ref=row["request_ref"],
        beneficiary=name if own else mask(name),
        kind=row["kind"],
        state=row["state"],
        amount=money(row["amount_cents"]),
        band=row["band"],
        payment_method=row["payment_method"],
        payee_account=mask(account, "bank_account") if account else "",
        start_period=row["start_period"],
        next_payment=next_payment({**row, "paid_this_period": paid_now}, on),
        reason=row["reason"],
        ended_on=row["ended_on"],
        payments=payments,
        changes=changes,
    )


async def my_entitlements(actor: Actor) -> list[EntitlementRead]:
    """The signed-in person's entitlements, newest first, with their payments and changes."""
    if actor.user is None:
        raise forbidden()
    rows = await Entitlement.raw(
        f"SELECT {ENTITLEMENT_COLUMNS} FROM entitlement e LEFT JOIN service_request r ON r.id = e.request "
        "WHERE e.account = {} ORDER BY e.id DESC",
        actor.user.id,
    )
    return [await _read(r, own=True, with_history=True) for r in rows]


async def entitlement(actor: Actor, catalog: Catalog, entitlement_id: int) -> EntitlementRead:
    """One entitlement: for its beneficiary, or for the department keeping the register (audited)."""
    rows = await Entitlement.raw(
        f"SELECT {ENTITLEMENT_COLUMNS} FROM entitlement e LEFT JOIN service_request r ON r.id = e.request "
        "WHERE e.id = {}",
        entitlement_id,
    )
    if not rows or actor.user is None:
        raise not_found()
    row = rows[0]
    own = row["account"] == actor.user.id
    if not own:
        spec = catalog.latest(row["service_id"])
        if spec is None or not may_keep_register(actor.user, spec):
            raise not_found()
        await record(actor, actor.user, "entitlement.viewed", "entitlement", entitlement_id)
    return await _read(row, own=own, with_history=True)


async def register(
    actor: Actor, catalog: Catalog, service_id: str, state: str | None = None, after: int = 0, limit: int = 50
) -> RegisterPage:
    """A benefit's register, a page at a time (by id), names masked; with the count per state."""
    spec = benefit_service(catalog, service_id)
    require_register(actor, spec)
    if state not in (None, "", "active", "suspended", "ended"):
        raise not_found()
    counts = {
        r["state"]: int(r["n"])
        for r in await Entitlement.raw(
            "SELECT state, COUNT(*) AS n FROM entitlement WHERE service_id = {} GROUP BY state", service_id
        )
    }
    limit = max(1, min(limit, 200))
    sql = (
        "SELECT id, full_name, state, amount_cents, band, start_period, reason FROM entitlement "
        "WHERE service_id = {} AND id > {}"
    )
    args: list = [service_id, after]
    if state:
        sql += " AND state = {}"
        args.append(state)
    sql += " ORDER BY id LIMIT {}"
    args.append(limit + 1)
    rows = await Entitlement.raw(sql, *args)
    more = len(rows) > limit
    rows = rows[:limit]
    await record(
        actor, actor.user, "benefit.register.viewed", "benefit", service_id, state=state or "", count=len(rows)
    )
    return RegisterPage(
        service_id=service_id,
        counts={s: counts.get(s, 0) for s in ("active", "suspended", "ended")},
        rows=[
            RegisterRow(
                id=r["id"],
                beneficiary=mask(unseal(r["full_name"], "entitlement.full_name") or ""),
                state=r["state"],
                amount=money(r["amount_cents"]),
                band=r["band"],
                start_period=r["start_period"],
                reason=r["reason"],
            )
            for r in rows
        ],
        next_after=rows[-1]["id"] if more and rows else None,
    )


def _cycle(r: dict) -> CycleRead:
    return CycleRead(
        id=r["id"],
        service_id=r["service_id"],
        period=r["period"],
        state=r["state"],
        runs=int(r["runs"]),
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        paid=int(r["paid"]),
        paid_amount=money(r["paid_cents"]),
        refused=int(r["refused"]),
        set_aside=int(r["set_aside"]),
        ended=int(r["ended"]),
        changed=int(r["changed"]),
        overpaid=int(r["overpaid"]),
        overpaid_amount=money(r["overpaid_cents"]),
    )


async def cycles(actor: Actor, catalog: Catalog, service_id: str) -> list[CycleRead]:
    """A benefit's cycles, newest period first."""
    spec = benefit_service(catalog, service_id)
    require_register(actor, spec)
    rows = await PaymentCycle.raw("SELECT * FROM payment_cycle WHERE service_id = {} ORDER BY period DESC", service_id)
    return [_cycle(r) for r in rows]


class Proposal(msgspec.Struct):
    """A suspension or resumption proposed by a member of staff, waiting for a second one."""

    id: int
    kind: str
    at: dt.datetime
    to_state: str
    reason: str
    # Proposed by the reader: someone else confirms it.
    yours: bool


def change_reason(change: dict) -> str:
    """A change's reason as people read it: a clerk's words, or a post-check's finding (each sealed
    under its own field; rows written before they were sealed read as they are)."""
    field = COMMITMENT_REASON_FIELD if change["key"].endswith(":commitment-broken") else CHANGE_REASON_FIELD
    return opened_text(change["reason"], field)


async def proposals(actor: Actor, catalog: Catalog, entitlement_id: int) -> list[Proposal]:
    """The changes to an entitlement waiting for confirmation, for the staff of the paying
    department (anyone else: none)."""
    user = actor.user
    if user is None or user.role not in STAFF_ROLES:
        return []
    row = await first(Entitlement, "SELECT service_id FROM entitlement WHERE id = {}", entitlement_id)
    spec = catalog.latest(row["service_id"]) if row else None
    if spec is None or user.department != spec.owner:
        return []
    return [
        Proposal(
            id=c["id"],
            kind=c["kind"],
            at=c["at"],
            to_state=c["to_state"],
            reason=change_reason(c),
            yours=c["made_by"] == user.id,
        )
        for c in await EntitlementChange.raw(
            "SELECT id, key, kind, at, to_state, reason, made_by FROM entitlement_change "
            "WHERE entitlement = {} AND confirmed_by IS NULL AND kind IN ('suspended_proposed', 'resumed_proposed') ORDER BY id",
            entitlement_id,
        )
    ]


async def granted_by(actor: Actor, request_ref: str) -> int | None:
    """The signed-in person's entitlement granted by their request ``request_ref``, if there is one."""
    if actor.user is None:
        return None
    row = await first(
        Entitlement,
        "SELECT e.id FROM entitlement e JOIN service_request r ON r.id = e.request WHERE r.ref = {} AND e.account = {}",
        request_ref,
        actor.user.id,
    )
    return int(row["id"]) if row else None
