"""Service requests over HTTP: file one (idempotently), follow it, supplement, withdraw or rate it,
download its documents. The rules live in ``hub.requests``; this module parses and presents."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub.audit import AuditRead
from hub.requests.access import TRAIL_ROLES, request_trail, viewed_request
from hub.requests.documents import own_attachment, request_document
from hub.requests.filing import (
    submit_prepared,
    submit_request,
)
from hub.requests.presenter import (
    RequestListItem,
    RequestRead,
    my_requests,
    request_read,
)
from hub.requests.rating import RatingRead, rate_request
from hub.requests.supplements import supply_information
from hub.requests.withdrawal import withdraw_request
from hub.web.actors import actor_of
from hub.web.context import HubContext, context_of, provide_context
from hub.web.downloads import download
from hub.web.problems import request_locale
from hub.web.routes import get, post
from hub.web.security import ALL_ROLES, APPLICANT_ROLES, requires_role


class RatingCreate(msgspec.Struct):
    score: int
    comment: str = ""


class SupplementCreate(msgspec.Struct):
    answers: dict[str, Any]


class WithdrawalCreate(msgspec.Struct):
    reason: str = ""


class RequestCreate(msgspec.Struct):
    service_id: str
    answers: dict[str, Any]


class RequestController(Controller):
    path = "/api/requests"
    tags = ["requests"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post(
        "/",
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="File a request",
        description=(
            "Send an Idempotency-Key header; repeating a submission with the same key returns the same request. "
            'A file field that names a credential (see the service\'s fields) takes {"credential": "<id>"}, '
            "the id of a credential you hold (GET /api/wallet), in place of an upload; left out, the newest valid "
            "one you hold is taken. A credential not yours, of another type, revoked or expired is refused at its field."
        ),
        status_code=201,
    )
    async def file_request(
        self,
        request: Request,
        ctx: HubContext,
        data: RequestCreate,
        idempotency_key: str = Parameter(header="Idempotency-Key", min_length=8, max_length=128),
    ) -> Response[RequestRead]:
        row, created = await submit_request(ctx, actor_of(request), data.service_id, data.answers, idempotency_key)
        return Response(await request_read(row, ctx, request_locale(request)), status_code=201 if created else 200)

    @post(
        "/{ref:str}/submission",
        status_code=200,
        guards=[requires_role("enterprise")],
        summary="Submit a request a preparer of my enterprise prepared (the enterprise's approver)",
    )
    async def submit_prepared(self, request: Request, ctx: HubContext, ref: str) -> RequestRead:
        row = await submit_prepared(ctx, actor_of(request), ref)
        return await request_read(row, ctx, request_locale(request))

    @get("/", summary="My requests (for enterprise accounts: my enterprise's)")
    async def list_requests(self, request: Request, ctx: HubContext) -> list[RequestListItem]:
        return await my_requests(ctx, request.user, request_locale(request))

    @get(
        "/{ref:str}",
        guards=[requires_role(*ALL_ROLES, scope="requests:read")],
        summary="One request: status, timeline and documents",
    )
    async def get_request(self, request: Request, ref: str) -> RequestRead:
        row, own = await viewed_request(actor_of(request), ref)
        return await request_read(row, context_of(request), request_locale(request), staff=not own)

    @post(
        "/{ref:str}/supplements",
        status_code=200,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Supply the information a department asked for; the review resumes",
    )
    async def supplement(self, request: Request, ctx: HubContext, ref: str, data: SupplementCreate) -> RequestRead:
        row = await supply_information(ctx, actor_of(request), ref, data.answers)
        return await request_read(row, ctx, request_locale(request))

    @post(
        "/{ref:str}/withdrawal",
        status_code=202,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Withdraw a request before its final decision",
    )
    async def withdraw(self, request: Request, ctx: HubContext, ref: str, data: WithdrawalCreate) -> RequestRead:
        row = await withdraw_request(ctx, actor_of(request), ref, data.reason)
        return await request_read(row, ctx, request_locale(request))

    @get(
        "/{ref:str}/audit",
        guards=[requires_role(*TRAIL_ROLES)],
        summary="Who saw and changed this request, when and from where (supervisors and auditors)",
    )
    async def audit_trail(self, request: Request, ref: str) -> list[AuditRead]:
        return await request_trail(actor_of(request), ref)

    @get(
        "/{ref:str}/documents/{document_id:int}",
        guards=[requires_role(*ALL_ROLES, scope="requests:read")],
        summary="Download a document of a request (staff: after a reveal, or with a reason)",
        media_type="application/pdf",
    )
    async def download_document(
        self,
        request: Request,
        ctx: HubContext,
        ref: str,
        document_id: int,
        reason: str | None = Parameter(
            default=None,
            max_length=2000,
            description="Anyone but the applicant: why you need the document (it names the applicant); recorded",
        ),
    ) -> Response[bytes]:
        file, sha256 = await request_document(ctx, actor_of(request), ref, document_id, reason)
        return download(file, etag=sha256)

    @get(
        "/{ref:str}/attachments/{path:str}",
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Download a file attached to your own request",
    )
    async def download_attachment(self, request: Request, ctx: HubContext, ref: str, path: str) -> Response[bytes]:
        return download(await own_attachment(ctx, actor_of(request), ref, path))

    @post(
        "/{ref:str}/rating",
        status_code=201,
        guards=[requires_role(*APPLICANT_ROLES)],
        summary="Rate a decided request: 1 to 5, with an optional comment (once)",
    )
    async def rate(self, request: Request, ctx: HubContext, ref: str, data: RatingCreate) -> RatingRead:
        return await rate_request(ctx, actor_of(request), ref, data.score, data.comment)
