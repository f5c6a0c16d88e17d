"""``HEAD`` wherever ``GET`` is, for every route at once.

Litestar (2.x) answers ``HEAD`` only on handlers that list it, so a monitor's or a link checker's
``HEAD /`` would be refused 405. This wraps the app's ASGI handler: a ``HEAD`` request is routed and
handled as the ``GET`` it stands for, and the answer goes out with the same status and headers
(Content-Length, Content-Type, the security headers) and no body (RFC 9110, 9.3.2).
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def head_as_get(app: ASGIApp) -> ASGIApp:
    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return
        scope["method"] = "GET"
        finished = False

        async def send_without_body(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.body":
                if finished:
                    return
                finished = True  # one empty, final body: what follows the headers of a HEAD answer
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app(scope, receive, send_without_body)

    return handle
