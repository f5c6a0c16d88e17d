"""The combined result of a settled life event, as a PDF download from the portal (the life event
pages link to it); the life events domain makes it (``hub/life_events/result.py``)."""

from __future__ import annotations

from litestar import Request, Response

from hub.life_events.result import result_pdf
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.downloads import download
from hub.web.pages.common import require
from hub.web.routes import get
from hub.web.security import APPLICANT_ROLES


@get("/life-events/cases/{ref:str}/result.pdf", name="life_event_result")
async def life_event_result(request: Request, ctx: HubContext, ref: str) -> Response:
    require(request, *APPLICANT_ROLES)
    return download(await result_pdf(ctx, actor_of(request), ref))


LIFE_EVENT_RESULT = [life_event_result]
