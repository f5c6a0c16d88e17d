"""The auditor's page of the whole audit log: filter, read newest first, go to older events."""

from __future__ import annotations

from urllib.parse import urlencode

import msgspec
from litestar import Request, Response

from forms.validation import whole_number
from hub.audit import AUDIT_LOG_ROLES, AuditFilters, AuditPage, read_audit_log
from hub.audit_actions import action_choices, action_label, object_type_label
from hub.errors import HubError
from hub.web.actors import actor_of
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message, malformed
from hub.web.routes import get

FILTERS = ("action", "actor", "since", "until")


@get("/audit", name="audit-log")
async def audit_log_page(request: Request) -> Response:
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
    # Each event's action and object named for people; their codes stay on the page beside them.
    events = [
        {
            **msgspec.structs.asdict(e),
            "action_label": action_label(e.action, locale),
            "object_label": object_type_label(e.object_type, locale),
        }
        for e in page.events
    ]
    actions = action_choices(locale, given["action"])
    return render_page(
        request, "audit_log.html", given=given, errors=errors, events=events, older=older, actions=actions
    )


AUDIT = [audit_log_page]
