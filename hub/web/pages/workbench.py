"""The workbench: a department's inbox, and the task page where a clerk decides."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from litestar import Request, Response
from litestar.params import Parameter
from litestar.response import Redirect

from hub.accounts import NAME_FIELD
from hub.catalog.presenting import department
from hub.clock import beijing_date
from hub.commitments import signature_of
from hub.db.tables import Account, Document, ReviewTask
from hub.errors import HubError, invalid_field
from hub.i18n import N_, gettext
from hub.requests.access import load_visible_request
from hub.requests.presenter import request_read
from hub.sealing import unseal
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.downloads import attachment_response
from hub.web.pages.calendar import calendar_missing
from hub.web.pages.common import form_errors, require
from hub.web.pages.forms import display, group_items, is_upload
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import Problem, status_of
from hub.web.routes import get, post
from hub.web.security import STAFF_ROLES
from hub.workbench import moves
from hub.workbench.attachments import open_task_attachment
from hub.workbench.delegation import colleagues, current_delegate, set_delegate
from hub.workbench.inbox import inbox_page, task_detail
from hub.workbench.moves import (
    REJECTION_REASONS,
    AssignmentCreate,
    ConfirmationCreate,
    DecisionCreate,
    InformationRequestCreate,
    PostCheckCreate,
    TransferCreate,
)
from hub.workbench.reveal import Revealed, page_reveal, reveal_personal_data
from workflows.types import POST_CHECK_STAGE, TASK_MOVES, TaskMove

PROVISIONAL = N_(
    "Provisional time limit: it was computed without the holiday schedule of {year}, counting Monday to "
    "Friday as working days, less New Year's Day, Labour Day and National Day, so the other holidays of "
    "{year} are not in it."
)
PROVISIONAL_SINCE = N_(
    "Provisional time limit: it was computed before the holiday schedule of {year} was published, counting "
    "Monday to Friday as working days, less New Year's Day, Labour Day and National Day. A limit already running is not computed again: check its due date "
    "against the published schedule."
)
# A task is "due soon" when less than this share of a working week is left.
DUE_SOON = dt.timedelta(days=2)
FILTERS = ("active", "claimed", "waiting_applicant", "approved", "rejected", "all")
FILTER_LABELS = {
    "active": N_("To do"),
    "claimed": N_("Being reviewed"),
    "waiting_applicant": N_("Waiting for the applicant"),
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
    "all": N_("All"),
}
DONE = {
    "claim": N_("You hold this task now."),
    "release": N_("The task is back in the department's inbox."),
    "decide": N_("Your decision was recorded."),
    "confirm": N_("Your confirmation was recorded."),
    "request_information": N_("The applicant was asked for more information; the clock is paused."),
    "transfer": N_("The task was passed on."),
    "assign": N_("The task was given to the clerk."),
    "record_post_check": N_("The post-check was recorded."),
}
# What each of the task page's forms sends, kept to show the form again as it was filled when the
# hub refuses it (``fields``, the ticked answers of a request for information, is a list).
FORM_KEYS: dict[str, tuple[str, ...]] = {
    "reveal": ("reason",),
    "decide": ("verdict", "reason_code", "comment"),
    "confirm": ("accept", "comment"),
    "request_information": ("message",),
    "transfer": ("to_department", "reason"),
    "record_post_check": ("kept", "reason"),
    "assign": ("assignee",),
}
AWAY = {
    "away": N_("While you are away, new tasks for you go to your colleague."),
    "back": N_("Welcome back: new tasks come to you again."),
}


def urgency(seconds_left: int, state: str) -> str:
    if state not in ("open", "claimed", "awaiting_confirmation"):
        return ""
    if seconds_left < 0:
        return "overdue"
    return "due-soon" if seconds_left < DUE_SOON.total_seconds() else ""


@get("/workbench", name="workbench")
async def inbox(
    request: Request,
    ctx: HubContext,
    show: str = Parameter(query="state", default="active"),
    mine: bool = False,
    away: str = "",
) -> Response:
    user = require(request, *STAFF_ROLES)
    locale = page_locale(request)
    state = show if show in FILTERS else "active"
    tasks = await inbox_page(user, ctx, locale, state, mine=mine)
    delegate_id = await current_delegate(user)
    staff = await colleagues(user, STAFF_ROLES)
    return render_page(
        request,
        "inbox.html",
        message=gettext(locale, AWAY[away]) if away in AWAY else "",
        colleagues=[(c["username"], c["label"]) for c in staff],
        delegate=next((c["username"] for c in staff if c["id"] == delegate_id), None),
        tasks=[(t, urgency(t.seconds_left, t.state)) for t in tasks],
        # Who holds a task, as people know them (the task's row keeps the sign-in name): the
        # department's staff, read above for the delegate's list, and the reader.
        held_by={c["username"]: c["label"] for c in staff} | {user.username: f"{user.full_name} ({user.username})"},
        state=state,
        mine=mine,
        filters=[(f, gettext(locale, FILTER_LABELS[f])) for f in FILTERS],
        department=department(ctx.catalog, user.department or "", locale),
        calendar_missing=await calendar_missing(ctx, user),
    )


async def render_task(
    request: Request,
    ctx: HubContext,
    task_id: int,
    status: int = 200,
    revealed: Revealed | None = None,
    message: str = "",
    errors: dict[str, str] | None = None,
    failed_form: str = "",
    values: dict[str, Any] | None = None,
) -> Response:
    """The task page; a refused form (``failed_form``) comes back with its ``values`` and ``errors``."""
    user = require(request, *STAFF_ROLES)
    locale = page_locale(request)
    task = await task_detail(actor_of(request), ctx, task_id)
    row = await load_visible_request(task.request_ref, user)
    spec = ctx.catalog.version(row.service_id, row.service_version)
    read = await request_read(row, ctx, locale, staff=True)
    answers = revealed.answers if revealed else task.answers
    # The answers in the words the applicant's check page uses (hub.web.pages.forms.display); a
    # file in a group is named by its attachment, a credential in place of one by its title.
    attached = {a.field: a.filename for a in task.attachments if a.filename}
    held = {c.credential: c.title for c in task.credentials}
    fields = []
    for f in spec.fields if spec else []:
        value = answers.get(f.name)
        if f.type == "file":
            continue  # listed with the attached files
        if f.type == "group":
            filenames = {
                item[s.name]: attached[f"{f.name}.{i}.{s.name}"]
                for i, item in enumerate(value if isinstance(value, list) else [])
                for s in f.fields
                if isinstance(item, dict) and is_upload(item.get(s.name)) and f"{f.name}.{i}.{s.name}" in attached
            }
            items = group_items(f, value, locale, filenames, held)
            fields.append({"name": f.name, "label": gettext(locale, f.label), "group": items, "personal": False})
        elif value not in (None, "", []):
            shown = display(f, value, locale, {})
            fields.append({"name": f.name, "label": gettext(locale, f.label), "value": shown, "personal": f.personal})
    applicant_name = revealed.applicant_name if revealed else task.applicant_name
    # The applicant is named once: not again when a field of the form already names them.
    show_applicant = bool(applicant_name) and all(f.get("value") != applicant_name for f in fields)
    names = await full_names(
        [task.assignee] if task.assignee else [],
        await ReviewTask.select(ReviewTask.decided_by).where(ReviewTask.id == task.id).first(),
    )
    decision = None
    if task.state in ("approved", "rejected") or task.decided_at:
        decision = {
            "verdict": task.state_label,
            "clerk": names.get("decided_by", ""),
            "at": task.decided_at,
            "comment": task.comment,
            "reason": gettext(locale, REJECTION_REASONS[task.reason_code])
            if task.reason_code in REJECTION_REASONS
            else "",
        }
    # The post-check of a commitment: what was committed, and what the department checks.
    post_check = None
    if task.stage_id == POST_CHECK_STAGE and spec is not None and spec.commitment is not None:
        signed = await signature_of(row.id)
        post_check = {
            "signed_at": signed[0] if signed else None,
            "signer_id": signed[1] if signed else "",
            "statement": gettext(locale, spec.commitment.statement),
            "check": gettext(locale, spec.commitment.post_check),
            "replaces": ("、" if locale == "zh_CN" else ", ").join(
                gettext(locale, spec.field(n).label) for n in spec.commitment.replaces
            ),
        }
    # The documents this department issued for the request, which it may correct or revoke.
    own_documents = {
        d["id"]
        for d in await Document.select(Document.id).where(
            (Document.request == row.id) & (Document.department == user.department)
        )
    }
    # A supervisor gives an open or held task to a clerk of the department.
    assignees = []
    if user.role == "supervisor" and task.state in ("open", "claimed"):
        assignees = [(c["username"], c["label"]) for c in await colleagues(user, ("clerk",))]
    return render_page(
        request,
        "task.html",
        status=status,
        task=task,
        r=read,
        urgency=urgency(task.seconds_left, task.state),
        applicant_name=applicant_name,
        show_applicant=show_applicant,
        assignee_name=names.get(task.assignee or "", task.assignee),
        decision=decision,
        post_check=post_check,
        revealed=revealed is not None,
        fields=fields,
        form_fields=[
            (name, gettext(locale, spec.field(name).label)) for name in (spec.supplementable_fields if spec else [])
        ],
        reasons=[(code, gettext(locale, label)) for code, label in REJECTION_REASONS.items()],
        departments=[
            (code, gettext(locale, d.name)) for code, d in ctx.catalog.departments.items() if code != user.department
        ],
        holder=task.assignee == user.username,
        assignees=assignees,
        own_documents=own_documents,
        errors=errors or {},
        failed_form=failed_form,
        values=values or {},
        message=message,
        calendar_missing=await calendar_missing(ctx, user),
        provisional_note=await provisional_note(ctx, task.due_at, locale) if task.provisional else "",
    )


async def full_names(usernames: list[str], decided: dict | None) -> dict[str, str]:
    """Staff as people read them: full names by username, and the deciding clerk's as ``decided_by``."""
    decider = decided["decided_by"] if decided else None
    if not usernames and decider is None:
        return {}
    where = Account.username.is_in(usernames) if usernames else None
    if decider is not None:
        where = (where | (Account.id == decider)) if where is not None else Account.id == decider
    names: dict[str, str] = {}
    for a in await Account.select(Account.id, Account.username, Account.full_name).where(where):
        name = unseal(a["full_name"], NAME_FIELD) or a["username"]
        names[a["username"]] = name
        if a["id"] == decider:
            names["decided_by"] = name
    return names


async def provisional_note(ctx: HubContext, due_at: dt.datetime, locale: str) -> str:
    """Why a limit is provisional, and whether the year's schedule has come since (it is not planned again)."""
    year = beijing_date(due_at).year
    national = await ctx.calendars.national()
    if national.covers(year):
        return gettext(locale, PROVISIONAL_SINCE, year=year)
    return gettext(locale, PROVISIONAL, year=year)


@get("/workbench/tasks/{task_id:int}", name="task")
async def task_page(request: Request, ctx: HubContext, task_id: int, done: str = "") -> Response:
    require(request, *STAFF_ROLES)
    message = gettext(page_locale(request), DONE[done]) if done in DONE else ""
    # After a reveal: the personal data its recorded reason opened, for a while (masked once it is past).
    revealed = await page_reveal(actor_of(request), ctx, task_id) if done == "reveal" else None
    return await render_task(request, ctx, task_id, message=message, revealed=revealed)


@post("/workbench/tasks/{task_id:int}/reveal", name="reveal")
async def reveal(request: Request, ctx: HubContext, task_id: int) -> Response:
    require(request, *STAFF_ROLES)
    values = _entered(await request.form(), "reveal")
    try:
        await reveal_personal_data(actor_of(request), ctx, task_id, values["reason"])
    except HubError as problem:
        if problem.errors:
            return await _refused(request, ctx, task_id, "reveal", problem, values)
        raise
    # Back to the task page (a reload does not reveal again); it shows this recorded reveal.
    return Redirect(path=f"/workbench/tasks/{task_id}?done=reveal", status_code=303)


def refused_fields(locale: str, problem: HubError) -> dict[str, str]:
    """A refused form's messages, each next to its field (``"form"``: one for the whole form). A
    move that refuses one field may explain it better than the field's code does (its detail)."""
    errors = form_errors(locale, problem)
    if problem.detail and len(problem.errors) == 1:
        errors[problem.errors[0].field] = gettext(locale, problem.detail, **problem.params)
    return errors


async def _refused(
    request: Request, ctx: HubContext, task_id: int, form_name: str, problem: HubError, values: dict[str, Any]
) -> Response:
    """The task page again, the refused form as it was filled, each message next to its field."""
    errors = refused_fields(page_locale(request), problem)
    return await render_task(
        request, ctx, task_id, status=status_of(problem), errors=errors, failed_form=form_name, values=values
    )


def _text(form: Any, key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""


def _entered(form: Any, form_name: str) -> dict[str, Any]:
    """What the clerk entered in one of the task page's forms."""
    values: dict[str, Any] = {key: _text(form, key) for key in FORM_KEYS.get(form_name, ())}
    if form_name == "request_information":
        values["fields"] = [f for f in form.getall("fields", []) if isinstance(f, str)]
    return values


async def _move(request: Request, ctx: HubContext, task_id: int, move: TaskMove, form: dict[str, Any]) -> None:
    """The move the form asks for, with the fields the clerk entered."""
    actor = actor_of(request)
    if move == "claim":
        await moves.claim(actor, ctx, task_id)
    elif move == "release":
        await moves.release(actor, ctx, task_id)
    elif move == "decide":
        verdict = form["verdict"]
        if verdict not in ("approve", "reject"):
            raise invalid_field("verdict", "literal_error", N_("Choose approve or reject."))
        data = DecisionCreate(verdict=verdict, comment=form["comment"], reason_code=form["reason_code"])
        await moves.decide(actor, ctx, task_id, data)
    elif move == "confirm":
        data = ConfirmationCreate(accept=form["accept"] == "true", comment=form["comment"])
        await moves.confirm(actor, ctx, task_id, data)
    elif move == "request_information":
        data = InformationRequestCreate(message=form["message"], fields=form["fields"])
        await moves.request_information(actor, ctx, task_id, data)
    elif move == "record_post_check":
        kept = form["kept"]
        if kept not in ("true", "false"):
            raise invalid_field("kept", "literal_error", N_("Choose kept or broken."))
        data = PostCheckCreate(kept=kept == "true", reason=form["reason"])
        await moves.record_post_check(actor, ctx, task_id, data)
    elif move == "assign":
        await moves.assign(actor, ctx, task_id, AssignmentCreate(assignee=form["assignee"]))
    elif move == "transfer":
        data = TransferCreate(to_department=form["to_department"], reason=form["reason"])
        await moves.transfer(actor, ctx, task_id, data)


@post("/workbench/tasks/{task_id:int}/{move:str}", name="task-move")
async def task_move(request: Request, ctx: HubContext, task_id: int, move: str) -> Response:
    require(request, *STAFF_ROLES)
    if move not in TASK_MOVES:
        raise Problem(404, "not-found", N_("Not found"))
    values = _entered(await request.form(), move)
    try:
        await _move(request, ctx, task_id, move, values)
    except HubError as problem:
        if status_of(problem) in (409, 422, 503):
            return await _refused(request, ctx, task_id, move, problem, values)
        raise
    return Redirect(path=f"/workbench/tasks/{task_id}?done={move}", status_code=303)


@post("/workbench/delegate", name="delegate")
async def delegate(request: Request) -> Response:
    """Away: new tasks for the clerk go to the colleague chosen; back: to the clerk again."""
    require(request, *STAFF_ROLES)
    form = await request.form()
    chosen = _text(form, "delegate") or None
    await set_delegate(actor_of(request), chosen)
    return Redirect(path=f"/workbench?away={'away' if chosen else 'back'}", status_code=303)


@get("/workbench/tasks/{task_id:int}/attachments/{path:str}", name="task-attachment")
async def attachment(request: Request, ctx: HubContext, task_id: int, path: str) -> Response:
    require(request, *STAFF_ROLES)
    return await open_task_attachment(actor_of(request), ctx, task_id, path, partial(attachment_response, ctx))


WORKBENCH = [inbox, task_page, reveal, attachment, task_move, delegate]
