"""The portal: find a service, fill in its form (drafts, check your answers), follow requests."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import MediaType, Request, Response
from litestar.datastructures import UploadFile
from litestar.response import Redirect
from markupsafe import Markup

from forms.spec import ServiceSpec
from forms.topics import ENTERPRISE_STAGES, LIFE_EVENTS
from forms.validation import FieldError, whole_number
from hub import clock
from hub.accounts import Principal
from hub.benefits.views import granted_by
from hub.catalog.presenting import detail, summary
from hub.catalog.searching import search
from hub.db.tables import Draft, Program
from hub.documents.labels import STATUS_LABELS as DOCUMENT_STATUS
from hub.errors import HubError
from hub.i18n import N_, gettext
from hub.life_events.views import events_for, life_events, my_cases
from hub.privacy import mask
from hub.requests.access import load_visible_request, viewed_request
from hub.requests.documents import own_attachment, request_document, revealed_lately
from hub.requests.drafts import CLAIM_DRAFT, discard_draft, draft_answers, filenames, load_draft, save_draft
from hub.requests.filing import check_filing, checked_answers, require_audience, submit_request
from hub.requests.materials import held_for_form, take_held, we_have_it
from hub.requests.prefill import held_for
from hub.requests.presenter import my_requests, request_read
from hub.requests.progress import request_progress
from hub.requests.rating import rate_request, rating_of
from hub.requests.supplements import supply_information
from hub.requests.withdrawal import withdraw_request
from hub.subsidies.claims import FINAL_CLAIM_STATES
from hub.subsidies.enterprise import enterprise_claims, policies_for
from hub.subsidies.programs import paying_programs, spec_of
from hub.uploads.files import MAX_UPLOAD_BYTES, store_upload
from hub.web.actors import actor_of
from hub.web.cached import answers_of
from hub.web.context import HubContext
from hub.web.downloads import download, sniffed_type
from hub.web.pages.common import require
from hub.web.pages.forms import (
    COMMITMENT_LABEL,
    FILE_SUFFIX,
    MASKED,
    answers_from_form,
    build_inputs,
    commitment_choice,
    display,
    file_keys,
    group_items,
    set_answer,
)
from hub.web.pages.forms import we_have_it as we_have_it_text
from hub.web.pages.life_events import LIFE_EVENT_PAGES
from hub.web.pages.render import PAGE_HEADERS, render_fragment, render_page
from hub.web.pages.session import current_user, page_locale
from hub.web.problems import field_message, not_found, status_of
from hub.web.routes import get, post
from hub.web.security import APPLICANT_ROLES

# A form with files: the files plus the fields.
FORM_BODY_LIMIT = 3 * MAX_UPLOAD_BYTES
MESSAGES = {
    "saved": N_("Your draft is saved. You can come back to it at any time from My requests."),
    "supplied": N_("Thank you. The information was sent to the department, and the review goes on."),
    "rated": N_("Thank you for your rating."),
    "withdrawn": N_("Your request is withdrawn. The departments stop working on it; nothing more is needed from you."),
    "discarded": N_("The draft is thrown away."),
}


def matching(ctx: HubContext, q: str, event: str, stage: str) -> list[ServiceSpec]:
    specs = ctx.catalog.current()
    if event:
        specs = [s for s in specs if event in s.life_events]
    if stage:
        specs = [s for s in specs if stage in s.enterprise_stages]
    return search(specs, q)


BY_LIFE_EVENT = N_("Services by life event")
BY_STAGE = N_("Services for enterprises, by stage")


def one_application(ctx: HubContext, group: str, offered: tuple[str, ...]) -> str:
    """The id of the life event that applies once for a group's services (a citizen's life event or
    an enterprise's stage), if it is among those ``offered`` to the visitor (``events_for``), or ""."""
    return next(
        (
            e.id
            for e in ctx.catalog.life_events.values()
            if e.id in offered and group in (e.life_event, e.enterprise_stage)
        ),
        "",
    )


def service_groups(
    ctx: HubContext, locale: str, enterprise_first: bool, offered: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The catalog's current services by life event and by enterprise stage (a service is in each of
    its groups), the groups named in ``locale``; an enterprise sees its stages first. A group links
    to its one application when that life event is ``offered`` to the visitor."""
    specs = ctx.catalog.current()
    kinds = [
        {
            "id": "by-event",
            "param": "event",
            "title": gettext(locale, BY_LIFE_EVENT),
            "groups": [
                {
                    "code": code,
                    "label": gettext(locale, label),
                    "services": [s for s in specs if code in s.life_events],
                    # One application for the group's services, where the catalog has one.
                    "life_event": one_application(ctx, code, offered),
                }
                for code, label in LIFE_EVENTS.items()
            ],
        },
        {
            "id": "by-stage",
            "param": "stage",
            "title": gettext(locale, BY_STAGE),
            "groups": [
                {
                    "code": code,
                    "label": gettext(locale, label),
                    "services": [s for s in specs if code in s.enterprise_stages],
                    "life_event": one_application(ctx, code, offered),
                }
                for code, label in ENTERPRISE_STAGES.items()
            ],
        },
    ]
    for kind in kinds:
        kind["groups"] = [
            {**g, "services": [summary(s, ctx.catalog, locale) for s in g["services"]]}
            for g in kind["groups"]
            if g["services"]
        ]
    return kinds[::-1] if enterprise_first else kinds


async def for_you(request: Request, ctx: HubContext, user: Principal, locale: str) -> dict[str, Any]:
    """What needs a signed-in applicant now: requests waiting for them and in progress; for an
    enterprise, also the open policies it qualifies for and has not claimed, and its claims under way."""
    mine = await my_requests(ctx, user, locale)
    found: dict[str, Any] = {
        "waiting": [r for r in mine if r.state == "waiting_applicant"],
        "in_progress": [r for r in mine if r.state in ("submitted", "in_review")][:5],
        "qualify": [],
        "claims": [],
    }
    if user.role == "enterprise" and user.enterprise is not None:
        actor = actor_of(request)
        policies = await policies_for(actor)
        found["qualify"] = [p for p in policies.eligible if p.claim is None or p.claim.state == "offered"]
        found["claims"] = [c for c in await enterprise_claims(actor) if c.state not in FINAL_CLAIM_STATES][:5]
        # A claim's request is followed as a claim, not twice.
        claimed = {c.request_ref for c in found["claims"]}
        found["in_progress"] = [r for r in found["in_progress"] if r.ref not in claimed]
    return found


@get("/", name="home")
async def home(request: Request, ctx: HubContext, q: str = "", event: str = "", stage: str = "") -> Response:
    locale = page_locale(request)
    q = q[:100]
    user = current_user(request)
    # The signed-in applicant's own part comes first, made for each request; the rest is the catalog.
    personal = user.role if user is not None and user.role in APPLICANT_ROLES else ""
    filtered = bool(q or event or stage)
    # The life events this visitor may apply for at once (the rule that refuses the others).
    offered = tuple(e.id for e in events_for(ctx.catalog, user))

    def results() -> str:
        return render_fragment(
            locale,
            "_results.html",
            q=q,
            services=[summary(s, ctx.catalog, locale) for s in matching(ctx, q, event, stage)] if filtered else [],
            # A search of the whole catalog finds the life events offered to the visitor too ("生孩子"
            # is first the one application for a birth); a group's page links to its own already.
            events=life_events(ctx.catalog, locale, user, q) if q.strip() and not (event or stage) else [],
            groups=[] if filtered else service_groups(ctx, locale, personal == "enterprise", offered),
            filtered=filtered,
            filter_label=gettext(locale, LIFE_EVENTS.get(event) or ENTERPRISE_STAGES.get(stage) or ""),
            life_event=one_application(ctx, event, offered) if event else "",
        )

    # The page's content shows the catalog alone, the same for every visitor: rendered once per
    # language, search, kind of visitor and the life events offered to them, then kept.
    answers = answers_of(request)
    listed = answers.kept(("home page results", locale, q, event, stage, personal, offered), results)
    # A live search asks for the results only; restoring history after a cache miss wants the page.
    if request.headers.get("hx-request") and not request.headers.get("hx-history-restore-request"):
        return Response(listed, media_type=MediaType.HTML, headers=PAGE_HEADERS)
    content = answers.kept(
        ("home page", locale, q, event, stage, personal, offered),
        lambda: render_fragment(locale, "_home.html", q=q, results=Markup(listed), personal=bool(personal)),
    )
    mine = await for_you(request, ctx, user, locale) if user is not None and personal else None
    return render_page(request, "home.html", content=Markup(content), mine=mine)


def service_or_404(ctx: HubContext, service_id: str) -> ServiceSpec:
    spec = ctx.catalog.latest(service_id)
    if spec is None:
        raise not_found()
    return spec


@get("/services/{service_id:str}", name="service")
async def service_page(request: Request, ctx: HubContext, service_id: str) -> Response:
    spec = service_or_404(ctx, service_id)
    locale = page_locale(request)
    answers = answers_of(request)
    service = answers.kept(("service", spec.id, spec.version, locale), lambda: detail(spec, ctx.catalog, locale))
    described = answers.kept(
        ("service page", spec.id, spec.version, locale),
        lambda: render_fragment(locale, "_service.html", service=service),
    )
    # A subsidy is paid under a policy: the page leads to its claim (there, in one step) first.
    programs = await paying_programs(spec.id, clock.today(), locale) if spec.outcome.amount else []
    return render_page(request, "service.html", service=service, described=Markup(described), programs=programs)


def applicant_for(request: Request, spec: ServiceSpec) -> Principal:
    """The signed-in applicant, if the service is for them (the same refusal as the API's)."""
    user = require(request, *APPLICANT_ROLES)
    require_audience(spec, user)
    return user


async def render_form(
    request: Request,
    spec: ServiceSpec,
    user: Principal,
    answers: dict[str, Any],
    errors: list[FieldError] | None = None,
    status: int = 200,
    message: str = "",
    template: str = "apply.html",
    **page: Any,
) -> Response:
    """The service's form with the answers so far, each error next to its field and in a summary
    (``template`` and ``page`` for forms filed elsewhere, such as a subsidy claim's)."""
    locale = page_locale(request)
    errors = errors or []
    held = await held_proofs(request, spec, user, answers) if template == "apply.html" else {}
    inputs = build_inputs(spec, answers, errors, locale, await held_for(user.id, spec), held=held)
    labels = {i.name: i.label for i in inputs} | {s.name: s.label for i in inputs for item in i.items for s in item}
    commitment = commitment_choice(spec, answers, errors, locale) if template == "apply.html" else None
    if commitment is not None and spec.commitment and all(n in held for n in spec.commitment.replaces):
        commitment = None  # the proofs it would replace are held already: nothing to commit to
    if commitment is not None:
        labels["commitment"] = gettext(locale, COMMITMENT_LABEL)
    # The summary names each field, and links to it.
    summary_errors = [
        {
            "id": "f-" + e.field.replace(".", "-"),
            "message": f"{labels[e.field]}: {field_message(locale, e)}"
            if e.field in labels
            else field_message(locale, e),
        }
        for e in errors
        if e.field.split(".")[0] in labels
    ]
    return render_page(
        request,
        template,
        status=status,
        service=summary(spec, request.app.state.hub.catalog, locale),
        inputs=inputs,
        errors=summary_errors,
        uploads=await filenames(user, answers),
        message=message,
        commitment=commitment,
        **page,
    )


async def held_proofs(
    request: Request, spec: ServiceSpec, user: Principal, answers: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """The credentials the applicant holds that stand in for the form's proofs, by field: the one the
    answers name, or the newest valid one when the field is empty."""
    locale = page_locale(request)
    catalog = request.app.state.hub.catalog
    held = await held_for_form(user, spec)
    found: dict[str, dict[str, str]] = {}
    for name, f in spec.credential_fields.items():
        mine = held.get(f.credential or "", [])
        value = answers.get(name)
        ref = value.get("credential") if isinstance(value, dict) else None
        chosen = next((c for c in mine if c.id == ref), None) if ref else None
        if chosen is None and mine and (ref or not value):
            chosen = mine[0]  # the one named is no longer valid (or none was): the newest held now
        if chosen is not None:
            found[name] = we_have_it(chosen, catalog, locale)
    return found


async def held_texts(request: Request, spec: ServiceSpec, user: Principal, answers: dict[str, Any]) -> dict[str, str]:
    """ "We already have this: ..." for each credential the answers refer to, by credential id."""
    locale = page_locale(request)
    held = await held_proofs(request, spec, user, answers)
    return {h["id"]: we_have_it_text(h, locale) for h in held.values()}


@get("/services/{service_id:str}/apply", name="apply")
async def apply_form(request: Request, ctx: HubContext, service_id: str, saved: bool = False) -> Response:
    spec = service_or_404(ctx, service_id)
    user = applicant_for(request, spec)
    draft = await load_draft(user, spec)
    answers = draft_answers(spec, draft) if draft else {}
    message = gettext(page_locale(request), MESSAGES["saved"]) if saved else ""
    return await render_form(request, spec, user, answers, message=message)


async def posted_answers(
    request: Request, ctx: HubContext, spec: ServiceSpec, user: Principal, only: list[str] | None = None
) -> tuple[dict[str, Any], list[FieldError], Any]:
    """The answers in a posted form, with its new files stored as uploads (the same checks as the API)."""
    form = await request.form()
    answers = answers_from_form(spec, form, only)
    errors: list[FieldError] = []
    for key, field in file_keys(spec, answers, form):
        if only is not None and key.split(".")[0] not in only:
            continue
        new = form.get(key + FILE_SUFFIX)
        if isinstance(new, UploadFile) and new.filename:
            content = await new.read(MAX_UPLOAD_BYTES + 1)
            if not content:
                continue
            try:
                stored = await store_upload(ctx, actor_of(request), new.filename, content, sniffed_type(content))
            except HubError as problem:
                code = "file_too_large" if status_of(problem) == 413 else "file_type"
                errors.append(
                    FieldError(
                        field=key,
                        code=code,
                        context={"accepted": ", ".join(field.accept), "max_kb": field.max_size_kb},
                    )
                )
                continue
            set_answer(answers, key, stored.id)
    return answers, errors, form


def regroup(spec: ServiceSpec, answers: dict[str, Any], action: str) -> bool:
    """Repeating groups without JavaScript: "add:<group>" and "remove:<group>:<i>" buttons give
    one item more or less, and the page comes back (True when ``action`` was one of them)."""
    if not (action.startswith("add:") or action.startswith("remove:")):
        return False
    _, group, *index = action.split(":")
    items = answers.get(group)
    if isinstance(items, list):
        if action.startswith("add:") and len(items) < spec.field(group).max_items:
            items.append({})
        elif index and (i := whole_number(index[0], digits=4)) is not None and i < len(items):
            items.pop(i)
    return True


@post("/services/{service_id:str}/apply", name="apply-post", request_max_body_size=FORM_BODY_LIMIT)
async def apply_post(request: Request, ctx: HubContext, service_id: str) -> Response:
    spec = service_or_404(ctx, service_id)
    user = applicant_for(request, spec)
    answers, upload_errors, form = await posted_answers(request, ctx, spec, user)
    action = str(form.get("action", "review"))
    if regroup(spec, answers, action):
        return await render_form(request, spec, user, answers)
    # A proof the applicant holds as a credential is not uploaded: the draft refers to it.
    answers = take_held(spec, answers, await held_for_form(user, spec))
    await save_draft(user, spec, answers)
    if action == "save":
        return Redirect(path=f"/services/{spec.id}/apply?saved=true", status_code=303)
    try:
        await checked_answers(spec, answers, user)
    except HubError as problem:
        return await render_form(request, spec, user, answers, upload_errors + problem.errors, status=422)
    if upload_errors:
        return await render_form(request, spec, user, answers, upload_errors, status=422)
    return Redirect(path=f"/services/{spec.id}/review", status_code=303)


async def answer_rows(
    spec: ServiceSpec, answers: dict[str, Any], locale: str, names: dict[str, str], held: dict[str, str] | None = None
) -> list[dict]:
    rows = []
    for f in spec.fields:
        value = answers.get(f.name)
        if f.type == "group":
            items = group_items(f, value, locale, names)
            rows.append({"name": f.name, "label": gettext(locale, f.label), "group": items, "value": ""})
        elif value not in (None, "", []):
            rows.append(
                {
                    "name": f.name,
                    "label": gettext(locale, f.label),
                    "value": display(f, value, locale, names, held),
                    "held": f.type == "file" and isinstance(value, dict),
                }
            )
    if spec.commitment is not None and answers.get("commitment") is True:
        # Signed in place of the proofs: what the applicant commits to, word for word.
        rows.append(
            {
                "name": "commitment",
                "label": gettext(locale, COMMITMENT_LABEL),
                "value": gettext(locale, spec.commitment.statement),
            }
        )
    return rows


@get("/services/{service_id:str}/review", name="review")
async def review(request: Request, ctx: HubContext, service_id: str) -> Response:
    spec = service_or_404(ctx, service_id)
    user = applicant_for(request, spec)
    draft = await load_draft(user, spec)
    if draft is None:
        return Redirect(path=f"/services/{spec.id}/apply", status_code=303)
    answers = draft_answers(spec, draft)
    # The checks filing makes, made now: a refusal is said before the applicant presses submit.
    try:
        rules = await check_filing(ctx, actor_of(request), spec, answers)
    except HubError as problem:
        if problem.errors:
            return await render_form(request, spec, user, answers, problem.errors, status=422)
        return await render_review(request, ctx, spec, user, answers, problem=problem)
    return await render_review(request, ctx, spec, user, answers, rules=rules)


async def prefilled_rows(spec: ServiceSpec, user: Principal, locale: str) -> list[dict]:
    """What the form takes from government records, as the review shows it (masked where personal)."""
    known = await held_for(user.id, spec)
    return [
        {"label": gettext(locale, f.label), "value": mask(known[f.name], f.type) if f.type in MASKED else known[f.name]}
        for f in spec.fields
        if f.prefill and known.get(f.name) not in (None, "")
    ]


async def render_review(
    request: Request,
    ctx: HubContext,
    spec: ServiceSpec,
    user: Principal,
    answers: dict,
    rules: list[dict] | None = None,
    problem: HubError | None = None,
) -> Response:
    """The answers to check before filing; with ``problem``, why filing them is refused (and no
    button to file them)."""
    locale = page_locale(request)
    shown = None
    if problem is not None:
        shown = {
            "title": gettext(locale, problem.title),
            "detail": gettext(locale, problem.detail, **problem.params) if problem.detail else "",
            # Applied already: the request to follow instead.
            "existing": problem.existing or "",
        }
    return render_page(
        request,
        "review.html",
        status=status_of(problem) if problem is not None else 200,
        service=summary(spec, ctx.catalog, locale),
        rows=await answer_rows(
            spec, answers, locale, await filenames(user, answers), await held_texts(request, spec, user, answers)
        ),
        prefilled=await prefilled_rows(spec, user, locale),
        problem=shown,
        rules=problem.rules if problem is not None else (rules or []),
    )


@post("/services/{service_id:str}/submit", name="submit")
async def submit(request: Request, ctx: HubContext, service_id: str) -> Response:
    spec = service_or_404(ctx, service_id)
    user = applicant_for(request, spec)
    draft = await load_draft(user, spec)
    if draft is None:
        return Redirect(path=f"/services/{spec.id}/apply", status_code=303)
    answers = draft_answers(spec, draft)
    # The same draft sent twice (a double click, a reload) files one request.
    key = "page-" + hashlib.sha256(f"{draft.id}:{draft.updated_at.isoformat()}".encode()).hexdigest()[:40]
    try:
        row, _ = await submit_request(ctx, actor_of(request), spec.id, answers, key)
    except HubError as problem:
        if problem.errors:
            return await render_form(request, spec, user, answers, problem.errors, status=422)
        return await render_review(request, ctx, spec, user, answers, problem=problem)
    await Draft.delete().where(Draft.id == draft.id)
    return Redirect(path=f"/requests/{row.ref}?filed=true", status_code=303)


@get("/requests", name="my-requests")
async def requests_page(request: Request, ctx: HubContext, done: str = "") -> Response:
    user = require(request, *APPLICANT_ROLES)
    locale = page_locale(request)
    links = []
    for draft in await Draft.objects().where(Draft.account == user.id).order_by(Draft.updated_at, ascending=False):
        if (found := await draft_link(ctx, draft, locale)) is not None:
            links.append({"id": draft.id, "title": found[0], "href": found[1], "updated_at": draft.updated_at})
    return render_page(
        request,
        "requests.html",
        requests=await my_requests(ctx, user, locale),
        drafts=links,
        cases=await my_cases(actor_of(request), ctx.catalog),
        message=gettext(locale, MESSAGES[done]) if done == "discarded" else "",
    )


@post("/drafts/{draft_id:int}/discard", name="discard-draft")
async def discard(request: Request, draft_id: int) -> Response:
    """Throw a saved draft away (from My requests)."""
    user = require(request, *APPLICANT_ROLES)
    if not await discard_draft(user, draft_id):
        raise not_found()
    return Redirect(path="/requests?done=discarded", status_code=303)


async def draft_link(ctx: HubContext, draft: Draft, locale: str) -> tuple[str, str] | None:
    """Where a saved draft is taken up again, and its title: the service's form, a claim's, or a
    life event's one form."""
    if draft.kind == "life_event":
        event = ctx.catalog.life_events.get(draft.service_id)
        return (gettext(locale, event.title), f"/life-events/{event.id}") if event else None
    if CLAIM_DRAFT in draft.scope:
        code = draft.scope.split(CLAIM_DRAFT, 1)[1]
        program = await Program.objects().where(Program.code == code).first()
        if program is None:
            return None
        return spec_of(program).title.in_locale(locale), f"/policies/{code}/apply"
    spec = ctx.catalog.latest(draft.service_id)
    return (summary(spec, ctx.catalog, locale).title, f"/services/{spec.id}/apply") if spec else None


async def render_request(
    request: Request,
    ctx: HubContext,
    ref: str,
    errors: list[FieldError] | None = None,
    answers: dict[str, Any] | None = None,
    status: int = 200,
    message: str = "",
    rating_error: str = "",
    withdrawal_error: str = "",
    withdrawn: bool = False,
    filed: bool = False,
) -> Response:
    user = require(request)
    locale = page_locale(request)
    # Read, its reading audited, and seen from the applicant's side or not, as the API does it.
    row, own = await viewed_request(actor_of(request), ref)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    read = await request_read(row, ctx, locale, staff=not own)
    asked = [f.name for need in read.needs_from_applicant for f in need.fields]
    inputs = build_inputs(spec, answers or {}, errors or [], locale, {}, only=asked) if (asked and own) else []
    return render_page(
        request,
        "request.html",
        status=status,
        r=read,
        own=own,
        # Staff open the documents (which name the applicant) once they revealed the personal data
        # on the task, as the download checks: until then the page says so instead of a link to a refusal.
        documents_open=own or (bool(read.documents) and await revealed_lately(user, row.ref)),
        # The benefit the request granted, followed under My benefits.
        entitlement=await granted_by(actor_of(request), ref) if own and read.state == "approved" else None,
        progress=await request_progress(ctx, spec, read, locale),
        # Just filed: the page opens with what happens next.
        filed=filed and own,
        inputs=inputs,
        uploads={},
        rating=await rating_of(row),
        document_status=DOCUMENT_STATUS,
        message=message,
        rating_error=rating_error,
        withdrawal_error=withdrawal_error,
        # Just withdrawn: the workflow may take a moment to close it, the form must not come back.
        withdrawn=withdrawn,
    )


@get("/requests/{ref:str}", name="request")
async def request_page(request: Request, ctx: HubContext, ref: str, done: str = "", filed: bool = False) -> Response:
    locale = page_locale(request)
    message = gettext(locale, MESSAGES[done]) if done in MESSAGES else ""
    return await render_request(request, ctx, ref, message=message, withdrawn=done == "withdrawn", filed=filed)


@post("/requests/{ref:str}/supplement", name="supplement", request_max_body_size=FORM_BODY_LIMIT)
async def supplement(request: Request, ctx: HubContext, ref: str) -> Response:
    user = require(request, *APPLICANT_ROLES)
    row = await load_visible_request(ref, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    read = await request_read(row, ctx, page_locale(request))
    asked = [f.name for need in read.needs_from_applicant for f in need.fields]
    answers, upload_errors, _ = await posted_answers(request, ctx, spec, user, only=asked or [])
    if upload_errors:
        return await render_request(request, ctx, ref, upload_errors, answers, status=422)
    try:
        await supply_information(ctx, actor_of(request), ref, answers)
    except HubError as problem:
        if problem.errors:
            return await render_request(request, ctx, ref, problem.errors, answers, status=422)
        raise
    return Redirect(path=f"/requests/{ref}?done=supplied", status_code=303)


@post("/requests/{ref:str}/rating", name="rating")
async def rating(request: Request, ref: str) -> Response:
    require(request, *APPLICANT_ROLES)
    form = await request.form()
    try:
        score = int(str(form.get("score", "0")))
    except ValueError:
        score = 0
    try:
        await rate_request(request.app.state.hub, actor_of(request), ref, score, str(form.get("comment", "")))
    except HubError as problem:
        if problem.errors:
            message = field_message(page_locale(request), problem.errors[0])
            ctx = request.app.state.hub
            return await render_request(request, ctx, ref, status=422, rating_error=message)
        raise
    return Redirect(path=f"/requests/{ref}?done=rated", status_code=303)


@post("/requests/{ref:str}/withdrawal", name="withdrawal")
async def withdrawal(request: Request, ctx: HubContext, ref: str) -> Response:
    """The applicant withdraws the request; once it is decided or being decided, or when only the
    enterprise's approver may withdraw it, the page says so."""
    require(request, *APPLICANT_ROLES)
    form = await request.form()
    try:
        await withdraw_request(ctx, actor_of(request), ref, str(form.get("reason", "")))
    except HubError as problem:
        if status_of(problem) not in (403, 409):
            raise
        message = gettext(page_locale(request), problem.detail)
        return await render_request(request, ctx, ref, status=status_of(problem), withdrawal_error=message)
    return Redirect(path=f"/requests/{ref}?done=withdrawn", status_code=303)


@get("/requests/{ref:str}/documents/{document_id:int}", name="document")
async def document(request: Request, ctx: HubContext, ref: str, document_id: int, reason: str = "") -> Response:
    require(request)
    file, sha256 = await request_document(ctx, actor_of(request), ref, document_id, reason[:2001])
    return download(file, etag=sha256)


@get("/requests/{ref:str}/attachments/{path:str}", name="attachment")
async def attachment(request: Request, ctx: HubContext, ref: str, path: str) -> Response:
    require(request, *APPLICANT_ROLES)
    return download(await own_attachment(ctx, actor_of(request), ref, path))


PORTAL = [
    home,
    service_page,
    apply_form,
    apply_post,
    review,
    submit,
    requests_page,
    discard,
    request_page,
    supplement,
    rating,
    withdrawal,
    document,
    attachment,
    *LIFE_EVENT_PAGES,
]
