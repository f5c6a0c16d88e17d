"""Messages over HTTP: a person's message centre and choices, the SMS gateway's receipts, the
delivery report operators read, and the hub's own local SMS gateway (the embedded default)."""

from __future__ import annotations

import asyncio
import hmac

import msgspec
from litestar import Controller, Request
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Response

from hub.notifications import inbox, local
from hub.notifications.channels import sms_secret
from hub.notifications.inbox import DeliveryReport, MessageBox, Preferences, PreferencesUpdate, Receipt
from hub.web.actors import actor_of
from hub.web.context import context_of
from hub.web.routes import get, post, put
from hub.web.security import ALL_ROLES, requires_role
from hub.web.security import bearer_token as bearer

PEOPLE = tuple(r for r in ALL_ROLES if r != "system")


class Unread(msgspec.Struct):
    unread: int


def _require_secret(request: Request) -> None:
    """The SMS gateway and the hub share a secret, sent as a bearer token."""
    given = bearer(request)
    if given is None:
        raise NotAuthorizedException()
    if not hmac.compare_digest(given.encode(), sms_secret(context_of(request).settings).encode()):
        # A token, but not the gateway's (a person's, say): known to be refused.
        raise PermissionDeniedException()


class MessageController(Controller):
    path = "/api/messages"
    tags = ["messages"]

    @get("", guards=[requires_role(*PEOPLE)], summary="My messages in the hub")
    async def box(self, request: Request) -> MessageBox:
        return await inbox.message_box(actor_of(request))

    @post("/{message_id:int}/read", guards=[requires_role(*PEOPLE)], status_code=200, summary="Mark a message read")
    async def read_one(self, request: Request, message_id: int) -> Unread:
        return Unread(unread=await inbox.mark_read(actor_of(request), message_id))

    @post("/read", guards=[requires_role(*PEOPLE)], status_code=200, summary="Mark every message read")
    async def read_all(self, request: Request) -> Unread:
        return Unread(unread=await inbox.mark_read(actor_of(request)))

    @get("/preferences", guards=[requires_role(*PEOPLE)], summary="My channels and language for messages")
    async def get_preferences(self, request: Request) -> Preferences:
        return await inbox.preferences(actor_of(request))

    @put("/preferences", guards=[requires_role(*PEOPLE)], summary="Choose channels and language for messages")
    async def put_preferences(self, request: Request, data: PreferencesUpdate) -> Preferences:
        return await inbox.save_preferences(actor_of(request), data)

    @get("/delivery", guards=[requires_role("admin", "auditor")], summary="Delivery per channel, last failures")
    async def delivery(self, request: Request) -> DeliveryReport:
        return await inbox.delivery_report(actor_of(request))

    @post(
        "/{message_id:int}/resend",
        guards=[requires_role("admin")],
        status_code=202,
        summary="Send a failed message again",
    )
    async def resend(self, request: Request, message_id: int) -> None:
        ctx = context_of(request)
        await inbox.resend(actor_of(request), ctx.temporal, message_id)

    @post("/sms-receipts", status_code=200, summary="An SMS gateway's delivery receipt", security=[])
    async def receipt(self, request: Request, data: Receipt) -> dict[str, bool]:
        """Authenticated with the secret shared with the gateway (docs/sms-gateway.md)."""
        _require_secret(request)
        return {"known": await inbox.record_receipt(data)}


class LocalSmsGatewayController(Controller):
    """The embedded default's SMS gateway: records each message and posts a receipt back, as a city's
    provider would. A real deployment sets ``QINQING_SMS_GATEWAY_URL`` and never calls it."""

    path = "/api/sms-gateway"
    tags = ["messages"]
    include_in_schema = False

    @post("/messages", status_code=202, security=[])
    async def accept(self, request: Request, data: local.GatewayMessage) -> Response[dict[str, str]]:
        _require_secret(request)
        ctx = context_of(request)
        provider_id = await asyncio.to_thread(local.record_sms, ctx.settings, data)
        receipt = BackgroundTask(local.post_receipt, data.callback_url, sms_secret(ctx.settings), provider_id, data)
        return Response({"provider_id": provider_id}, status_code=202, background=receipt)
