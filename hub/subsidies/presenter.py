"""What programs and claims look like to those who read them, in their language: the shapes the API
answers with and the pages render, and the functions that fill them from the stored rows."""

from __future__ import annotations

import datetime as dt

import msgspec

from hub.db.records import first
from hub.db.tables import Claim, Program, ServiceRequest
from hub.i18n import N_, gettext, with_amounts
from hub.subsidies.claims import CLAIM_REASONS, CLAIM_STATE_LABELS, withdrawn_before_submission
from hub.subsidies.people import person_named, withdrawal_of
from hub.subsidies.programs import parse_spec, spec_of
from hub.subsidies.records import money

MODE_LABELS = {
    "apply": N_("Apply and be reviewed"),
    "instant": N_("Instant: checked automatically, paid at once"),
    "apply_free": N_("No application: confirm and receive"),
}


class CriterionRead(msgspec.Struct):
    id: str
    reason: str
    passed: bool | None = None


class FigureRead(msgspec.Struct):
    """One of the enterprise's own registry values that a criterion reads, written for people:
    ``insured_employees``, "Insured employees", "3"."""

    name: str
    label: str
    value: str


class CriterionForYou(CriterionRead):
    """A criterion as the enterprise it was assessed for sees it: with the enterprise's own values
    that it reads (so it sees how far it is from meeting it). Only ever in that enterprise's view."""

    figures: list[FigureRead] = msgspec.field(default_factory=list)


class BudgetRead(msgspec.Struct):
    total: str
    reserved: str
    paid: str
    remaining: str


class ProgramRead(msgspec.Struct):
    code: str
    title: str
    summary: str
    legal_basis: str
    service_id: str
    mode: str
    mode_label: str
    automatic: bool
    period: str
    opens_on: dt.date
    closes_on: dt.date
    status: str
    cap_per_enterprise: str
    amount_formula: str
    criteria: list[CriterionRead]
    budget: BudgetRead
    matched_enterprises: int
    eligible_enterprises: int
    matched_at: dt.datetime | None


class ClaimRead(msgspec.Struct):
    """A claim. ``state``: offered, prepared, submitted, checking, reviewing, approved, paid,
    refused, failed, or declined: prepared by the enterprise's preparer and declined by someone
    else of the enterprise (its approver) instead of submitted, which is no refusal by the
    government; ``reason`` is then "declined" and the program can be claimed again. ``reason``
    says why a claim ended without money (refused, failed or declined)."""

    ref: str
    program: str
    program_title: str
    enterprise: str
    uscc: str
    state: str
    state_label: str
    amount: str
    reason: str
    reason_message: str
    payment_ref: str
    paid_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    # The request that carries the claim's timeline and documents (GET /api/requests/{ref}).
    request_ref: str | None
    # A claim an enterprise's preparer filed for its approver to submit: who prepared it, and when.
    # Names of the enterprise's people are written as ``person_named`` writes them: the reader as
    # "you" (in the reader's language), anyone else masked.
    prepared_by: str | None = None
    prepared_at: dt.datetime | None = None
    # A declined claim: who declined it, and when.
    declined_by: str | None = None
    declined_at: dt.datetime | None = None


class ProgramForYou(msgspec.Struct):
    """A program seen by one enterprise: whether it qualifies, why (not), how much, and its claim."""

    program: ProgramRead
    eligible: bool
    near: bool
    amount: str
    criteria: list[CriterionForYou]
    claim: ClaimRead | None


class PoliciesForYou(msgspec.Struct):
    eligible: list[ProgramForYou]
    nearly: list[ProgramForYou]
    other: list[ProgramForYou]


class MatchRead(msgspec.Struct):
    enterprise: str
    uscc: str
    eligible: bool
    near: bool
    amount: str
    unmet: list[str]


class MatchingRead(msgspec.Struct):
    """Where a program's matching run is: ``running`` (with its progress), ``finished``,
    ``not-started``, or ``unknown`` (Temporal did not answer; the counts are then None)."""

    state: str
    evaluated: int | None = None
    # The registry's size (while running), or how many were evaluated (finished).
    total: int | None = None
    eligible: int | None = None
    percent: int | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    estimated_seconds_left: int | None = None


class MatchesRead(msgspec.Struct):
    program: str
    evaluated: int
    eligible: int
    nearly: int
    matched_at: dt.datetime | None
    enterprises: list[MatchRead]
    matching: MatchingRead | None = None


class NotificationRead(msgspec.Struct):
    id: int
    kind: str
    message: str
    program: str | None
    created_at: dt.datetime
    read: bool


def program_read(row: Program, locale: str) -> ProgramRead:
    """A program with its conditions and budget, in ``locale``."""
    spec = spec_of(row)
    return ProgramRead(
        code=row.code,
        title=spec.title.in_locale(locale),
        summary=with_amounts(spec.summary.in_locale(locale), locale),
        legal_basis=spec.legal_basis.in_locale(locale),
        service_id=spec.service_id,
        mode=spec.mode,
        mode_label=gettext(locale, MODE_LABELS[spec.mode]),
        automatic=spec.automatic,
        period=spec.period,
        opens_on=spec.opens_on,
        closes_on=spec.closes_on,
        status=row.status,
        cap_per_enterprise=str(spec.cap_per_enterprise),
        amount_formula=spec.amount,
        criteria=[
            CriterionRead(id=c.id, reason=with_amounts(c.reason.in_locale(locale), locale)) for c in spec.criteria
        ],
        budget=BudgetRead(
            total=str(money(row.budget_cents)),
            reserved=str(money(row.reserved_cents)),
            paid=str(money(row.paid_cents)),
            remaining=str(money(row.budget_cents - row.reserved_cents - row.paid_cents)),
        ),
        matched_enterprises=row.matched_total,
        eligible_enterprises=row.matched_eligible,
        matched_at=row.matched_at,
    )


async def declined_by(
    claim: Claim, prepared_by: int | None, request_ref: str | None, reader: int | None, locale: str
) -> tuple[str, dt.datetime] | None:
    """Who declined a claim its preparer (``prepared_by``, its request's applicant) prepared, named
    for ``reader``, and when: the claim was withdrawn before anyone submitted it, by someone else of
    the enterprise, as its withdrawal's audit event records. None for any other claim (a preparer who
    took back what they prepared withdrew it)."""
    if not withdrawn_before_submission(claim.state, claim.reason_code, claim.submitted_by) or request_ref is None:
        return None
    event = await withdrawal_of(request_ref)
    if event is None or event["actor"] is None or event["actor"] == prepared_by:
        return None
    return person_named(event["actor"], event["name"], reader, locale), event["at"]


async def claim_read(claim: Claim, locale: str, reader: int | None) -> ClaimRead:
    """A claim with its program, enterprise, state and payment, in ``locale``, as the account
    ``reader`` reads it (None: no account; everyone it names is masked)."""
    # The program, enterprise and request the claim names, in one read (written as SQL: building
    # this joined select with Piccolo cost more than running it, on every claim's answer).
    named = await first(
        Claim,
        "SELECT p.code AS program, p.spec, e.name AS enterprise, e.uscc, r.ref AS request_ref, "
        "r.applicant AS filed_by FROM claim c "
        "JOIN program p ON p.id = c.program JOIN enterprise e ON e.id = c.enterprise "
        "LEFT JOIN service_request r ON r.id = c.request WHERE c.id = {}",
        claim.id,
    )
    assert named is not None, "a claim is shown once it is stored"
    prepared_by, prepared_at = None, None
    if named["filed_by"] is not None and claim.submitted_by != named["filed_by"]:
        # Filed by someone other than who submitted it (or before anyone did): a preparer.
        filed = (
            await ServiceRequest.select(ServiceRequest.created_at, ServiceRequest.applicant.full_name.as_alias("name"))
            .where(ServiceRequest.id == claim.request)
            .first()
        )
        if filed is not None:
            prepared_by = person_named(named["filed_by"], filed["name"], reader, locale)
            prepared_at = filed["created_at"]
    declined = await declined_by(claim, named["filed_by"], named["request_ref"], reader, locale)
    # Stored refused as withdrawn (nothing else is needed to free the period), shown as what it is.
    state, reason = ("declined", "declined") if declined else (claim.state, claim.reason_code)
    return ClaimRead(
        ref=claim.ref,
        program=named["program"],
        program_title=parse_spec(named["spec"]).title.in_locale(locale),
        enterprise=named["enterprise"],
        uscc=named["uscc"],
        state=state,
        state_label=gettext(locale, CLAIM_STATE_LABELS.get(state, state)),
        amount=str(money(claim.amount_cents)),
        reason=reason,
        reason_message=gettext(locale, CLAIM_REASONS[reason]) if reason in CLAIM_REASONS else "",
        payment_ref=claim.payment_ref,
        paid_at=claim.paid_at,
        created_at=claim.created_at,
        updated_at=claim.updated_at,
        request_ref=named["request_ref"],
        prepared_by=prepared_by,
        prepared_at=prepared_at,
        declined_by=declined[0] if declined else None,
        declined_at=declined[1] if declined else None,
    )


async def published_programs(locale: str) -> list[ProgramRead]:
    """Every program published, newest first: open data, and the administrators' list."""
    rows = await Program.objects().order_by(Program.published_at, ascending=False)
    return [program_read(r, locale) for r in rows]
