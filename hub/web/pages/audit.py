"""The auditor's page of the whole audit log: filter, read newest first, go to older events."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response

from forms.validation import whole_number
from hub.audit import AUDIT_LOG_ROLES, AuditFilters, AuditPage, AuditRead, read_audit_log
from hub.audit_actions import (
    Titles,
    action_choices,
    action_label,
    actor_choices,
    detail_items,
    object_id_text,
    object_type_label,
    role_label,
    titles_of,
)
from hub.errors import HubError
from hub.requests.access import TRAIL_ROLES, request_trail
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message, malformed
from hub.web.routes import get

FILTERS = ("action", "by", "actor", "since", "until")


def named(event: AuditRead, locale: str, titles: Titles) -> dict[str, Any]:
    """An event for the page: its action, object and details named for people (a service, program
    or life event by its title); their codes stay beside them."""
    return {
        **msgspec.structs.asdict(event),
        "action_label": action_label(event.action, locale),
        "object_label": object_type_label(event.object_type, locale),
        "object_text": object_id_text(event.object_type, event.object_id, locale),
        "actor_role_label": role_label(event.actor_role, locale),
        "details": detail_items(event.detail, locale, titles),
    }


async def named_events(events: list[AuditRead], ctx: HubContext, locale: str) -> list[dict[str, Any]]:
    titles = await titles_of([e.detail for e in events], ctx.catalog, locale)
    return [named(e, locale, titles) for e in events]


@get("/audit", name="audit-log")
async def audit_log_page(request: Request, ctx: HubContext) -> Response:
    require(request, *AUDIT_LOG_ROLES)
    given = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    before = request.query_params.get("before", "")
    asked = AuditFilters(**{k: v for k, v in given.items() if v}, before=whole_number(before, digits=30))
    errors: dict[str, str] = {}
    locale = page_locale(request)
    try:
        page = await read_audit_log(actor_of(request), asked)
    except HubError as problem:
        if not problem.errors:
            raise
        if any(e.field not in FILTERS for e in problem.errors):
            # ``before`` comes from the "older events" link, not from a field: a wrong one is a bad link.
            raise malformed() from None
        # A date that is not one, or out of range: said next to its field.
        errors = {e.field: field_message(locale, e) for e in problem.errors}
        page = AuditPage(events=[], next_before=None)
    older = None
    if page.next_before:
        older = "/audit?" + urlencode({**{k: v for k, v in given.items() if v}, "before": page.next_before})
    # On an older page, the way back to the newest events with the same filters.
    newest = ("/audit?" + urlencode({k: v for k, v in given.items() if v})).rstrip("?") if before else None
    events = await named_events(page.events, ctx, locale)
    actions = action_choices(locale, given["action"])
    actors = actor_choices(locale, given["by"])
    return render_page(
        request,
        "audit_log.html",
        given=given,
        errors=errors,
        events=events,
        older=older,
        newest=newest,
        actions=actions,
        actors=actors,
    )


@get("/workbench/requests/{ref:str}/audit", name="request-trail")
async def request_trail_page(request: Request, ctx: HubContext, ref: str) -> Response:
    """A request's trail, for the supervisors of a department that reviews it and for oversight:
    who saw and changed it, oldest first. Reading it is recorded too."""
    require(request, *TRAIL_ROLES)
    locale = page_locale(request)
    events = await named_events(await request_trail(actor_of(request), ref), ctx, locale)
    return render_page(request, "request_trail.html", ref=ref, events=events)


AUDIT = [audit_log_page, request_trail_page]
