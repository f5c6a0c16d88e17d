"""Life events on the portal (一件事一次办): the list of them, the one form (the answers the parts
share first, then each part's own fields), saved as a draft to finish later, one check page, one
filing, and the applicant's case.

The rules are the life events domain's (``hub/life_events``): these pages parse the posted form into
the one form's answers (shared answers by name, a part's own fields as ``<part>.<field>``), call it,
and draw what it answers with the service form's own inputs."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from typing import Any

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from forms.life_events import PART_FIELD, LifeEventPart, LifeEventSpec
from forms.spec import COMMITMENT_ANSWER, ServiceSpec
from forms.validation import FieldError, is_visible, whole_number
from hub.accounts import Principal
from hub.errors import HubError
from hub.i18n import N_, gettext
from hub.life_events.drafts import load_event_draft, save_event_draft
from hub.life_events.filing import check_case, file_case, require_event_audience
from hub.life_events.forms import commitment_offered, handed_credentials, part_spec
from hub.life_events.views import case_read, due_dates, life_event, life_events, part_name
from hub.life_events.withdrawal import withdraw_case
from hub.privacy import mask
from hub.requests.drafts import filenames
from hub.requests.materials import held_proofs
from hub.requests.prefill import held_for
from hub.uploads.files import MAX_UPLOAD_BYTES, store_upload
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.downloads import sniffed_type
from hub.web.pages.common import require
from hub.web.pages.forms import (
    COMMITMENT_LABEL,
    FILE_SUFFIX,
    MASKED,
    Input,
    answers_from_form,
    build_inputs,
    commitment_choice,
    display,
    file_keys,
    html_id,
    we_have_it,
)
from hub.web.pages.render import render_page
from hub.web.pages.session import current_user, page_locale
from hub.web.problems import field_message, not_found, status_of
from hub.web.routes import get, post
from hub.web.security import APPLICANT_ROLES

FORM_BODY_LIMIT = 3 * MAX_UPLOAD_BYTES
# A part's state on the case, as the applicant reads it (一件事一次办's words in Chinese).
PART_STATES = {
    "waiting": N_("Waiting"),
    "scheduled": N_("Scheduled"),
    "filed": N_("Filed with its department"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "not_filed": N_("Not filed with its department"),
}
ALREADY_FILED = N_("This application is already filed")
START_AGAIN = N_(
    "It was filed from this form with other answers; see it under My requests, "
    "or open the form again to start a new application."
)
# A part approved on commitment whose post-check found the commitment broken.
REVOKED = N_("Revoked: the commitment was not kept")
CASE_STATES = {"in_progress": N_("In progress"), "done": N_("Completed")}
# The one form saved as a draft (the words a service's form says).
SAVED = N_("Your draft is saved. You can come back to it at any time from My requests.")


def event_or_404(ctx: HubContext, event_id: str) -> LifeEventSpec:
    event = ctx.catalog.life_events.get(event_id)
    if event is None:
        raise not_found()
    return event


def applicant_for(request: Request, event: LifeEventSpec) -> Principal:
    user = require(request, *APPLICANT_ROLES)
    require_event_audience(event, user)
    return user


def shared_fields(event: LifeEventSpec, part: LifeEventPart) -> dict[str, str]:
    """A part's fields the one form asks once: field name -> shared answer's name."""
    found = {}
    for shared in event.shared:
        for target in shared.into:
            part_id, _, field_name = target.partition(PART_FIELD)
            if part_id == part.id:
                found[field_name] = shared.name
    return found


def own_fields(event: LifeEventSpec, spec: ServiceSpec, part: LifeEventPart) -> list[str]:
    """A part's own fields on the one form (not shared, handed on or fixed; nor a field that the
    event's fixed answers leave out)."""
    filled = event.filled_fields(part.id)
    return [
        f.name
        for f in spec.fields
        if f.name not in filled
        and not (f.visible_when and f.visible_when.field in part.fixed and not is_visible(f, dict(part.fixed)))
    ]


class PartForm:
    """A posted form as one part's own form sees it: its shared fields under their shared names, its
    own fields under ``<part>.<field>``."""

    def __init__(self, form: Any, prefix: str, shared: dict[str, str]):
        self._form, self._prefix, self._shared = form, prefix, shared

    def _key(self, key: str) -> str:
        return self._shared.get(key, self._prefix + key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._form.get(self._key(key), default)

    def getall(self, key: str, default: Any = None) -> Any:
        return self._form.getall(self._key(key), default)


def renamed(inp: Input, name: str, prefix: str) -> Input:
    """An input of a part's own form under its name on the one form."""
    items = [[replace(s, name=prefix + s.name, id=html_id(prefix + s.name)) for s in item] for item in inp.items]
    shown_when = (prefix + inp.shown_when[0], inp.shown_when[1]) if inp.shown_when else None
    return replace(inp, name=name, id=html_id(name), items=items, shown_when=shown_when)


def part_errors(event: LifeEventSpec, part: LifeEventPart, errors: list[FieldError]) -> list[FieldError]:
    """The errors of the one form that belong to a part's fields, named as its own form names them."""
    prefix = part.id + PART_FIELD
    back = {name: field for field, name in shared_fields(event, part).items()}
    mine = []
    for e in errors:
        head = e.field.split(".")[0]
        if head in back:
            mine.append(FieldError(field=back[head] + e.field[len(head) :], code=e.code, context=e.context))
        elif e.field.startswith(prefix):
            mine.append(FieldError(field=e.field.removeprefix(prefix), code=e.code, context=e.context))
    return mine


def one_part_answers(event: LifeEventSpec, part: LifeEventPart, answers: dict[str, Any]) -> dict[str, Any]:
    prefix = part.id + PART_FIELD
    mine = {field: answers[name] for field, name in shared_fields(event, part).items() if name in answers}
    return mine | {k.removeprefix(prefix): v for k, v in answers.items() if k.startswith(prefix)}


async def sections(
    ctx: HubContext,
    event: LifeEventSpec,
    user: Principal,
    answers: dict[str, Any],
    errors: list[FieldError],
    locale: str,
) -> tuple[list[Input], list[dict[str, Any]]]:
    """The inputs of the shared answers, then each part's: its title, its service's and its own inputs."""
    shared_inputs: dict[str, Input] = {}
    parts = []
    for part in event.parts:
        spec = part_spec(ctx.catalog, part)
        mine = one_part_answers(event, part, answers)
        inputs = build_inputs(
            spec,
            mine,
            part_errors(event, part, errors),
            locale,
            await held_for(user.id, spec),
            # A proof the applicant holds as a valid credential: "We already have this", no upload.
            held=await held_proofs(ctx.catalog, spec, user, mine, locale),
        )
        by_name = {i.name: i for i in inputs}
        for field, name in shared_fields(event, part).items():
            if name not in shared_inputs and field in by_name:
                shared_inputs[name] = renamed(by_name[field], name, part.id + PART_FIELD)
        prefix = part.id + PART_FIELD
        own = own_fields(event, spec, part)
        commitment = commitment_choice(
            spec, one_part_answers(event, part, answers), part_errors(event, part, errors), locale
        )
        parts.append(
            {
                "id": part.id,
                "title": gettext(locale, part.title),
                "service": gettext(locale, spec.title),
                "service_id": spec.id,
                "optional": part.optional,
                "inputs": [renamed(by_name[f], prefix + f, prefix) for f in own],
                # Drawn before the first proof it replaces that the one form asks as the part's own.
                "commitment": commitment if commitment is not None and commitment.before in own else None,
                "commitment_before": prefix + commitment.before if commitment is not None else "",
            }
        )
    order = [s.name for s in event.shared]
    return [shared_inputs[n] for n in order if n in shared_inputs], parts


async def render_form(
    request: Request,
    ctx: HubContext,
    event: LifeEventSpec,
    user: Principal,
    answers: dict[str, Any],
    chosen: list[str],
    key: str,
    errors: list[FieldError] | None = None,
    status: int = 200,
    message: str = "",
) -> Response:
    locale = page_locale(request)
    errors = errors or []
    shared, parts = await sections(ctx, event, user, answers, errors, locale)
    labels = (
        {i.name: i.label for i in shared}
        | {i.name: i.label for p in parts for i in p["inputs"]}
        | {s.name: s.label for p in parts for i in p["inputs"] for item in i.items for s in item}
    )
    titles = {p["id"]: p["title"] for p in parts}
    summary_errors, seen = [], set()
    for e in errors:
        if e.field in seen:
            continue
        seen.add(e.field)
        # A part's own field says which part it is in; a shared answer is every part's.
        part = e.context.get("part") if e.field.split(".")[0] not in {p.name for p in event.shared} else None
        label = labels.get(e.field, "")
        text = f"{label}: {field_message(locale, e)}" if label else field_message(locale, e)
        summary_errors.append(
            {"id": html_id(e.field), "message": text, "part": titles.get(str(part), "") if part else ""}
        )
    return render_page(
        request,
        "life_event_form.html",
        status=status,
        event=life_event(ctx.catalog, event.id, locale),
        shared=shared,
        parts=parts,
        chosen=chosen,
        key=key,
        errors=summary_errors,
        uploads=await filenames(user, answers),
        due=await due_dates(ctx.catalog, event, user.id, answers),
        message=message,
    )


@get("/life-events", name="life-events")
async def list_page(request: Request, ctx: HubContext) -> Response:
    events = life_events(ctx.catalog, page_locale(request), current_user(request))
    return render_page(request, "life_events.html", events=events)


@get("/life-events/{event_id:str}", name="life-event")
async def form_page(request: Request, ctx: HubContext, event_id: str, saved: bool = False) -> Response:
    """The one form, filled from the applicant's saved draft of it, if any."""
    event = event_or_404(ctx, event_id)
    user = applicant_for(request, event)
    draft = await load_event_draft(ctx.catalog, user, event)
    answers, chosen = (draft.answers, draft.parts) if draft else ({}, [])
    message = gettext(page_locale(request), SAVED) if saved else ""
    # The form's own idempotency key: filing twice from it (a double click, a reload) files one case.
    return await render_form(request, ctx, event, user, answers, chosen, secrets.token_urlsafe(24), message=message)


async def posted(
    request: Request, ctx: HubContext, event: LifeEventSpec, form: Any, chosen: list[str]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The one form's answers in a posted form (a part left out gives none), its files stored as uploads."""
    answers: dict[str, Any] = {}
    errors: list[FieldError] = []
    for part in event.parts:
        if part.optional and part.id not in chosen:
            continue
        spec = part_spec(ctx.catalog, part)
        prefix = part.id + PART_FIELD
        shared = shared_fields(event, part)
        view = PartForm(form, prefix, shared)
        mine = answers_from_form(spec, view)
        for key, field in file_keys(spec, mine, view):
            new = view.get(key + FILE_SUFFIX)
            if not (isinstance(new, UploadFile) and new.filename):
                continue
            content = await new.read(MAX_UPLOAD_BYTES + 1)
            if not content:
                continue
            name = shared.get(key, prefix + key)
            try:
                stored = await store_upload(ctx, actor_of(request), new.filename, content, sniffed_type(content))
            except HubError as problem:
                code = "file_too_large" if status_of(problem) == 413 else "file_type"
                errors.append(
                    FieldError(
                        field=name,
                        code=code,
                        context={"accepted": ", ".join(field.accept), "max_kb": field.max_size_kb},
                    )
                )
                continue
            head, *rest = key.split(".")
            if rest:
                mine[head][int(rest[0])][rest[1]] = stored.id
            else:
                mine[key] = stored.id
        own = set(own_fields(event, spec, part))
        if commitment_offered(event, part, spec):
            own.add(COMMITMENT_ANSWER)  # signed in place of the part's proofs
        for field_name, value in mine.items():
            if field_name in shared:
                answers.setdefault(shared[field_name], value)
            elif field_name in own:
                answers[prefix + field_name] = value
    return answers, errors


def regroup(ctx: HubContext, event: LifeEventSpec, answers: dict[str, Any], action: str) -> bool:
    """Household members and other groups without JavaScript: one item more or less."""
    if not (action.startswith("add:") or action.startswith("remove:")):
        return False
    _, name, *index = action.split(":")
    part_id, _, group = name.partition(PART_FIELD)
    spec = part_spec(ctx.catalog, event.part(part_id)) if part_id in {p.id for p in event.parts} else None
    if spec is None or group not in spec.field_names or spec.field(group).type != "group":
        return True
    items = answers.setdefault(name, [])
    if not isinstance(items, list):
        return True
    if action.startswith("add:") and len(items) < spec.field(group).max_items:
        items.append({})
    elif index and (i := whole_number(index[0], digits=4)) is not None and i < len(items):
        items.pop(i)
    return True


async def review_rows(
    ctx: HubContext, event: LifeEventSpec, user: Principal, answers: dict[str, Any], chosen: list[str], locale: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the check page shows: the shared answers (prefilled ones from government records,
    masked), then each chosen part's own answers."""
    names = await filenames(user, answers)
    shared_rows: list[dict[str, Any]] = []
    done: set[str] = set()
    parts = []
    for part in event.parts:
        if part.optional and part.id not in chosen:
            continue
        spec = part_spec(ctx.catalog, part)
        known = await held_for(user.id, spec)
        for field, name in shared_fields(event, part).items():
            if name in done:
                continue
            done.add(name)
            f = spec.field(field)
            if f.prefill and known.get(field) not in (None, ""):
                value = mask(known[field], f.type) if f.type in MASKED else display(f, known[field], locale, names)
                shared_rows.append({"name": name, "label": gettext(locale, f.label), "value": value, "prefilled": True})
            elif answers.get(name) not in (None, "", []):
                shared_rows.append(
                    {"name": name, "label": gettext(locale, f.label), "value": display(f, answers[name], locale, names)}
                )
        rows = []
        held = await held_proofs(ctx.catalog, spec, user, one_part_answers(event, part, answers), locale)
        for field in own_fields(event, spec, part):
            f = spec.field(field)
            value = answers.get(part.id + PART_FIELD + field)
            if field in held and (value in (None, "") or isinstance(value, dict)):
                rows.append(
                    {
                        "name": part.id + PART_FIELD + field,
                        "label": gettext(locale, f.label),
                        "value": we_have_it(held[field], locale),
                        "held": True,
                    }
                )
                continue
            if f.type == "group":
                items = [
                    [(gettext(locale, s.label), display(s, item.get(s.name), locale, names)) for s in f.fields]
                    for item in (value or [])
                ]
                rows.append({"name": part.id + PART_FIELD + field, "label": gettext(locale, f.label), "group": items})
            elif value not in (None, "", []):
                rows.append(
                    {
                        "name": part.id + PART_FIELD + field,
                        "label": gettext(locale, f.label),
                        "value": display(f, value, locale, names),
                    }
                )
        if spec.commitment is not None and answers.get(part.id + PART_FIELD + COMMITMENT_ANSWER) is True:
            rows.append(
                {
                    "name": part.id + PART_FIELD + COMMITMENT_ANSWER,
                    "label": gettext(locale, COMMITMENT_LABEL),
                    "value": gettext(locale, spec.commitment.statement),
                }
            )
        parts.append(
            {"id": part.id, "title": gettext(locale, part.title), "service": gettext(locale, spec.title), "rows": rows}
        )
    order = [s.name for s in event.shared]
    shared_rows.sort(key=lambda r: order.index(r["name"]))
    return shared_rows, parts


async def render_review(
    request: Request,
    ctx: HubContext,
    event: LifeEventSpec,
    user: Principal,
    answers: dict[str, Any],
    chosen: list[str],
    key: str,
    status: int = 200,
    problem: dict[str, Any] | None = None,
    refusals: list[dict[str, Any]] | None = None,
    saved: dict[str, str] | None = None,
) -> Response:
    locale = page_locale(request)
    shared, parts = await review_rows(ctx, event, user, answers, chosen, locale)
    return render_page(
        request,
        "life_event_review.html",
        status=status,
        event=life_event(ctx.catalog, event.id, locale),
        shared=shared,
        parts=parts,
        carried=json.dumps({"answers": answers, "parts": chosen}, ensure_ascii=False),
        key=key,
        problem=problem,
        refusals=refusals or [],
        saved=saved,
        due=await due_dates(ctx.catalog, event, user.id, answers),
    )


def carried(form: Any) -> tuple[dict[str, Any], list[str]]:
    """The answers the check page carries to filing (checked again there: nothing is trusted)."""
    try:
        value = json.loads(str(form.get("carried") or "{}"))
    except ValueError:
        value = {}
    answers = value.get("answers") if isinstance(value, dict) else None
    parts = value.get("parts") if isinstance(value, dict) else None
    return (
        answers if isinstance(answers, dict) else {},
        [p for p in parts if isinstance(p, str)] if isinstance(parts, list) else [],
    )


def refusal_of(locale: str, event: LifeEventSpec, problem: HubError) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    titles = {p.id: gettext(locale, p.title) for p in event.parts}
    return (
        {"title": gettext(locale, problem.title), "detail": gettext(locale, problem.detail, **problem.params)},
        [{"part": titles.get(r.get("part", ""), ""), "message": r["message"]} for r in problem.rules],
    )


@post("/life-events/{event_id:str}", name="life-event-post", request_max_body_size=FORM_BODY_LIMIT)
async def form_post(request: Request, ctx: HubContext, event_id: str) -> Response:
    event = event_or_404(ctx, event_id)
    user = applicant_for(request, event)
    locale = page_locale(request)
    form = await request.form()
    key = str(form.get("key") or "")[:128] or secrets.token_urlsafe(24)
    action = str(form.get("action", "review"))
    if action in ("file", "change"):
        answers, chosen = carried(form)
        if action == "change":
            return await render_form(request, ctx, event, user, answers, chosen, key)
        try:
            filed, _ = await file_case(ctx, actor_of(request), event.id, answers, chosen, key)
        except HubError as problem:
            if problem.errors:
                return await render_form(request, ctx, event, user, answers, chosen, key, problem.errors, status=422)
            if problem.code == "workflow-unavailable":
                # The case is stored but not passed on yet: filing again from this page (the same
                # key) passes it on, and files nothing twice.
                saved = {"ref": str(problem.params.get("ref", ""))}
                return await render_review(
                    request, ctx, event, user, answers, chosen, key, status_of(problem), saved=saved
                )
            if problem.code == "not-eligible":
                shown, refusals = refusal_of(locale, event, problem)
                return await render_review(
                    request, ctx, event, user, answers, chosen, key, status_of(problem), shown, refusals
                )
            shown = {
                "title": gettext(locale, problem.title),
                "detail": gettext(locale, problem.detail, **problem.params),
            }
            if problem.code == "idempotency-key-reused":
                # Filed already from this form, with other answers: a new application starts afresh.
                shown = {"title": gettext(locale, ALREADY_FILED), "detail": gettext(locale, START_AGAIN)}
            return await render_review(request, ctx, event, user, answers, chosen, key, status_of(problem), shown)
        return Redirect(path=f"/life-events/cases/{filed.ref}?filed=true", status_code=303)
    chosen = [p for p in form.getall("parts", []) if isinstance(p, str) and p]
    answers, upload_errors = await posted(request, ctx, event, form, chosen)
    if action == "save":
        # Kept as typed, as a service's draft is: checked when it is continued.
        await save_event_draft(ctx.catalog, user, event, answers, chosen)
        return Redirect(path=f"/life-events/{event.id}?saved=true", status_code=303)
    if regroup(ctx, event, answers, action):
        return await render_form(request, ctx, event, user, answers, chosen, key)
    try:
        await check_case(ctx, actor_of(request), event.id, answers, chosen)
    except HubError as problem:
        if problem.errors or upload_errors:
            return await render_form(
                request, ctx, event, user, answers, chosen, key, upload_errors + problem.errors, status=422
            )
        if problem.code == "not-eligible":
            shown, refusals = refusal_of(locale, event, problem)
            return await render_review(request, ctx, event, user, answers, chosen, key, 422, shown, refusals)
        raise
    if upload_errors:
        return await render_form(request, ctx, event, user, answers, chosen, key, upload_errors, status=422)
    return await render_review(request, ctx, event, user, answers, chosen, key)


WITHDRAWN = N_("Withdrawn as you asked. A service already decided, or being decided, stays as it is.")


@get("/life-events/cases/{ref:str}", name="life-event-case")
async def case_page(request: Request, ctx: HubContext, ref: str, filed: bool = False, done: str = "") -> Response:
    require(request, *APPLICANT_ROLES)
    notice = gettext(page_locale(request), WITHDRAWN) if done == "withdrawn" else ""
    return await render_case(request, ctx, ref, filed=filed, withdrawal_done=notice)


@post("/life-events/cases/{ref:str}/withdrawal", name="life-event-withdrawal")
async def withdrawal_post(request: Request, ctx: HubContext, ref: str) -> Response:
    """The applicant withdraws one service (``part``) or the whole application; what cannot be
    withdrawn any more is said on the page."""
    require(request, *APPLICANT_ROLES)
    form = await request.form()
    part = str(form.get("part", ""))
    try:
        await withdraw_case(ctx, actor_of(request), ref, [part] if part else [], str(form.get("reason", "")))
    except HubError as problem:
        if status_of(problem) not in (403, 409, 422):
            raise
        message = gettext(page_locale(request), problem.detail or problem.title)
        return await render_case(request, ctx, ref, status=status_of(problem), withdrawal_error=message)
    return Redirect(path=f"/life-events/cases/{ref}?done=withdrawn", status_code=303)


def handed_on_number(part: LifeEventPart) -> bool:
    """Whether the part takes the decision number of a part it waits for."""
    return any(s.partition(PART_FIELD)[2] == "decision_number" for s in part.from_parts.values())


def handed_proofs_from(part: LifeEventPart) -> list[str]:
    """The parts whose credentials fill this part's proofs."""
    found = [part.from_parts[f].partition(PART_FIELD)[0] for f in sorted(handed_credentials(part))]
    return list(dict.fromkeys(found))


async def render_case(
    request: Request, ctx: HubContext, ref: str, *, filed: bool = False, status: int = 200, **extra: Any
) -> Response:
    locale = page_locale(request)
    case = await case_read(actor_of(request), ctx.catalog, ref)
    event = ctx.catalog.life_events.get(case.event_id)
    titles = {p.id: part_name(ctx.catalog, p, locale) for p in event.parts} if event else {}
    parts = []
    for p in case.parts:
        waited = p.detail.removeprefix("after:").split(",") if p.detail.startswith("after:") else []
        # Granted once: the applicant's open application (or benefit in force) that kept it from being filed.
        existing = p.detail.removeprefix("already:") if p.detail.startswith("already:") else ""
        parts.append(
            {
                "id": p.id,
                "title": p.title,
                "state": p.state,
                "state_label": gettext(locale, REVOKED if p.detail == "revoked" else PART_STATES.get(p.state, p.state)),
                "ref": p.request_ref,
                "waited": [titles.get(w, w) for w in waited if w],
                "existing": existing,
                "held_by": ("、" if locale == "zh_CN" else ", ").join(p.held_by),
                "post_check_by": ("、" if locale == "zh_CN" else ", ").join(p.post_check_by),
                "post_check_due": p.post_check_due,
                "after": [titles.get(a, a) for a in (event.part(p.id).after if event else []) if a in titles],
                "handed_on": handed_on_number(event.part(p.id)) if event else False,
                # The parts whose certificates stand in for this part's proofs: nothing to upload.
                "proofs_from": [titles.get(s, s) for s in handed_proofs_from(event.part(p.id))] if event else [],
            }
        )
    return render_page(
        request,
        "life_event_case.html",
        case=case,
        case_state=gettext(locale, CASE_STATES.get(case.state, case.state)),
        parts=parts,
        open_parts=[p for p in parts if p["state"] in ("waiting", "scheduled", "filed")],
        filed=filed,
        status=status,
        **extra,
    )


LIFE_EVENT_PAGES = [list_page, form_page, form_post, case_page, withdrawal_post]
