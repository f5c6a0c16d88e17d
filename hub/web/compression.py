"""Answers sent compressed to a client that accepts gzip: pages, JSON, CSV, styles and scripts.

A phone on a weak signal waits for every byte: a page or the catalog is a third to a fifth of its
size gzipped. Litestar's compression middleware does the compressing; this one decides what: text
only (a PDF, an image or an upload is compressed already, and would cost time for nothing), never
an answer that already says how it is encoded (the kept answers of ``hub.web.cached``, compressed
once), and not for a client that refuses gzip (``gzip;q=0``).

Pages carry their form token masked afresh for each page (``hub.web.pages.csrf``), so that the
compressed pages' sizes tell nothing about it.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.datastructures import Headers
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Message, Receive, Scope, Send

# Fast: most of what gzip gains it gains at its lowest level (the home page: 10.5 kB to 3.1 kB in
# about 40 µs, where the highest level makes 2.8 kB in twice the time).
LEVEL = 1
# Below this an answer gains too little to be worth compressing.
MINIMUM_SIZE = 1024
COMPRESSIBLE = ("text/", "application/json", "application/problem+json", "application/javascript", "image/svg+xml")


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (named, or ``*``, and not with ``q=0``)."""
    for part in (accept_encoding or "").lower().split(","):
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "*"):
            name, _, quality = params.partition("=")
            if name.strip() != "q":
                return True
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


class TextCompression(CompressionMiddleware):
    """Litestar's gzip, for text answers not encoded already, to clients that accept it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not accepts_gzip(Headers.from_scope(scope).get("accept-encoding")):
            await self.app(scope, receive, send)
            return
        compressing = self.create_compression_send_wrapper(send=send, compression_encoding="gzip", scope=scope)
        as_it_is = False

        async def send_wrapper(message: Message) -> None:
            nonlocal as_it_is
            if message["type"] == "http.response.start":
                headers = Headers(headers=list(message.get("headers", [])))
                kind = headers.get("content-type", "").lower()
                as_it_is = "content-encoding" in headers or not kind.startswith(COMPRESSIBLE)
            await (send if as_it_is else compressing)(message)

        await self.app(scope, receive, send_wrapper)


def compression() -> CompressionConfig:
    return CompressionConfig(
        backend="gzip",
        gzip_compress_level=LEVEL,
        minimum_size=MINIMUM_SIZE,
        gzip_fallback=False,
        middleware_class=TextCompression,
    )
