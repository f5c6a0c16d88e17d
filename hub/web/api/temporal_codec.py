"""Temporal's codec protocol, for administrators who must read a workflow's history.

Every payload the hub hands to Temporal is sealed with its data keys (``hub.temporal.SealingCodec``),
so Temporal's CLI and UI show ciphertext. An administrator who needs to see what a workflow was
given and returned points the CLI at these endpoints, with a reason:

    temporal workflow show -w claim-<ref> \\
        --codec-endpoint http://127.0.0.1:8000/api/temporal/codec \\
        --codec-auth "Bearer <token>" --codec-header "X-Reason=<why>"

Only administrators may open or seal payloads, and every call is in the audit trail: who, when, why,
the namespace and how many payloads. The browser UI cannot send a bearer token to a codec server,
so it is not pointed here.
"""

from __future__ import annotations

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from litestar import Controller, Request, Response
from temporalio.api.common.v1 import Payloads

from hub.audit import record
from hub.db.transactions import writing
from hub.i18n import N_
from hub.sealing import SealError
from hub.temporal import SealingCodec
from hub.web.problems import Problem
from hub.web.routes import post
from hub.web.security import requires_role
from hub.workbench.moves import MAX_COMMENT

REASON_HEADER = "x-reason"
JSON = "application/json"


def payloads_of(body: bytes) -> Payloads:
    """The request's payloads, as the codec protocol sends them (Payloads in protobuf's JSON)."""
    try:
        return json_format.Parse(body or b"{}", Payloads())
    except (json_format.ParseError, UnicodeDecodeError, ValueError):
        raise Problem(
            400,
            "invalid-payloads",
            N_("Invalid payloads"),
            N_("Send Temporal payloads as JSON: an object whose payloads list holds metadata and data."),
        ) from None


def reason_of(request: Request) -> str:
    """Why the administrator opens the payloads. Headers arrive as Latin-1; a reason typed in Chinese
    was sent as UTF-8."""
    raw = request.headers.get(REASON_HEADER, "")
    try:
        reason = raw.encode("latin-1").decode("utf-8").strip()
    except UnicodeError:
        reason = raw.strip()
    if len(reason) < 4 or len(reason) > MAX_COMMENT:
        raise Problem(
            400,
            "reason-required",
            N_("Say why"),
            N_("Say why you need to see this workflow's data, in the X-Reason header (4 to 2000 characters)."),
        )
    return reason


async def audited(request: Request, action: str, payloads: list, **detail: str) -> Response:
    """The payloads as the codec protocol answers them, once the audit log has the call."""
    async with writing():
        namespace = request.headers.get("x-namespace", "")
        await record(request, request.user, action, "temporal", namespace, payloads=len(payloads), **detail)
    return Response(json_format.MessageToJson(Payloads(payloads=payloads), indent=None), media_type=JSON)


class TemporalCodecController(Controller):
    path = "/api/temporal/codec"
    tags = ["operations"]
    guards = [requires_role("admin")]

    @post("/decode", status_code=200, summary="Open sealed Temporal payloads (administrators; audited, with a reason)")
    async def decode(self, request: Request) -> Response:
        reason = reason_of(request)
        sealed = payloads_of(await request.body())
        try:
            opened = await SealingCodec().decode(sealed.payloads)
        except (SealError, DecodeError, UnicodeDecodeError):
            raise Problem(
                422,
                "payload-not-opened",
                N_("A payload could not be opened"),
                N_("A payload is sealed with a key this hub does not hold, or it was altered."),
            ) from None
        return await audited(request, "temporal.payloads_opened", opened, reason=reason)

    @post("/encode", status_code=200, summary="Seal payloads as the hub hands them to Temporal (administrators)")
    async def encode(self, request: Request) -> Response:
        plain = payloads_of(await request.body())
        sealed = await SealingCodec().encode(plain.payloads)
        return await audited(request, "temporal.payloads_sealed", sealed)
