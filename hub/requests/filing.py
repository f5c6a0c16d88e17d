"""Filing a request: who may file which service, the answers prefilled and checked (uploads
included), the eligibility rules and the expected amount, idempotent storage with its audit event,
and the start of its workflow. The API, the portal and subsidy claims all come here."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from forms.rules import compute_amount, context, evaluate
from forms.spec import ServiceSpec
from forms.validation import FieldError, FormInvalid, validate_form
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit import record
from hub.clock import now, today
from hub.commitments import broken_on, check_may_commit, holder_key, record_signature
from hub.context import HubContext
from hub.db.records import add_timeline
from hub.db.tables import Claim, ServiceRequest
from hub.db.transactions import writing
from hub.enterprises import may_submit, require_approver
from hub.errors import HubError, invalid_form, not_found
from hub.i18n import N_, gettext
from hub.intake import start_workflow
from hub.profiles import applicant_data, person_facts
from hub.requests.access import load_own_request, reread, signed_in
from hub.requests.materials import CredentialsInvalid, held_for_form, take_held, verify_credentials
from hub.requests.once import check_free, hold, holder_of
from hub.requests.prefill import prefill, sources_of
from hub.requests.references import new_ref
from hub.sealing import seal_answers
from hub.uploads.files import check_uploads
from workflows.names import request_workflow_id

log = logging.getLogger("qinqing.requests")

MAX_ANSWERS = 200


def sealed(spec: ServiceSpec, answers: dict[str, Any]) -> str:
    """Answers as stored: JSON with every personal value sealed."""
    return json.dumps(seal_answers(spec.personal_fields, answers), ensure_ascii=False)


def expected_amount(spec: ServiceSpec, names: dict[str, Any]) -> str | None:
    """The amount the formula gives for the answers as filed (None without a formula, or if it fails)."""
    if not spec.granted_amount:
        return None
    try:
        return str(compute_amount(spec.granted_amount, names))
    except Exception:  # noqa: BLE001 - the final amount is settled (and checked) on approval
        return None


async def benefit_person(spec: ServiceSpec, answers: dict[str, Any], purpose: str) -> dict[str, Any] | None:
    """``person.*`` for a benefit's amount formula: the population registry's facts about the
    applicant today (None for a service that grants no benefit)."""
    if spec.benefit is None:
        return None
    return await person_facts(str(answers.get("resident_id") or ""), today(), purpose)


def key_reused() -> HubError:
    """The Idempotency-Key of a stored submission sent again with other answers."""
    return HubError(
        "conflict",
        "idempotency-key-reused",
        N_("Idempotency key already used"),
        N_("This Idempotency-Key was used for a different submission. Use a new key for a new request."),
    )


def not_passed_on(ref: str) -> HubError:
    """Stored, but Temporal could not be reached to start its workflow: the same key again continues."""
    return HubError(
        "unavailable",
        "workflow-unavailable",
        N_("Request saved, processing not started yet"),
        N_(
            "Your request {ref} was saved but could not be passed on yet. Send it again with the same Idempotency-Key to continue."
        ),
        params={"ref": ref},
        retry_after=5,
    )


def payload_hash(service_id: str, answers: dict[str, Any]) -> str:
    """What a submission says, as a digest: a repeat with the same key must say the same."""
    canonical = json.dumps(
        {"service_id": service_id, "answers": answers},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_audience(spec: ServiceSpec, user: Principal) -> None:
    """A service is filed only by those it is for (citizens, or enterprises): anyone else is not
    allowed to, whatever they answer."""
    if user.role not in spec.audience:
        raise HubError(
            "forbidden",
            "wrong-audience",
            N_("Not available to you"),
            N_("This service is for enterprises only.")
            if spec.audience == ["enterprise"]
            else N_("This service is for citizens only."),
        )


async def checked_answers(
    spec: ServiceSpec, answers_in: dict[str, Any], user: Principal, not_yet_issued: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The answers prefilled from what the government holds and validated, uploads included; raises
    invalid_form with every problem at once. Also returns the profile and registry data it used.

    A proof the applicant left out is taken from a valid credential they hold, and every credential
    referred to is checked (held, of the right type, valid) and stored with what was verified, but
    those of ``not_yet_issued`` (a life event's earlier part issues them, and they are checked then)."""
    profile, enterprise = await applicant_data(user.id, purpose=f"prefill and eligibility of {spec.id}")
    errors: list[FieldError] = []
    answers_in = take_held(spec, answers_in, await held_for_form(user, spec))
    try:
        answers = validate_form(spec, prefill(spec, answers_in, sources_of(profile, enterprise)))
    except FormInvalid as exc:
        errors, answers = exc.errors, answers_in
    try:
        # Checked even when other fields are wrong, so the applicant sees every problem at once.
        await check_uploads(spec, answers, user, skip={e.field for e in errors})
    except FormInvalid as exc:
        errors += exc.errors
    try:
        answers = await verify_credentials(spec, answers, user, now(), skip={e.field for e in errors} | not_yet_issued)
    except CredentialsInvalid as exc:
        errors += exc.errors
    if errors:
        raise invalid_form(errors)
    # The commitment route is closed for a time to whoever broke a commitment (the proofs are not).
    await check_may_commit(spec, user, answers, today())
    return answers, profile, enterprise


def eligibility(
    spec: ServiceSpec,
    answers: dict[str, Any],
    profile: dict[str, Any],
    enterprise: dict[str, Any] | None,
    locale: str,
    person: dict[str, Any] | None = None,
) -> tuple[str, str | None]:
    """The service's rules over the answers and what the registries hold: their results as stored
    and the amount the formula gives (a benefit's over ``person``, the population registry's facts).
    Raises not-eligible (nothing is saved) when one fails."""
    names = context(spec, answers, profile, enterprise, today())
    if person is not None:
        names["person"] = person
    results = evaluate(spec.rules, names)
    if not all(r.passed for r in results):
        raise HubError(
            "invalid",
            "not-eligible",
            N_("Not eligible"),
            N_("The request does not meet the service's conditions. Nothing was saved."),
            rules=[{"rule": r.rule, "passed": r.passed, "message": gettext(locale, r.message)} for r in results],
        )
    return json.dumps([r.model_dump() for r in results], ensure_ascii=False), expected_amount(spec, names)


async def _checked_filing(
    ctx: HubContext, actor: Actor, spec: ServiceSpec, answers_in: dict[str, Any]
) -> tuple[dict[str, Any], str, str | None, str | None]:
    """Every check a filing passes before anything is stored: who may apply, the answers, the
    service's rules, and one open application per holder. Returns the answers as checked, the
    rules' results as stored, the amount expected and the holder; raises HubError otherwise."""
    user = signed_in(actor)
    require_audience(spec, user)
    if len(answers_in) > MAX_ANSWERS:
        raise invalid_form([FieldError(field="answers", code="too_many_fields")])
    answers, profile, enterprise = await checked_answers(spec, answers_in, user)
    if spec.commitment is not None:
        # A fact the service's rules may read: the date of a commitment found broken lately, or None.
        broken = await broken_on(user, holder_key(user, answers), spec.commitment.barred_years, today())
        profile = {**profile, "broken_commitment_on": broken}
    person = await benefit_person(spec, answers, "benefit amount expected at filing")
    results, expected = eligibility(spec, answers, profile, enterprise, actor.locale, person)
    holder = holder_of(spec, user, answers) if ctx.settings.enforce_once_per else None
    await check_free(spec, holder)
    return answers, results, expected, holder


async def check_filing(ctx: HubContext, actor: Actor, spec: ServiceSpec, answers: dict[str, Any]) -> list[dict]:
    """What filing these answers would meet, before the applicant presses submit: the service's
    rules as met (their results), or the HubError submitting would raise. Nothing is stored."""
    _, results, _, _ = await _checked_filing(ctx, actor, spec, answers)
    return [
        {"rule": r["rule"], "passed": r["passed"], "message": gettext(actor.locale, r["message"])}
        for r in json.loads(results)
    ]


async def submit_request(
    ctx: HubContext,
    actor: Actor,
    service_id: str,
    answers_in: dict[str, Any],
    idempotency_key: str,
) -> tuple[ServiceRequest, bool]:
    """File a request (the API and the portal both come here): prefill, validate, check uploads and
    eligibility, store it and start its workflow. Returns the row and whether it is new (a repeat with
    the same key returns the first one). Raises HubError for field errors, ineligibility and the like."""
    user = signed_in(actor)
    scope = f"{user.id}:{idempotency_key}"
    digest = payload_hash(service_id, answers_in)

    existing = await ServiceRequest.objects().where(ServiceRequest.idempotency_scope == scope).first()
    if existing is not None:
        return await _repeat(ctx, existing, digest), False

    spec = ctx.catalog.latest(service_id)
    if spec is None:
        raise HubError(
            "invalid",
            "unknown-service",
            N_("Unknown service"),
            N_("There is no service {service}."),
            params={"service": service_id[:64]},
        )
    answers, results, expected, holder = await _checked_filing(ctx, actor, spec, answers_in)

    # An enterprise's preparer stores the request; its approver submits it (submit_prepared).
    state = "submitted" if may_submit(user) else "prepared"
    stamp = now()
    ref = new_ref(stamp)
    async with writing():
        inserted = (
            await ServiceRequest.insert(
                ServiceRequest(
                    ref=ref,
                    workflow_id=request_workflow_id(ref),
                    service_id=spec.id,
                    service_version=spec.version,
                    applicant=user.id,
                    idempotency_scope=scope,
                    payload_hash=digest,
                    state=state,
                    answers=sealed(spec, answers),
                    rule_results=results,
                    expected_amount=expected,
                    locale=actor.locale,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            .on_conflict(target=ServiceRequest.idempotency_scope, action="DO NOTHING")
            .returning(ServiceRequest.id)
        )
        if inserted:
            # Raises, and the request is not stored, when another application of the holder is open.
            await hold(spec, holder, inserted[0]["id"], stamp)
        if inserted and state == "submitted":
            await add_timeline(f"request:{inserted[0]['id']}:submitted", inserted[0]["id"], "submitted", stamp)
        if inserted:
            # Signed with the request, in its transaction: a commitment in place of proofs.
            await record_signature(spec, user, answers, inserted[0]["id"], stamp)
        if inserted:
            action = "request.filed" if state == "submitted" else "request.prepared"
            await record(actor, user, action, "request", ref, service=spec.id, version=spec.version)
    row = await ServiceRequest.objects().where(ServiceRequest.idempotency_scope == scope).first()
    # Stored just now: by this submission, or by a concurrent one with the same key (requests are never deleted).
    assert row is not None, "a request with this idempotency scope was just stored"
    if not inserted:  # a concurrent submission with the same key won the race
        return await _repeat(ctx, row, digest), False
    if state == "submitted":
        await start(ctx, row, spec)
    return row, True


async def submit_prepared(ctx: HubContext, actor: Actor, ref: str) -> ServiceRequest:
    """The enterprise's approver submits what its preparer prepared; repeating it is harmless."""
    user = signed_in(actor)
    row = await load_own_request(ref, user)
    require_approver(user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    if spec is None or row.life_event_case is not None or await Claim.exists().where(Claim.request == row.id):
        # A claim's request is submitted with its claim (its budget reserved first), a life event's
        # part by its case: started here, it would run as a request of its own.
        raise not_found()
    if row.state == "prepared":
        stamp = now()
        async with writing():
            moved = (
                await ServiceRequest.update(
                    {
                        ServiceRequest.state: "submitted",
                        ServiceRequest.submitted_by: user.id,
                        ServiceRequest.updated_at: stamp,
                    }
                )
                .where((ServiceRequest.id == row.id) & (ServiceRequest.state == "prepared"))
                .returning(ServiceRequest.id)
            )
            if moved:
                await add_timeline(f"request:{row.id}:submitted", row.id, "submitted", stamp)
                await record(actor, user, "request.submitted", "request", row.ref, prepared_by=row.applicant)
    row = await reread(row.id)
    if row.state == "submitted":
        await start(ctx, row, spec)  # also when repeated: starting twice is harmless
    return row


async def _repeat(ctx: HubContext, row: ServiceRequest, digest: str) -> ServiceRequest:
    if row.payload_hash != digest:
        raise key_reused()
    spec = ctx.catalog.version(row.service_id, row.service_version)
    if spec is not None and row.state != "prepared":
        await start(ctx, row, spec)  # completes a first attempt that stored the row but failed to start
    return row


async def start(ctx: HubContext, row: ServiceRequest, spec: ServiceSpec) -> None:
    """Start the request's workflow (id ``request-<ref>``: starting it twice is harmless); when
    Temporal cannot be reached, the request stays saved and a repeat with the same key continues."""
    try:
        if ctx.temporal is None:
            raise RuntimeError("no Temporal client")
        await start_workflow(ctx.temporal, row, spec)
    except Exception:
        log.exception("could not start the workflow of %s", row.ref)
        raise not_passed_on(row.ref) from None
