"""Supplements: the applicant supplies what a department asked for, and nothing else; the answers
as they will stand are checked again as filing checked them."""

from __future__ import annotations

import secrets
from typing import Any

from forms.validation import FieldError, FormInvalid, validate_form
from hub.accounts import delegate_of
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.records import load_json
from hub.db.tables import ReviewTask, ServiceRequest, Supplement
from hub.errors import HubError, invalid_form, not_found
from hub.i18n import N_
from hub.profiles import applicant_data
from hub.requests.access import load_own_request, reread, signed_in
from hub.requests.filing import MAX_ANSWERS, benefit_person, eligibility, sealed
from hub.requests.materials import CredentialsInvalid, verify_credentials
from hub.requests.prefill import prefill, sources_of
from hub.requests.presenter import stored_answers
from hub.requests.updates import send_applicant_update
from hub.uploads.files import check_uploads
from workflows.service_request import ServiceRequestWorkflow
from workflows.types import SupplementNotice


async def supply_information(ctx: HubContext, actor: Actor, ref: str, answers_in: dict[str, Any]) -> ServiceRequest:
    """The applicant answers what a department asked for, checked as filing was; the review resumes.
    Returns the request as it stands."""
    user = signed_in(actor)
    row = await load_own_request(ref, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    waiting = await ReviewTask.objects().where(
        (ReviewTask.request == row.id) & (ReviewTask.state == "waiting_applicant")
    )
    if not waiting:
        raise HubError(
            "conflict",
            "nothing-requested",
            N_("Nothing was asked"),
            N_("No department is waiting for information on this request."),
        )
    if not answers_in or len(answers_in) > MAX_ANSWERS:
        raise invalid_form([FieldError(field="answers", code="missing")])
    if spec is None:  # the version it was filed under has left the catalog
        raise not_found()
    # Only what a department named, and never what the government holds (those are not
    # supplementable: a supplement cannot change who the applicant is).
    asked = {f for t in waiting for f in load_json(t.requested_fields or "[]")} & set(spec.supplementable_fields)
    not_asked = [FieldError(field=k, code="not_requested") for k in answers_in if k not in asked]
    if not_asked:
        raise invalid_form(not_asked)
    # Filing's checks again, on the answers as they will stand: registry data, validation, the
    # applicant's own uploads, the eligibility rules and the amount.
    profile, enterprise = await applicant_data(row.applicant, purpose=f"supplement of {row.ref}")
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    try:
        merged = {**stored_answers(spec, row), **answers_in}
        clean = validate_form(spec, prefill(spec, merged, sources_of(profile, enterprise)))
    except FormInvalid as exc:
        errors += exc.errors
    try:
        await check_uploads(spec, answers_in, user, skip={e.field for e in errors})
    except FormInvalid as exc:
        errors += exc.errors
    try:
        # A credential given in place of a proof asked for is checked as at filing.
        given = {k: clean[k] for k in answers_in if k in clean}
        clean = {**clean, **await verify_credentials(spec, given, user, now(), skip={e.field for e in errors})}
    except CredentialsInvalid as exc:
        errors += exc.errors
    if errors:
        raise invalid_form(errors)
    person = await benefit_person(spec, clean, "benefit amount expected after a supplement")
    results, expected = eligibility(spec, clean, profile, enterprise, actor.locale, person)
    token = f"sup_{secrets.token_hex(16)}"
    changed = {k: clean[k] for k in answers_in if k in clean}
    await Supplement.insert(
        Supplement(
            token=token,
            request=row.id,
            answers=sealed(spec, changed),
            rule_results=results,
            expected_amount=expected,
            created_at=now(),
        )
    )
    await send_applicant_update(
        ctx,
        row,
        ServiceRequestWorkflow.supplement,
        SupplementNotice(token=token, reassign={t.key: await delegate_of(t.assignee) for t in waiting if t.assignee}),
        N_("This request is closed or no longer waiting for information. Nothing was changed."),
    )
    await record(actor, user, "request.supplemented", "request", row.ref, fields=sorted(changed))
    return await reread(row.id)
