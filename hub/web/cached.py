"""Answers that are the same for everyone who asks in the same language, made once.

The catalog is data loaded at start: a service's form in Chinese is the same bytes for every
visitor until the hub restarts with another catalog. Such an answer is encoded the first time it is
asked for and kept, with an ETag made from its bytes (so every web process, having encoded the same
bytes, names them alike), and a client that sends that ETag back gets ``304 Not Modified``. Parts of
pages that show only the catalog (the home page's list of services) are kept the same way.

A client that accepts gzip gets the kept bytes gzipped, also made once (the catalog: 11 kB, 3.5 kB
gzipped). Answers made for each request (pages, a request's detail, an inbox) are left to the load
balancer in front of the web processes to compress (docs/deploy.md): gzip in the process cost the
home page about a quarter of its throughput (bench/README.md). Pages carry their form token masked
afresh (``hub.web.pages.csrf``), so compressing them gives nothing away about it.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response

# Enough for every service of a catalog in every language, and the common searches.
MAX_ENTRIES = 2048
# Browsers and proxies may reuse an answer this long without asking; after that they ask with the
# ETag and get a 304 while it holds. A restart with a new catalog is seen within the minute.
MAX_AGE_SECONDS = 60
T = TypeVar("T")
_MISSING = object()


class EncodedAnswers:
    """Encoded answers by key (what they depend on: e.g. the service, its version and the language)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._max_entries = max_entries

    def kept(self, key: Hashable, build: Callable[[], T]) -> T:
        """What ``build`` makes for ``key``: made on first use, then kept (the least used go first)."""
        found = self._answers.get(key, _MISSING)
        if found is _MISSING:
            found = build()
            self._answers[key] = found
            if len(self._answers) > self._max_entries:
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(key)
        return found

    def encoded(self, key: Hashable, build: Callable[[], Any], gzipped: bool = False) -> tuple[bytes, str]:
        """(the JSON bytes, their ETag) for ``key``, built and encoded on first use; with
        ``gzipped``, the same bytes gzipped (once, at gzip's best), under an ETag of their own."""

        def encode() -> tuple[bytes, str]:
            body = msgspec.json.encode(build())
            return body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'

        body, etag = self.kept(("json", key), encode)
        if not gzipped:
            return body, etag
        return self.kept(("json.gz", key), lambda: (gzip.compress(body, 9, mtime=0), etag[:-1] + '-gz"'))

    def respond(self, request: Request, key: Hashable, build: Callable[[], Any]) -> Response[Any]:
        """The answer for ``key``: 304 when the client already holds it, else the encoded JSON,
        gzipped for a client that accepts it."""
        gzipped = accepts_gzip(request.headers.get("accept-encoding"))
        body, etag = self.encoded(key, build, gzipped)
        headers = {
            "ETag": etag,
            "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}",
            # The language comes from the header, or from the signed-in account's choice.
            "Vary": "Accept-Language, Authorization, Accept-Encoding",
        }
        if etag in _etags(request.headers.get("if-none-match")):
            return Response(content=b"", status_code=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(content=body, media_type="application/json", headers=headers)


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


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def answers_of(request: Request) -> EncodedAnswers:
    """The app's kept answers (read from the app's state rather than injected: a second dependency
    next to the context would make Litestar resolve them in a task group, on every request)."""
    return request.app.state.answers
