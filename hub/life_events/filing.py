"""Filing a life event: every chosen part validated and checked against its service's own rules
(each error named on the one form, with its part), then one case stored and its workflow started.
Nothing is filed unless every chosen part is valid and eligible."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import msgspec
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from forms.catalog import Catalog
from forms.life_events import PART_FIELD, LifeEventSpec
from forms.spec import COMMITMENT_ANSWER
from forms.validation import CREDENTIAL_KEY, FieldError
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.tables import LifeEventCase
from hub.db.transactions import writing
from hub.enterprises import may_submit, same_enterprise
from hub.errors import HubError, invalid_field, invalid_form, not_found
from hub.i18n import N_, gettext
from hub.intake import START_TIMEOUT
from hub.life_events.drafts import consume_event_draft
from hub.life_events.forms import commitment_offered, handed_credentials, one_form_name, part_answers, part_spec
from hub.life_events.schedule import due_at, scheduled_part
from hub.requests.access import signed_in
from hub.requests.filing import (
    benefit_person,
    checked_answers,
    eligibility,
    key_reused,
    not_passed_on,
    payload_hash,
    require_audience,
    sealed,
)
from hub.requests.once import check_free, holder_of
from hub.requests.references import new_ref
from workflows.life_events.case import LifeEventWorkflow
from workflows.life_events.types import CaseInput, PartPlan
from workflows.names import REQUESTS_QUEUE, life_event_workflow_id

log = logging.getLogger("qinqing.life_events")
# What a field handed on by an earlier part holds until that part is decided (it is replaced then).
PENDING = "pending"


class CaseFiled(msgspec.Struct):
    ref: str
    event_id: str
    parts: list[str]


def _event_for(ctx: HubContext, user: Principal, event_id: str) -> LifeEventSpec:
    """The life event, if it exists and is for the caller; for an enterprise, only its approver
    (legal representative) applies: a case has no prepared state for the approver to submit later."""
    event = ctx.catalog.life_events.get(event_id)
    if event is None:
        raise not_found()
    require_event_audience(event, user)
    return event


def event_refusal(event: LifeEventSpec, user: Principal) -> HubError | None:
    """Why the caller may not file the event, or None when they may: the one rule behind both the
    refusal (``require_event_audience``) and the lists of life events a caller is offered."""
    if user.role not in event.audience:
        return HubError(
            "forbidden",
            "wrong-audience",
            N_("Not available to you"),
            N_("This service is for enterprises only.")
            if event.audience == ["enterprise"]
            else N_("This service is for citizens only."),
        )
    if user.role == "enterprise" and not may_submit(user):
        return HubError(
            "forbidden",
            "approver-required",
            N_("Only the approver can submit"),
            N_("Only the enterprise's approver (legal representative) can apply for this for the enterprise."),
        )
    return None


def require_event_audience(event: LifeEventSpec, user: Principal) -> None:
    """Refuse a caller the event is not for (the pages and the API say the same)."""
    if (refused := event_refusal(event, user)) is not None:
        raise refused


async def own_case(ref: str, user: Principal) -> LifeEventCase:
    """The caller's case, or their enterprise's (its preparer follows what its approver filed, as
    with requests); anyone else's looks like one that does not exist."""
    row = await LifeEventCase.objects().where(LifeEventCase.ref == ref).first()
    if row is None or (row.applicant != user.id and not await same_enterprise(user, row.applicant)):
        raise not_found()
    return row


def chosen_parts(event: LifeEventSpec, optional_chosen: list[str]) -> list[str]:
    known = {p.id for p in event.parts if p.optional}
    unknown = [p for p in optional_chosen if p not in known]
    if unknown:
        raise invalid_field("parts", "invalid_choice")
    return [p.id for p in event.order() if not p.optional or p.id in optional_chosen]


async def file_case(
    ctx: HubContext, actor: Actor, event_id: str, answers_in: dict[str, Any], optional_chosen: list[str], key: str
) -> tuple[CaseFiled, bool]:
    """File a life event once: returns the case and whether it is new (the same key again returns it)."""
    user = signed_in(actor)
    event = _event_for(ctx, user, event_id)
    scope = f"{user.id}:{key}"
    digest = payload_hash(event_id, {"answers": answers_in, "parts": sorted(optional_chosen)})
    existing = await LifeEventCase.objects().where(LifeEventCase.idempotency_scope == scope).first()
    if existing is not None:
        if existing.payload_hash != digest:
            raise key_reused()
        await _start(ctx, existing, event)
        return CaseFiled(ref=existing.ref, event_id=event_id, parts=list(load(existing.parts))), False
    parts = chosen_parts(event, optional_chosen)
    stored = await _checked_parts(ctx, actor, event, parts, answers_in)
    stamp = now()
    ref = new_ref(stamp).replace("QQ", "LE", 1)
    async with writing():
        inserted = (
            await LifeEventCase.insert(
                LifeEventCase(
                    ref=ref,
                    workflow_id=life_event_workflow_id(ref),
                    event_id=event.id,
                    event_version=event.version,
                    applicant=user.id,
                    idempotency_scope=scope,
                    payload_hash=digest,
                    state="in_progress",
                    parts=json.dumps(stored, ensure_ascii=False),
                    locale=actor.locale,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            .on_conflict(target=LifeEventCase.idempotency_scope, action="DO NOTHING")
            .returning(LifeEventCase.id)
        )
        if inserted:
            await record(actor, user, "life_event.filed", "life_event", ref, event=event.id, parts=parts)
            # Filed: the draft saved of its one form is used up, as a service's is when filed.
            await consume_event_draft(user.id, event.id)
    row = await LifeEventCase.objects().where(LifeEventCase.idempotency_scope == scope).first()
    assert row is not None
    await _start(ctx, row, event)
    return CaseFiled(ref=row.ref, event_id=event.id, parts=list(load(row.parts))), bool(inserted)


async def check_case(
    ctx: HubContext, actor: Actor, event_id: str, answers_in: dict[str, Any], optional_chosen: list[str]
) -> list[str]:
    """Check a life event's application as filing would, storing nothing (for a page that shows the
    answers before filing): the chosen parts in order, or the same errors and refusal as filing."""
    user = signed_in(actor)
    event = _event_for(ctx, user, event_id)
    parts = chosen_parts(event, optional_chosen)
    await _checked_parts(ctx, actor, event, parts, answers_in)
    return parts


async def _checked_parts(
    ctx: HubContext, actor: Actor, event: LifeEventSpec, parts: list[str], answers_in: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Every chosen part validated and checked against its service's rules, as stored on the case;
    raises every field error (named on the one form, with its part), or the refusal with each part's
    failing rules."""
    user = signed_in(actor)
    errors: list[FieldError] = []
    refusals: list[dict[str, Any]] = []
    stored: dict[str, dict[str, Any]] = {}
    for part_id in parts:
        part = event.part(part_id)
        spec = part_spec(ctx.catalog, part)
        require_audience(spec, user)
        issued = handed_credentials(part)
        mine = part_answers(event, part, answers_in)
        if COMMITMENT_ANSWER in mine and not commitment_offered(event, part, spec):
            # Nothing it would replace is asked: the event hands the proof on, there is nothing to commit to.
            errors.append(
                FieldError(
                    field=part.id + PART_FIELD + COMMITMENT_ANSWER, code="not_applicable", context={"part": part_id}
                )
            )
            continue
        # Placeholders until the earlier part is decided (then replaced by what it hands on).
        mine |= {f: {CREDENTIAL_KEY: PENDING} if f in issued else PENDING for f in part.from_parts}
        try:
            answers, profile, enterprise = await checked_answers(spec, mine, user, frozenset(issued))
        except HubError as exc:
            errors += [
                FieldError(
                    field=one_form_name(event, part, e.field.split(".")[0]) + e.field[len(e.field.split(".")[0]) :],
                    code=e.code,
                    context={**e.context, "part": part_id},
                )
                for e in exc.errors
            ]
            continue
        if (due := event.due_on(part_id, answers)) is not None:
            # Its rules are checked on that date, when it is filed (at 60 nobody is 80 yet).
            stored[part_id] = scheduled_part(sealed(spec, answers), due) | {"version": spec.version}
            continue
        person = await benefit_person(spec, answers, "benefit amount expected at filing")
        try:
            results, expected = eligibility(spec, answers, profile, enterprise, actor.locale, person)
        except HubError as exc:
            refusals += [{**r, "part": part_id} for r in exc.rules if not r["passed"]]
            continue
        if ctx.settings.enforce_once_per:
            await check_free(spec, holder_of(spec, user, answers))
        stored[part_id] = {
            # Kept with the part: it is filed with the version it was checked against.
            "version": spec.version,
            "answers": sealed(spec, answers),
            "results": results,
            "expected": expected,
            "state": "waiting",
            "ref": None,
        }
    if errors:
        raise invalid_form(errors)
    if refusals:
        raise HubError(
            "invalid",
            "not-eligible",
            N_("Not eligible"),
            N_("A part of the application does not meet its service's conditions. Nothing was saved."),
            rules=[{**r, "message": gettext(actor.locale, r["message"])} for r in refusals],
        )
    return stored


def load(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


async def start_case(client: Client, row: LifeEventCase, event: LifeEventSpec) -> None:
    """Start the case's workflow (by its reference: starting it twice, or once it has finished, is harmless)."""
    parts = load(row.parts)
    plans = [
        PartPlan(
            part_id=p.id,
            after=[d for d in p.after if d in parts],
            from_parts=dict(p.from_parts),
            not_before=due_at(parts[p.id]),
        )
        for p in event.order()
        if p.id in parts
    ]
    try:
        await client.start_workflow(
            LifeEventWorkflow.run,
            CaseInput(case_id=row.id, ref=row.ref, parts=plans, on_rejection=event.on_rejection),
            id=row.workflow_id,
            task_queue=REQUESTS_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=START_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        pass  # finished already: the same case, nothing to do


async def resume_unstarted_cases(client: Client, catalog: Catalog, waited: timedelta = timedelta(0)) -> int:
    """Start the workflows of cases stored while Temporal was unreachable (no part filed yet), if
    they have waited at least ``waited``; returns how many were (re)started."""
    rows = await LifeEventCase.objects().where(
        (LifeEventCase.state == "in_progress") & (LifeEventCase.updated_at <= now() - waited)
    )
    started = 0
    for row in rows:
        event = catalog.life_events.get(row.event_id)
        if event is None or any(p.get("ref") for p in load(row.parts).values()):
            continue
        await start_case(client, row, event)
        started += 1
    return started


async def _start(ctx: HubContext, row: LifeEventCase, event: LifeEventSpec) -> None:
    """Start the case's workflow; when Temporal cannot be reached, the case stays saved and is
    passed on by the worker's sweep, or when the applicant sends it again."""
    try:
        if ctx.temporal is None:
            raise RuntimeError("no Temporal client")
        await start_case(ctx.temporal, row, event)
    except Exception:  # noqa: BLE001 - the case is stored; the sweep or the same key again continues
        log.exception("could not start the life event %s", row.ref)
        raise not_passed_on(row.ref) from None
