"""Life events over HTTP: what each covers and its one form (public), filing one application for a
whole life event, and following it part by part.

The rules are the life events domain's (``hub/life_events``); this module parses, calls it and answers.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub.life_events import filing, result, views, withdrawal
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.downloads import download
from hub.web.problems import request_locale
from hub.web.routes import get, post
from hub.web.security import APPLICANT_ROLES, caller_if_any, requires_role


class CaseCreate(msgspec.Struct):
    # The one form's answers: shared answers by name, each part's own as "<part>.<field>".
    answers: dict[str, Any]
    # The optional parts chosen (the others are always filed).
    parts: list[str] = []


class CaseWithdrawal(msgspec.Struct):
    # The parts to withdraw; none named withdraws the whole application.
    parts: list[str] = []
    reason: str = ""


class LifeEventController(Controller):
    path = "/api/life-events"
    tags = ["life events"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get(
        "/",
        summary="Life events: one application for every service each needs",
        description="With an applicant's bearer token, only those the caller may apply for (as the pages list "
        "them); without one, all of them, each with its audience. With q, those a search finds, best first.",
    )
    async def list_events(
        self,
        request: Request,
        ctx: HubContext,
        q: str = Parameter(
            default="",
            max_length=100,
            description="words in the title, the everyday names people use for it (生孩子, baby) or the "
            "summary, in either language",
        ),
    ) -> list[views.LifeEventRead]:
        return views.life_events(ctx.catalog, request_locale(request), await caller_if_any(request), q)

    @get("/{event_id:str}", summary="A life event and its one form")
    async def one(self, request: Request, ctx: HubContext, event_id: str) -> views.LifeEventRead:
        return views.life_event(ctx.catalog, event_id, request_locale(request))

    @post(
        "/{event_id:str}/cases",
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Apply once for a life event",
        description="Send an Idempotency-Key header; repeating it returns the same application.",
        status_code=201,
    )
    async def file(
        self,
        request: Request,
        ctx: HubContext,
        event_id: str,
        data: CaseCreate,
        idempotency_key: str = Parameter(header="Idempotency-Key", min_length=8, max_length=128),
    ) -> Response[filing.CaseFiled]:
        filed, created = await filing.file_case(
            ctx, actor_of(request), event_id, data.answers, data.parts, idempotency_key
        )
        return Response(filed, status_code=201 if created else 200)

    @get(
        "/cases/{ref:str}", guards=[requires_role(*APPLICANT_ROLES)], summary="My life event application, part by part"
    )
    async def case(self, request: Request, ctx: HubContext, ref: str) -> views.CaseRead:
        return await views.case_read(actor_of(request), ctx.catalog, ref)

    @post(
        "/cases/{ref:str}/withdrawal",
        status_code=202,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Withdraw my whole life event application, or some of its parts",
        description="A part not yet filed is never filed; a filed part's request is withdrawn; a part already "
        "decided or being decided stays as it is (listed as kept). 409 when nothing could be withdrawn.",
    )
    async def withdraw(
        self, request: Request, ctx: HubContext, ref: str, data: CaseWithdrawal
    ) -> withdrawal.CaseWithdrawn:
        return await withdrawal.withdraw_case(ctx, actor_of(request), ref, data.parts, data.reason)

    @get(
        "/cases/{ref:str}/result.pdf",
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="The combined result of my settled life event application, as a PDF",
        description="Every part, its state, and each decision and certificate with its verification code; "
        "409 while a part is still in progress.",
        media_type="application/pdf",
    )
    async def combined_result(self, request: Request, ctx: HubContext, ref: str) -> Response[bytes]:
        return download(await result.result_pdf(ctx, actor_of(request), ref))
