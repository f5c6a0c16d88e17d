"""Life events as people read them: what each covers and its one form, in the reader's language;
an applicant's case with each part's state and request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from forms.catalog import Catalog
from forms.life_events import LifeEventPart, LifeEventSpec
from hub.accounts import APPLICANT_ROLES, Principal
from hub.actor import Actor
from hub.catalog.presenting import department
from hub.catalog.searching import search
from hub.clock import today
from hub.db.tables import LifeEventCase, ReviewTask, ServiceRequest
from hub.errors import not_found
from hub.i18n import N_, gettext
from hub.life_events.filing import event_refusal, load, own_case
from hub.life_events.forms import commitment_offered, one_form, one_form_name, part_answers, part_spec
from hub.life_events.schedule import due_date
from hub.registry import applicant_data
from hub.requests.access import signed_in
from workflows.types import ACTIVE_TASK_STATES, POST_CHECK_STAGE

LATER_YEARS = N_("Applied for automatically when you reach the age of {years}; its conditions are checked then.")
LATER_MONTHS = N_(
    "Applied for automatically when you reach the age of {years} years and {months} months; its conditions are checked then."
)


class PartRead(msgspec.Struct):
    id: str
    service_id: str
    service_title: str
    title: str
    optional: bool
    after: list[str]
    # A part applied for on a later date: when, in words ("on the applicant's 80th birthday").
    applied_later: str = ""
    # A part whose service takes a signed commitment in place of proofs: the statement, and the
    # one form's fields it replaces; answer "<part>.commitment": true to sign it.
    commitment: str | None = None
    commitment_replaces: list[str] = []


class AskedRead(msgspec.Struct):
    name: str
    type: str
    label: str
    required: bool
    parts: list[str]
    options: list[dict[str, Any]] = []


class LifeEventRead(msgspec.Struct):
    id: str
    title: str
    summary: str
    parts: list[PartRead]
    # Fields the one form asks, against the sum of the parts' own forms: the "asked once" saving.
    fields_asked: int
    fields_separately: int
    form: list[AskedRead] = []
    # Who may apply for it: citizen, enterprise (an enterprise through its approver).
    audience: list[str] = []


class CasePartRead(msgspec.Struct):
    id: str
    title: str
    state: str
    request_ref: str | None
    request_state: str | None
    detail: str
    # The date a scheduled part is applied for (its service's conditions are checked then).
    due_on: dt.date | None = None
    # The departments working on a filed part now (an open task each), the post-check excepted.
    held_by: list[str] = []
    # A part approved on a signed commitment: the departments checking it afterwards, and by when.
    post_check_by: list[str] = []
    post_check_due: dt.datetime | None = None


class CaseRead(msgspec.Struct):
    ref: str
    event_id: str
    title: str
    state: str
    created_at: dt.datetime
    parts: list[CasePartRead]


def part_read(catalog: Catalog, event: LifeEventSpec, part: LifeEventPart, locale: str) -> PartRead:
    spec = part_spec(catalog, part)
    return PartRead(
        id=part.id,
        service_id=part.service,
        service_title=gettext(locale, spec.title),
        title=gettext(locale, part.title),
        optional=part.optional,
        after=list(part.after),
        applied_later=applied_later(event, part.id, locale),
        commitment=gettext(locale, spec.commitment.statement)
        if spec.commitment and commitment_offered(event, part, spec)
        else None,
        commitment_replaces=[
            one_form_name(event, part, n) for n in spec.commitment.replaces if n not in event.filled_fields(part.id)
        ]
        if spec.commitment and commitment_offered(event, part, spec)
        else [],
    )


def part_name(catalog: Catalog, part: LifeEventPart, locale: str) -> str:
    """What a case calls one of its parts. An optional part's title is its checkbox's words ("Also
    apply for ... on my 80th birthday"), no name to put in a sentence: its service's title is."""
    return gettext(locale, part_spec(catalog, part).title if part.optional else part.title)


def in_order(event: LifeEventSpec | None, parts: dict[str, Any]) -> list[tuple[str, Any]]:
    """A case's parts in the order its event lists them (as the one form shows them)."""
    position = {p.id: i for i, p in enumerate(event.parts)} if event else {}
    return sorted(parts.items(), key=lambda item: position.get(item[0], len(position)))


def applied_later(event: LifeEventSpec, part_id: str, locale: str) -> str:
    """When a scheduled part is applied for, in words; empty for a part applied for now."""
    due = event.part(part_id).not_before
    if due is None:
        return ""
    if due.months:
        return gettext(locale, LATER_MONTHS, years=due.years, months=due.months)
    return gettext(locale, LATER_YEARS, years=due.years)


async def due_dates(
    catalog: Catalog, event: LifeEventSpec, account: int, answers: dict[str, Any]
) -> dict[str, dt.date | None]:
    """The dates the scheduled parts would be applied for, from the one form's answers or what the
    government holds for the applicant (a resident identity number's birth date); None for a part
    whose date has passed (it is applied for at once, with the others)."""
    scheduled = [p for p in event.parts if p.not_before is not None]
    if not scheduled:
        return {}
    profile, _ = await applicant_data(account, purpose=f"the dates of {event.id}'s scheduled parts")
    found: dict[str, dt.date | None] = {}
    for part in scheduled:
        held = {
            f.name: profile.get(f.prefill.partition(".")[2])
            for f in part_spec(catalog, part).fields
            if f.prefill and f.prefill.startswith("profile.")
        }
        try:
            due = event.due_on(part.id, {k: v for k, v in held.items() if v} | part_answers(event, part, answers))
        except ValueError:  # not a date or identity number yet: the form names that
            continue
        if due is not None:
            found[part.id] = due if due > today() else None
    return found


def life_event_read(catalog: Catalog, event: LifeEventSpec, locale: str, with_form: bool = False) -> LifeEventRead:
    asked = one_form(catalog, event)
    separately = sum(len(part_spec(catalog, p).fields) for p in event.parts)
    return LifeEventRead(
        id=event.id,
        title=gettext(locale, event.title),
        summary=gettext(locale, event.summary),
        parts=[part_read(catalog, event, p, locale) for p in event.parts],
        fields_asked=len(asked),
        fields_separately=separately,
        audience=list(event.audience),
        form=[
            AskedRead(
                name=a.name,
                type=a.field.type,
                label=gettext(locale, a.field.label),
                required=a.field.required,
                parts=list(a.parts),
                options=[{"value": o.value, "label": gettext(locale, o.label)} for o in a.field.options],
            )
            for a in asked
        ]
        if with_form
        else [],
    )


def events_for(catalog: Catalog, user: Principal | None) -> list[LifeEventSpec]:
    """The life events offered to a reader: to a signed-in applicant only those they may file (the
    rule that refuses them the others, so the list and the refusal agree); to anyone else (signed
    out, staff, a department's system) all of them, each saying who it is for."""
    events = list(catalog.life_events.values())
    if user is None or user.role not in APPLICANT_ROLES:
        return events
    return [e for e in events if event_refusal(e, user) is None]


def life_events(catalog: Catalog, locale: str, user: Principal | None = None, q: str = "") -> list[LifeEventRead]:
    """The life events offered to ``user`` (``events_for``), in ``locale``; with ``q``, those a
    search finds, best first (by title, search words or summary, in either language)."""
    return [life_event_read(catalog, e, locale) for e in search(events_for(catalog, user), q)]


def life_event(catalog: Catalog, event_id: str, locale: str) -> LifeEventRead:
    event = catalog.life_events.get(event_id)
    if event is None:
        raise not_found()
    return life_event_read(catalog, event, locale, with_form=True)


async def case_read(actor: Actor, catalog: Catalog, ref: str) -> CaseRead:
    """The applicant's own case (or their enterprise's): each part's state and its request (which
    has its own timeline)."""
    row = await own_case(ref, signed_in(actor))
    event = catalog.life_events.get(row.event_id)
    parts = load(row.parts)
    refs = [p["ref"] for p in parts.values() if p.get("ref")]
    rows = (
        await ServiceRequest.select(ServiceRequest.id, ServiceRequest.ref, ServiceRequest.state).where(
            ServiceRequest.ref.is_in(refs)
        )
        if refs
        else []
    )
    states = {r["ref"]: r["state"] for r in rows}
    # Who holds each filed part now: the departments with a task on it still open. A post-check is
    # not the decision being made: the part is approved, and is checked afterwards.
    holders: dict[str, list[str]] = {}
    checkers: dict[str, list[str]] = {}
    check_due: dict[str, dt.datetime] = {}
    if rows:
        by_id = {r["id"]: r["ref"] for r in rows}
        for t in await ReviewTask.select(
            ReviewTask.request, ReviewTask.department, ReviewTask.stage_id, ReviewTask.due_at
        ).where(ReviewTask.request.is_in(list(by_id)) & ReviewTask.state.is_in(sorted(ACTIVE_TASK_STATES))):
            request_ref = by_id[t["request"]]
            post_check = t["stage_id"] == POST_CHECK_STAGE
            names = (checkers if post_check else holders).setdefault(request_ref, [])
            name = department(catalog, t["department"], actor.locale).name
            if name not in names:
                names.append(name)
            if post_check and t["due_at"] is not None:
                check_due[request_ref] = max(check_due.get(request_ref, t["due_at"]), t["due_at"])
    return CaseRead(
        ref=row.ref,
        event_id=row.event_id,
        title=gettext(actor.locale, event.title) if event else row.event_id,
        state=row.state,
        created_at=row.created_at,
        parts=[
            CasePartRead(
                id=part_id,
                title=part_name(catalog, event.part(part_id), actor.locale) if event else part_id,
                state=p["state"],
                request_ref=p.get("ref"),
                request_state=states.get(p.get("ref") or ""),
                detail=p.get("detail", ""),
                due_on=due_date(p),
                held_by=holders.get(p.get("ref") or "", []),
                post_check_by=checkers.get(p.get("ref") or "", []),
                post_check_due=check_due.get(p.get("ref") or ""),
            )
            for part_id, p in in_order(event, parts)
        ],
    )


async def my_cases(actor: Actor, catalog: Catalog) -> list[CaseRead]:
    """The applicant's own cases, newest first, each part with its state (for a list of them)."""
    user = signed_in(actor)
    rows = (
        await LifeEventCase.objects()
        .where(LifeEventCase.applicant == user.id)
        .order_by(LifeEventCase.created_at, ascending=False)
    )
    found = []
    for row in rows:
        event = catalog.life_events.get(row.event_id)
        found.append(
            CaseRead(
                ref=row.ref,
                event_id=row.event_id,
                title=gettext(actor.locale, event.title) if event else row.event_id,
                state=row.state,
                created_at=row.created_at,
                parts=[
                    CasePartRead(
                        id=part_id,
                        title=part_name(catalog, event.part(part_id), actor.locale) if event else part_id,
                        state=p["state"],
                        request_ref=p.get("ref"),
                        request_state=None,
                        detail=p.get("detail", ""),
                        due_on=due_date(p),
                    )
                    for part_id, p in in_order(event, load(row.parts))
                ],
            )
        )
    return found
